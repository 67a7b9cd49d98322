"""How big should eps be in a numerical gradient check? The V-shaped error curve.

The central difference g(eps) = (f(x + eps) − f(x − eps)) / (2·eps) has two errors:

* **truncation**: Taylor's theorem gives g = f'(x) + f'''(x)·eps²/6 + O(eps⁴), an error that
  shrinks like eps² as eps gets smaller;
* **round-off**: f is computed with relative error ≈ u (the machine epsilon: 2⁻²³ ≈ 1.2e-7 in
  float32, 2⁻⁵² ≈ 2.2e-16 in float64), and dividing the difference of two nearly equal numbers
  by 2·eps amplifies that into an error ≈ u·|f(x)|/eps, which *grows* as eps gets smaller.

Their sum |f'''|·eps²/6 + u·|f|/eps is smallest at eps* = (3u·|f| / |f'''|)^(1/3) ~ u^(1/3):
about 1e-5 in float64 and 5e-3 in float32, with a best error ~ u^(2/3): ≈ 1e-11 in float64 but
only ≈ 1e-5 in float32. On a log-log plot the error is a V: slope 2 on the right, −1 on the left.
This is why ``mt.autograd.gradcheck`` works in float64 with eps = 1e-6 (near the bottom of the V)
and why a float32 gradient check cannot be tight. Autograd itself has no truncation error: its
gradient is exact up to round-off.

The example measures the V for f(x) = sin(x)·eˣ at x = 0.7 and for every weight of a small tanh
network, in both dtypes.

Run:  python examples/gradcheck_eps.py [--fast] [--out runs/gradcheck_eps]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

import microtensor as mt

DTYPES = {"float32": mt.float32, "float64": mt.float64}


def f(x: mt.Tensor) -> mt.Tensor:
    return x.sin() * x.exp()


def f_prime(x: float) -> float:
    return math.exp(x) * (math.sin(x) + math.cos(x))


def f_third(x: float) -> float:
    return 2 * math.exp(x) * (math.cos(x) - math.sin(x))


def central_difference(fn: Any, x0: float, eps: float, dtype: Any) -> float:
    """(f(x + eps) − f(x − eps)) / (2 eps), every operation in ``dtype``."""
    x = mt.tensor(x0, dtype=dtype)
    with mt.no_grad():
        return float(((fn(x + eps) - fn(x - eps)) / (2 * eps)).item())


def scalar_errors(eps_grid: np.ndarray, x0: float = 0.7) -> dict[str, np.ndarray]:
    exact = f_prime(x0)
    return {name: np.array([abs(central_difference(f, x0, e, dt) - exact) for e in eps_grid])
            for name, dt in DTYPES.items()}


def autograd_error(dtype: Any, x0: float = 0.7) -> float:
    x = mt.tensor(x0, dtype=dtype, requires_grad=True)
    f(x).backward()
    return abs(float(x.grad.item()) - f_prime(x0))


def network_errors(eps_grid: np.ndarray) -> dict[str, np.ndarray]:
    """Max |numerical − exact| over all weights of a 3-4-1 tanh network's MSE loss."""
    rng = np.random.default_rng(0)
    inputs, targets = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w1, w2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 1))

    def loss(a: np.ndarray, b: np.ndarray, dtype: Any) -> mt.Tensor:
        x, y = mt.tensor(inputs, dtype=dtype), mt.tensor(targets, dtype=dtype)
        A = mt.tensor(a, dtype=dtype, requires_grad=True)
        B = mt.tensor(b, dtype=dtype, requires_grad=True)
        return ((mt.tanh(x @ A) @ B - y) ** 2).mean(), A, B

    out, A, B = loss(w1, w2, mt.float64)
    out.backward()
    exact = np.concatenate([A.grad.numpy().ravel(), B.grad.numpy().ravel()])
    flat = np.concatenate([w1.ravel(), w2.ravel()])
    errors: dict[str, np.ndarray] = {}
    for name, dtype in DTYPES.items():
        scalar = np.dtype(dtype).type
        theta = flat.astype(dtype)  # the weights as stored in this dtype
        per_eps = []
        for eps in eps_grid:
            numerical = np.empty(flat.size)
            for i in range(flat.size):
                values = []
                for sign in (1, -1):
                    shifted = theta.copy()
                    shifted[i] = shifted[i] + scalar(sign * eps)
                    with mt.no_grad():
                        values.append(loss(shifted[:12].reshape(3, 4), shifted[12:].reshape(4, 1),
                                           dtype)[0].item())
                numerical[i] = (scalar(values[0]) - scalar(values[1])) / scalar(2 * eps)
            per_eps.append(np.abs(numerical - exact).max())
        errors[name] = np.array(per_eps)
    return errors


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a coarser eps grid (for tests)")
    parser.add_argument("--x", type=float, default=0.7, help="where to differentiate f")
    parser.add_argument("--out", type=Path, default=Path("runs/gradcheck_eps"))
    args = parser.parse_args(argv)
    per_decade = 2 if args.fast else 4
    eps_grid = np.logspace(-1, -12, 11 * per_decade + 1)

    x0 = args.x
    errors = scalar_errors(eps_grid, x0)
    print(f"Central differences of f(x) = sin(x)·exp(x) at x = {x0}, f'(x) = {f_prime(x0):.15f}")
    print(f"{'eps':>8} {'error float32':>14} {'error float64':>14}")
    for k in range(0, len(eps_grid), per_decade):
        print(f"{eps_grid[k]:>8.0e} {errors['float32'][k]:>14.3e} {errors['float64'][k]:>14.3e}")
    fx, f3 = abs(math.sin(x0) * math.exp(x0)), abs(f_third(x0))
    best: dict[str, float] = {}
    print(f"\n{'dtype':<8} {'machine eps u':>14} {'cbrt(u)':>9} {'theory eps*':>12} "
          f"{'best eps':>9} {'best error':>11} {'autograd error':>15}")
    for name, dtype in DTYPES.items():
        u = float(np.finfo(dtype).eps)
        theory = (3 * u * fx / f3) ** (1 / 3)
        k = int(np.argmin(errors[name]))
        best[name] = float(eps_grid[k])
        print(f"{name:<8} {u:>14.2e} {u ** (1 / 3):>9.1e} {theory:>12.1e} {eps_grid[k]:>9.1e} "
              f"{errors[name][k]:>11.1e} {autograd_error(dtype, x0):>15.1e}")
    print("(theory eps* = (3u·|f| / |f'''|)^(1/3): where truncation eps²|f'''|/6 meets "
          "round-off u|f|/eps)")

    net = network_errors(eps_grid)
    print("\nA 3-4-1 tanh network: max error over its 16 weights (reference: float64 autograd)")
    for name in DTYPES:
        k = int(np.argmin(net[name]))
        print(f"{name:<8} best eps {eps_grid[k]:.1e}: max error {net[name][k]:.1e}; at eps = 1e-6:"
              f" {net[name][int(np.argmin(np.abs(eps_grid - 1e-6)))]:.1e}")
    print("→ gradcheck runs in float64 with eps = 1e-6 (near the bottom of the V); in float32 "
          f"no eps gets the error below {net['float32'].min():.0e}.")

    out = {"eps": eps_grid, "scalar": errors, "network": net, "best_eps": best}
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("\n(matplotlib is not installed: no plots)")
        return out
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    colors = {"float32": "#e41a1c", "float64": "#377eb8"}
    for name, dtype in DTYPES.items():
        u = float(np.finfo(dtype).eps)
        left.loglog(eps_grid, np.maximum(errors[name], 1e-18), "o-", ms=3, color=colors[name],
                    label=f"{name}")
        left.loglog(eps_grid, u * fx / eps_grid, ":", color=colors[name], lw=1,
                    label=f"round-off u|f|/eps ({name})")
        left.axvline(best[name], color=colors[name], lw=0.8, alpha=0.5)
        right.loglog(eps_grid, np.maximum(net[name], 1e-18), "o-", ms=3, color=colors[name],
                     label=name)
    left.loglog(eps_grid, f3 * eps_grid**2 / 6, "k--", lw=1, label="truncation eps²|f'''|/6")
    left.set_ylim(1e-14, 10)
    left.set_xlabel("eps")
    left.set_ylabel("|central difference − f'(x)|")
    left.set_title(f"f(x) = sin(x)·exp(x) at x = {x0:g}")
    left.legend(fontsize="small")
    left.grid(True, which="major", alpha=0.3)
    right.set_ylim(1e-14, 10)
    right.set_xlabel("eps")
    right.set_ylabel("max error over the weights")
    right.set_title("a 3-4-1 tanh network's loss")
    right.legend(fontsize="small")
    right.grid(True, which="major", alpha=0.3)
    args.out.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out / "gradcheck_eps.png", dpi=110)
    print(f"\nplot: {args.out / 'gradcheck_eps.png'}")
    return out


if __name__ == "__main__":
    main()
