"""Golden cases of the activations2 family (see ``cases.py`` for the registry and its helpers)."""

from __future__ import annotations

from typing import Any


def _fn(op: str, **kwargs: Any) -> Any:
    return lambda lib, *xs: getattr(lib.nn.functional, op)(*xs, **kwargs)


# name: (function, double backward compared, kink values to probe)
ACTIVATIONS: dict[str, tuple[Any, bool, tuple[float, ...]]] = {
    "hardtanh": (_fn("hardtanh"), True, (-1.0, 1.0, -1.5, 0.5)),
    "hardtanh_2_3": (_fn("hardtanh", min_val=-2.0, max_val=3.0), True, (-2.0, 3.0, 0.0)),
    "relu6": (_fn("relu6"), True, (0.0, -0.0, 6.0, 3.0, 7.0, -1.0)),
    "selu": (_fn("selu"), True, (0.0, -0.0, -1.0, 1.0, -40.0)),
    "celu": (_fn("celu"), True, (0.0, -0.0, -1.0, 1.0)),
    "celu_2": (_fn("celu", alpha=2.0), True, (0.0, -0.0, -1.0, 1.0, -80.0)),
    "mish": (_fn("mish"), True, (0.0, -1.0, 1.0, 25.0, -25.0)),
    "hardswish": (_fn("hardswish"), True, (-3.0, 3.0, 0.0, -4.0, 4.0, -2.9, 2.9)),
    "hardsigmoid": (_fn("hardsigmoid"), False, (-3.0, 3.0, 0.0, -4.0, 4.0)),
    "logsigmoid": (_fn("logsigmoid"), True, (0.0, -50.0, 50.0, -800.0, 800.0)),
    "softsign": (_fn("softsign"), True, (0.0, -0.0, 1.0, -3.0)),
    "softmin": (_fn("softmin", dim=-1), True, (0.0, 1.0, 1.0, -2.0)),
    "tanhshrink": (_fn("tanhshrink"), True, (0.0, 1.0, -2.0)),
    "softshrink": (_fn("softshrink"), True, (-0.5, 0.5, -0.1, 0.1, 1.0, -0.0)),
    "softshrink_0": (_fn("softshrink", lambd=0.0), True, (0.0, -0.0, 1.0, -1.0)),
    "hardshrink": (_fn("hardshrink"), True, (-0.5, 0.5, -0.1, 0.1, 1.0, -0.0)),
    "hardshrink_neg": (_fn("hardshrink", lambd=-0.5), True, (0.0, 0.3, -1.0)),
    "threshold": (_fn("threshold", threshold=0.5, value=-2.0), True, (0.5, 0.4, 0.6, 0.0)),
}


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    from tests.golden.cases import NONFINITE, add, f, ints, mask, vals

    g = "activations2"
    for name, (fn, double, kinks) in ACTIVATIONS.items():
        for label, spec in (("2x3", f(2, 3)), ("0d", f()), ("2x0", f(2, 0)), ("1x5", f(1, 5)),
                            ("3x4_f32", f(3, 4, dtype="float32"))):
            add(g, f"{name}.{label}", fn, spec, double=double)
        add(g, f"{name}.kinks", fn, vals(*kinks), double=double)
        # PyTorch's second derivatives at ±inf and NaN are formula artefacts: first order only
        add(g, f"{name}.nonfinite", fn, vals(*NONFINITE), double=False, check_warnings=True)
        add(g, f"{name}.int", fn, ints(4, low=-3))
        add(g, f"{name}.bool", fn, mask(3))
    modules = {
        "Hardtanh": lambda lib, x: lib.nn.Hardtanh(-0.5, 0.5)(x),
        "ReLU6": lambda lib, x: lib.nn.ReLU6()(x), "SELU": lambda lib, x: lib.nn.SELU()(x),
        "CELU": lambda lib, x: lib.nn.CELU(0.5)(x), "Mish": lambda lib, x: lib.nn.Mish()(x),
        "Hardswish": lambda lib, x: lib.nn.Hardswish()(x),
        "Hardsigmoid": lambda lib, x: lib.nn.Hardsigmoid()(x),
        "LogSigmoid": lambda lib, x: lib.nn.LogSigmoid()(x),
        "Softsign": lambda lib, x: lib.nn.Softsign()(x),
        "Softmin": lambda lib, x: lib.nn.Softmin(dim=1)(x),
        "Tanhshrink": lambda lib, x: lib.nn.Tanhshrink()(x),
        "Softshrink": lambda lib, x: lib.nn.Softshrink(0.3)(x),
        "Hardshrink": lambda lib, x: lib.nn.Hardshrink(0.3)(x),
        "Threshold": lambda lib, x: lib.nn.Threshold(0.1, 20.0)(x),
        "GLU": lambda lib, x: lib.nn.GLU(dim=1)(x),
    }
    for name, fn in modules.items():
        add(g, f"module.{name}", fn, f(2, 4, 2), double=name != "Hardsigmoid")
    # in place: on a non-leaf, through the functional forms and the modules' inplace flags
    for name, fn in {
        "relu_": lambda lib, x: lib.nn.functional.relu_(x * 1),
        "elu_": lambda lib, x: lib.nn.functional.elu_(x * 1, 0.5),
        "leaky_relu_": lambda lib, x: lib.nn.functional.leaky_relu_(x * 1, 0.2),
        "hardtanh_": lambda lib, x: lib.nn.functional.hardtanh_(x * 1, -0.5, 0.5),
        "threshold_": lambda lib, x: lib.nn.functional.threshold_(x * 1, 0.1, 2.0),
        "selu_": lambda lib, x: lib.nn.functional.selu_(x * 1),
        "celu_": lambda lib, x: lib.nn.functional.celu_(x * 1, 2.0),
        "relu6_inplace": lambda lib, x: lib.nn.functional.relu6(x * 3, inplace=True),
        "hardswish_inplace": lambda lib, x: lib.nn.functional.hardswish(x * 3, inplace=True),
        "mish_inplace": lambda lib, x: lib.nn.functional.mish(x * 1, inplace=True),
        "ReLU6_module_inplace": lambda lib, x: lib.nn.ReLU6(inplace=True)(x * 4),
        "SELU_module_inplace": lambda lib, x: lib.nn.SELU(inplace=True)(x * 1),
    }.items():
        add(g, f"inplace.{name}", fn, f(3, 4))
    _prelu_and_glu(g)
    _errors(g)


