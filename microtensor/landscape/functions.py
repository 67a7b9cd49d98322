"""Classic two-dimensional test functions for optimizers, with their known critical points.

Every function takes a Tensor ``x`` whose first axis holds the two coordinates: shape ``(2,)``
for one point, or ``(2, ...)`` to evaluate a whole grid at once (this is how the contour plots
are drawn). They are written with ordinary Tensor arithmetic, so autograd differentiates them
(twice, for the Hessian) like any model.

======================= ================================= ==========================================
name                    f(x, y)                           what it teaches
======================= ================================= ==========================================
``quadratic(κ)``        ½ (x² + κ y²)                     condition number κ = λ_max / λ_min slows
                                                          gradient descent; lr < 2/λ_max
``rosenbrock``          (a − x)² + b (y − x²)²            a curved, flat-bottomed valley
``beale``               sum of three squared polynomials  steep walls, flat plateaus
``himmelblau``          (x² + y − 11)² + (x + y² − 7)²    four minima, one maximum, four saddles
``saddle``              x² − y²                           a saddle point at 0 (eigenvalues 2, −2)
``monkey_saddle``       x³ − 3 x y²                       a degenerate critical point (H = 0)
======================= ================================= ==========================================

``TEST_FUNCTIONS[name]`` is a :class:`Function2D` record: the function, its minima, a default
starting point, plot bounds, and its other critical points. It unpacks like a tuple,
``fn, minima, start, bounds = TEST_FUNCTIONS["rosenbrock"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.tensor import Tensor

__all__ = [
    "Function2D",
    "Quadratic",
    "TEST_FUNCTIONS",
    "beale",
    "himmelblau",
    "monkey_saddle",
    "quadratic",
    "rosenbrock",
    "saddle",
]

Point = tuple[float, float]
Bounds = tuple[tuple[float, float], tuple[float, float]]


class Quadratic:
    """f(x) = ½ xᵀ A x with A = Rᵀ diag(1, κ) R (R a rotation by ``angle`` radians).

    The Hessian is A everywhere, with eigenvalues λ_min = 1 and λ_max = κ (the condition number).
    Gradient descent multiplies the error along the eigenvector of λ by (1 − lr·λ) each step, so
    it converges iff lr < 2/λ_max, and the slowest direction contracts by (1 − lr·λ_min): a large
    κ forces a small lr that then crawls along the flat direction.
    """

    def __init__(self, condition_number: float = 10.0, angle: float = 0.0) -> None:
        if condition_number <= 0:
            raise ValueError(f"quadratic: condition_number must be > 0, got {condition_number}")
        self.condition_number = float(condition_number)
        self.angle = float(angle)
        c, s = math.cos(angle), math.sin(angle)
        rotation = np.array([[c, s], [-s, c]])
        self.hessian = rotation.T @ np.diag([1.0, self.condition_number]) @ rotation
        self.eigenvalues = np.linalg.eigvalsh(self.hessian)
        self.lambda_max = float(self.eigenvalues[-1])
        self.minimum: Point = (0.0, 0.0)
        self.__name__ = f"quadratic(κ={self.condition_number:g})"

    def __call__(self, x: Tensor) -> Tensor:
        (a, b), (_, d) = self.hessian
        value = a * x[0] ** 2 + d * x[1] ** 2
        if b != 0.0:
            value = value + 2 * b * x[0] * x[1]
        return 0.5 * value

    def __repr__(self) -> str:
        return self.__name__


def quadratic(condition_number: float = 10.0, angle: float = 0.0) -> Quadratic:
    """The quadratic bowl ½ (x₀² + κ x₁²), optionally rotated: see :class:`Quadratic`."""
    return Quadratic(condition_number, angle)


def rosenbrock(x: Tensor, a: float = 1.0, b: float = 100.0) -> Tensor:
    """Rosenbrock's banana (a − x)² + b (y − x²)²; minimum 0 at (a, a²).

    The minimum lies in a long, curved valley whose floor is nearly flat: across it the
    curvature is ≈ 2b·(1 + 4x²) (steep), along it ≈ 2 (flat). At (1, 1) the Hessian is
    [[802, −400], [−400, 200]], with condition number ≈ 2500.
    """
    return (a - x[0]) ** 2 + b * (x[1] - x[0] ** 2) ** 2


def beale(x: Tensor) -> Tensor:
    """Beale's function (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum 0 at
    (3, 0.5). Sharp ridges and flat plateaus: gradient magnitudes vary by orders of magnitude."""
    u, v = x[0], x[1]
    return (
        (1.5 - u + u * v) ** 2 + (2.25 - u + u * v**2) ** 2 + (2.625 - u + u * v**3) ** 2
    )


def himmelblau(x: Tensor) -> Tensor:
    """Himmelblau's function (x² + y − 11)² + (x + y² − 7)²: four minima (all f = 0), one local
    maximum near (−0.27, −0.92), and four saddle points between the minima."""
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


def saddle(x: Tensor) -> Tensor:
    """x² − y²: at the origin the gradient vanishes and the Hessian diag(2, −2) has one positive
    and one negative eigenvalue: a saddle. Unbounded below along y."""
    return x[0] ** 2 - x[1] ** 2


def monkey_saddle(x: Tensor) -> Tensor:
    """x³ − 3xy²: the origin is critical with a zero Hessian, so the second-order test says
    nothing ("degenerate"); the surface goes down in three directions (room for a monkey's
    tail)."""
    return x[0] ** 3 - 3 * x[0] * x[1] ** 2


@dataclass(frozen=True)
class Function2D:
    """A test function with what is known about it.

    Attributes:
        name: the registry key.
        fn: the function (Tensor of shape (2, ...) → Tensor of shape (...)).
        minima: the global (and local) minima.
        start: a default starting point for optimizers.
        bounds: ((x_min, x_max), (y_min, y_max)) for plots.
        maxima, saddles, degenerate: the other critical points, where known.
        log_levels: draw contours at log-spaced levels (for functions spanning many decades).
        min_value: f at the minima (None if unbounded below).
    """

    name: str
    fn: Callable[[Tensor], Tensor]
    minima: tuple[Point, ...]
    start: Point
    bounds: Bounds
    maxima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    degenerate: tuple[Point, ...] = ()
    log_levels: bool = False
    min_value: float | None = 0.0

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``fn, minima, start, bounds``."""
        return iter((self.fn, self.minima, self.start, self.bounds))

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def nearest_minimum(self, point: Any) -> Point | None:
        """The known minimum closest to ``point`` (None for functions without one)."""
        if not self.minima:
            return None
        p = np.asarray(point, dtype=np.float64)
        return min(self.minima, key=lambda m: float(np.linalg.norm(p - np.asarray(m))))

    def distance_to_minimum(self, point: Any) -> float:
        """Euclidean distance from ``point`` to the nearest known minimum (nan if none)."""
        m = self.nearest_minimum(point)
        if m is None:
            return float("nan")
        return float(np.linalg.norm(np.asarray(point, dtype=np.float64) - np.asarray(m)))


_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)
_HIMMELBLAU_SADDLES = (
    (0.08667750455539634, 2.8842547011747763),
    (3.385154183607021, 0.0738518798377493),
    (-0.12796134673068008, -1.9537149802445766),
    (-3.0730257507643897, -0.08135304428796751),
)

TEST_FUNCTIONS: dict[str, Function2D] = {
    "quadratic": Function2D(
        "quadratic", quadratic(10.0), minima=((0.0, 0.0),), start=(-3.0, 1.5),
        bounds=((-4.0, 4.0), (-2.0, 2.0)),
    ),
    "rosenbrock": Function2D(
        "rosenbrock", rosenbrock, minima=((1.0, 1.0),), start=(-1.2, 1.0),
        bounds=((-2.0, 2.0), (-1.0, 3.0)), log_levels=True,
    ),
    "beale": Function2D(
        "beale", beale, minima=((3.0, 0.5),), start=(1.0, 1.5),
        bounds=((-4.5, 4.5), (-4.5, 4.5)), saddles=((0.0, 1.0),), log_levels=True,
    ),
    "himmelblau": Function2D(
        "himmelblau", himmelblau, minima=_HIMMELBLAU_MINIMA, start=(0.0, 0.0),
        bounds=((-5.0, 5.0), (-5.0, 5.0)), maxima=((-0.2708445906673476, -0.9230385564799815),),
        saddles=_HIMMELBLAU_SADDLES, log_levels=True,
    ),
    "saddle": Function2D(
        "saddle", saddle, minima=(), start=(1.0, 1e-3), bounds=((-1.5, 1.5), (-1.5, 1.5)),
        saddles=((0.0, 0.0),), min_value=None,
    ),
    "monkey_saddle": Function2D(
        "monkey_saddle", monkey_saddle, minima=(), start=(1.0, 0.1),
        bounds=((-1.5, 1.5), (-1.5, 1.5)), degenerate=((0.0, 0.0),), min_value=None,
    ),
}