def _prelu_and_glu(g: str) -> None:
    from tests.golden.cases import add, const, f, vals

    prelu = _fn("prelu")
    add(g, "prelu.channels", prelu, f(2, 3, 4), f(3))
    add(g, "prelu.shared", prelu, f(2, 3, 2, 2), f(1))
    add(g, "prelu.0d_weight", prelu, f(3, 2), f())
    add(g, "prelu.1d_input", prelu, f(5), f(1))
    add(g, "prelu.0d_input", prelu, f(), f(1))
    add(g, "prelu.zeros", prelu, vals(0.0, -0.0, 1.0, -1.0, shape=(1, 4)), f(4))
    add(g, "prelu.constant_weight", prelu, f(2, 3), const(3))
    add(g, "prelu.channel_mismatch", prelu, f(2, 3), f(2))
    add(g, "prelu.1d_input_many_weights", prelu, f(4), f(4))
    add(g, "prelu.2d_weight", prelu, f(2, 3), f(1, 3))
    add(g, "prelu.dtype_mismatch", prelu, f(2, 3, dtype="float32"), f(3))
    add(g, "PReLU.module", lambda lib, x: lib.nn.PReLU(3, 0.1).double()(x), f(2, 3, 2))
    add(g, "PReLU.module_default", lambda lib, x: lib.nn.PReLU()(x), f(4, dtype="float32"))
    glu = _fn("glu")
    add(g, "glu.last", glu, f(3, 4))
    add(g, "glu.dim0", _fn("glu", dim=0), f(2, 3))
    add(g, "glu.neg_dim", _fn("glu", dim=-2), f(2, 6, 3))
    add(g, "glu.1d", glu, f(6))
    add(g, "glu.empty", _fn("glu", dim=0), f(0, 3))
    add(g, "glu.odd", glu, f(3, 3))
    add(g, "glu.0d", glu, f())
    add(g, "glu.bad_dim", _fn("glu", dim=2), f(2, 4))


def _errors(g: str) -> None:
    from tests.golden.cases import add, f

    add(g, "hardtanh.min_above_max", _fn("hardtanh", min_val=2.0, max_val=1.0), f(3))
    add(g, "softshrink.negative_lambd", _fn("softshrink", lambd=-0.5), f(3))
    add(g, "celu.alpha_0", _fn("celu", alpha=0.0), f(3))
    add(g, "softmin.implicit_dim", lambda lib, x: lib.nn.functional.softmin(x), f(2, 3),
        check_warnings=True)
    add(g, "softmin.dtype", lambda lib, x: lib.nn.functional.softmin(x, 1, dtype=lib.float64),
        f(2, 3, dtype="float32"))
    # ELU family: the slope far left of 0 (e^x below 1e-16), seen through a huge upstream grad
    for name in ("elu", "selu", "celu"):
        add(g, f"{name}.far_left_slope", lambda lib, x, name=name: getattr(
            lib.nn.functional, name)(x.log()), _vals_far_left(), double=False)


def _vals_far_left() -> Any:
    from tests.golden.cases import vals

    return vals(1e-300, 1e-20, 0.5)
