"""Golden cases of the pointwise family (see ``cases.py`` for the registry and its helpers).

Groups: ``pointwise`` (one-argument math: trigonometric, hyperbolic, exp/log, rounding, ...) and
``pointwise_binary`` (two and three arguments: atan2, hypot, logaddexp, copysign, xlogy, fmod,
remainder, div with rounding, lerp, fmax/fmin, heaviside).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

inf, nan = float("inf"), float("nan")

# name, how the input is drawn, a transform that takes it into the function's domain
# (``unit`` is U(0.05, 0.95), ``positive`` U(0.5, 2))
UNARY: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("tan", "normal", lambda x: x), ("asin", "unit", lambda x: 2 * x - 1),
    ("acos", "unit", lambda x: 2 * x - 1), ("atan", "normal", lambda x: x),
    ("sinh", "normal", lambda x: x), ("cosh", "normal", lambda x: x),
    ("asinh", "normal", lambda x: x), ("acosh", "positive", lambda x: x + 1),
    ("atanh", "unit", lambda x: 2 * x - 1), ("exp2", "normal", lambda x: x),
    ("expm1", "normal", lambda x: x), ("log2", "positive", lambda x: x),
    ("log10", "positive", lambda x: x), ("log1p", "positive", lambda x: x - 0.4),
    ("rsqrt", "positive", lambda x: x), ("reciprocal", "positive", lambda x: x),
    ("erfc", "normal", lambda x: 2 * x), ("erfinv", "unit", lambda x: 2 * x - 1),
    ("square", "normal", lambda x: x), ("floor", "normal", lambda x: 3 * x),
    ("ceil", "normal", lambda x: 3 * x), ("round", "normal", lambda x: 3 * x),
    ("trunc", "normal", lambda x: 3 * x), ("fix", "normal", lambda x: 3 * x),
    ("frac", "normal", lambda x: 3 * x), ("sgn", "distinct", lambda x: x),
    ("negative", "normal", lambda x: x), ("absolute", "distinct", lambda x: x),
    ("logit", "unit", lambda x: x), ("nan_to_num", "normal", lambda x: x),
    ("arcsin", "unit", lambda x: 2 * x - 1), ("arccos", "unit", lambda x: 2 * x - 1),
    ("arctan", "normal", lambda x: x), ("arcsinh", "normal", lambda x: x),
    ("arccosh", "positive", lambda x: x + 1), ("arctanh", "unit", lambda x: 2 * x - 1),
]
# the NumPy aliases get a smaller set of cases (the same function)
ALIASES = {"fix", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "negative",
           "absolute"}
# edge values (the domains' ends, signed zeros, tiny and huge values) and non-finite ones
EDGE = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-300, -1e-300, 1e300, -1e300, 30.0,
        -30.0, 0.999999, -0.999999, 1.5, -1.5)
NONFINITE = (inf, -inf, nan, 0.0, 1.5)


def _function(name: str, transform: Callable[[Any], Any]) -> Callable[..., Any]:
    return lambda lib, x: getattr(lib, name)(transform(x))


def _method(name: str, transform: Callable[[Any], Any]) -> Callable[..., Any]:
    return lambda lib, x: getattr(transform(x), name)()


def _in_place(name: str, transform: Callable[[Any], Any]) -> Callable[..., Any]:
    # (on a copy: the input itself is a leaf that requires grad)
    return lambda lib, x: getattr(transform(x) * 1, f"{name}_")()


TENSOR_ONLY = {"atan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin"}


def _shape_name(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _unary()
    _unary_special()
    _binary()
    _division()
    _lerp_and_friends()


def _unary() -> None:
    from tests.golden.cases import In, add, ints, mask, vals

    g = "pointwise"
    for name, kind, transform in UNARY:
        if name in ALIASES:  # the same function as its twin: one case for each form
            add(g, f"{name}.fn_and_method", lambda lib, x, name=name, t=transform: (
                getattr(lib, name)(t(x)), getattr(t(x), name)()), In((2, 3), kind))
            add(g, f"{name}.in_place", _in_place(name, transform), In((3,), kind, grad=False))
            continue
        for shape in [(), (2, 3)]:
            add(g, f"{name}.fn.{_shape_name(shape)}", _function(name, transform),
                In(shape, kind))
        for shape in [(2, 0, 3), (1, 3, 1)]:
            add(g, f"{name}.method.{_shape_name(shape)}", _method(name, transform),
                In(shape, kind))
        # (PyTorch has no derivative for asinh_, acosh_, atanh_: those are checked without one)
        no_grad = name in ("asinh", "acosh", "atanh")
        add(g, f"{name}.in_place", _in_place(name, transform),
            In((3,), kind, grad=False if no_grad else None))
        # (logit's second derivative outside [0, 1] differs on purpose: see LogitOp)
        add(g, f"{name}.edge", _function(name, lambda x: x), vals(*EDGE, *NONFINITE[:3]),
            check_warnings=True, double=name != "logit")
        add(g, f"{name}.int", _function(name, lambda x: x), ints(2, 3, low=-3, high=4))
        add(g, f"{name}.bool", _function(name, lambda x: x), mask(4))
        add(g, f"{name}.float32", _function(name, transform), In((2, 3), kind, "float32"))
    add(g, "tan.int_in_place", lambda lib, x: (x * 1).tan_(), ints(3), match="can't be cast")
    add(g, "floor.int_in_place", lambda lib, x: (x * 1).floor_(), ints(3, low=-3))
    add(g, "square.int64", lambda lib, x: x.square(), ints(4, low=-3))
    add(g, "square.int_in_place", lambda lib, x: (x * 1).square_(), ints(4, low=-3))
    add(g, "reciprocal.zero", lambda lib, x: lib.reciprocal(x), vals(0.0, -0.0, 2.0),
        double=False, check_warnings=True)


def _unary_special() -> None:
    from tests.golden.cases import add, f, ints, unit, vals

    g = "pointwise"
    # domains: asin/acos at ±1 (infinite slope), outside (nan); acosh below 1; atanh at ±1
    add(g, "asin.domain", lambda lib, x: lib.asin(x), vals(-1.0, 1.0, 1.5, -1.5, 0.0),
        check_warnings=True, double=False)
    add(g, "acos.domain", lambda lib, x: lib.acos(x), vals(-1.0, 1.0, 1.5, -1.5, 0.0),
        check_warnings=True, double=False)
    add(g, "acosh.below_one", lambda lib, x: lib.acosh(x), vals(1.0, 0.5, -2.0, 3.0),
        check_warnings=True, double=False)
    add(g, "atanh.at_one", lambda lib, x: lib.atanh(x), vals(1.0, -1.0, 2.0, 0.25),
        check_warnings=True, double=False)
    add(g, "log2.at_zero", lambda lib, x: lib.log2(x), vals(0.0, -0.0, -1.0, 8.0),
        check_warnings=True, double=False)
    add(g, "log10.at_zero", lambda lib, x: lib.log10(x), vals(0.0, -1.0, 1000.0),
        check_warnings=True, double=False)
    add(g, "log1p.at_minus_one", lambda lib, x: lib.log1p(x), vals(-1.0, -2.0, 1e-20, 3.0),
        check_warnings=True, double=False)
    add(g, "rsqrt.at_zero", lambda lib, x: lib.rsqrt(x), vals(0.0, -0.0, -4.0, 4.0),
        check_warnings=True, double=False)
    add(g, "exp2.overflow", lambda lib, x: lib.exp2(x), vals(1100.0, -1100.0, 10.0),
        check_warnings=True)
    add(g, "expm1.tiny", lambda lib, x: x.expm1(), vals(1e-20, -1e-10, 800.0, -800.0),
        check_warnings=True)
    add(g, "sinh.overflow", lambda lib, x: x.sinh(), vals(800.0, -800.0, 1.0),
        check_warnings=True)
    add(g, "cosh.overflow", lambda lib, x: x.cosh(), vals(800.0, -800.0, 1.0),
        check_warnings=True)
    # erfc far in the tail (1 - erf would be 0) and erfinv near ±1
    add(g, "erfc.tail", lambda lib, x: lib.erfc(x),
        vals(1.9, 2.0, 2.1, 3.0, 5.0, 8.0, 15.0, 26.0, 27.5, -3.0, -30.0, 0.1, -0.1))
    add(g, "erfinv.near_one", lambda lib, x: lib.erfinv(x),
        vals(0.5, 0.9, 0.99, 0.999999, 1 - 2**-52, -(1 - 2**-53), 1e-300, -1e-10, 0.3,
             0.7, 0.95, -0.6))
    add(g, "erfinv.domain", lambda lib, x: lib.erfinv(x), vals(1.0, -1.0, 1.5, -2.0, 0.0),
        check_warnings=True, double=False)
    add(g, "erfinv.float32_values", lambda lib, x: lib.erfinv(x),
        vals(0.5, -0.9, 0.999, 0.0, 0.1, dtype="float32"))
    # rounding: halves go to even; decimals
    add(g, "round.halves", lambda lib, x: lib.round(x),
        vals(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 1e300, -0.0))
    add(g, "round.decimals", lambda lib, x: lib.round(x, decimals=2), f(2, 3))
    add(g, "round.decimals_values", lambda lib, x: x.round(decimals=1),
        vals(0.25, 0.35, -0.15, 1.05, 123.456, -0.0))
    add(g, "round.negative_decimals", lambda lib, x: lib.round(x, decimals=-1),
        vals(15.0, 25.0, -35.0, 4.9, 1234.5))
    add(g, "round.decimals_int", lambda lib, x: lib.round(x, decimals=1), ints(3),
        match="not implemented")
    add(g, "round.decimals_in_place", lambda lib, x: (x * 1).round_(decimals=1), f(3))
    add(g, "frac.values", lambda lib, x: x.frac(), vals(1.5, -1.5, 2.0, -0.0, 1e300, 0.25))
    add(g, "floor.negative_zero", lambda lib, x: 1 / lib.floor(x), vals(-0.0, 0.0, -0.5),
        double=False)
    add(g, "ceil.negative_zero", lambda lib, x: 1 / lib.ceil(x), vals(-0.5, -0.0, 0.5),
        double=False)
    add(g, "trunc.negative_zero", lambda lib, x: 1 / lib.trunc(x), vals(-0.5, 0.5),
        double=False)
    # logit with eps: clamped, and its gradient is 0 where clamped
    add(g, "logit.eps", lambda lib, x: lib.logit(x, eps=0.2), unit(3, 4))
    add(g, "logit.eps_values", lambda lib, x: x.logit(0.1),
        vals(0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0))
    add(g, "logit.domain", lambda lib, x: lib.logit(x), vals(0.0, 1.0, -0.5, 1.5, 0.5),
        check_warnings=True, double=False)
    add(g, "logit.in_place_eps", lambda lib, x: (x * 1).logit_(eps=0.3), unit(4))
    # nan_to_num with its options
    add(g, "nan_to_num.options", lambda lib, x: lib.nan_to_num(x, nan=1.0, posinf=2.0,
                                                              neginf=-3.0),
        vals(nan, inf, -inf, 0.5, -0.5))
    add(g, "nan_to_num.posinf_only", lambda lib, x: x.nan_to_num(posinf=9.0),
        vals(nan, inf, -inf, 0.5))
    add(g, "nan_to_num.float32_values", lambda lib, x: lib.nan_to_num(x),
        vals(nan, inf, -inf, 1.0, dtype="float32"))
    add(g, "nan_to_num.in_place_nan", lambda lib, x: (x * 1).nan_to_num_(nan=-1.0),
        vals(nan, inf, 2.0))
    add(g, "nan_to_num.int64_copy", lambda lib, x: lib.nan_to_num(x), ints(3))
    add(g, "sgn.values", lambda lib, x: lib.sgn(x), vals(-2.0, -0.0, 0.0, 3.0, nan, -inf))
    add(g, "clamp_min.number", lambda lib, x: lib.clamp_min(x, 0.3), f(3, 4))
    add(g, "clamp_max.number", lambda lib, x: x.clamp_max(-0.2), f(3, 4))
    add(g, "clamp_min.tensor", lambda lib, x, m: lib.clamp_min(x, m), f(3, 4), f(4))
    add(g, "clamp_max.tensor", lambda lib, x, m: x.clamp_max(m), f(3, 4), f(3, 1))
    add(g, "clamp_min.int", lambda lib, x: lib.clamp_min(x, 2), ints(5))
    add(g, "clamp_min.int_float", lambda lib, x: lib.clamp_min(x, 2.5), ints(5))
    add(g, "clamp_min.negative_zero", lambda lib, x: 1 / lib.clamp_min(x, 0.0), vals(-0.0, 0.0),
        double=False)
    add(g, "clamp_min.in_place", lambda lib, x: (x * 1).clamp_min_(0.1), f(5))
    add(g, "clamp_max.in_place", lambda lib, x: (x * 1).clamp_max_(0.1), f(5))
    add(g, "not_a_tensor", lambda lib, x: lib.tan(2.0), f(1), match="must be Tensor")


def _binary() -> None:
    from tests.golden.cases import In, add, const, dist, f, ints, mask, pos, vals

    g = "pointwise_binary"
    shapes = [((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((0, 3), (1, 3))]
    kinds = {"atan2": ("normal", "normal"), "hypot": ("normal", "normal"),
             "logaddexp": ("normal", "normal"), "logaddexp2": ("normal", "normal"),
             "copysign": ("distinct", "normal"), "xlogy": ("normal", "positive"),
             "fmod": ("normal", "distinct"), "remainder": ("normal", "distinct"),
             "fmax": ("normal", "normal"), "fmin": ("normal", "normal"),
             "arctan2": ("normal", "normal")}
    for name, (kind_a, kind_b) in kinds.items():
        for k, (sa, sb) in enumerate(shapes):
            if name == "arctan2" and k > 1:
                break
            fn = (lambda lib, a, b, name=name: getattr(lib, name)(a, b)) if k % 2 == 0 else \
                (lambda lib, a, b, name=name: getattr(a, name)(b))
            add(g, f"{name}.{_shape_name(sa)}.{_shape_name(sb)}", fn, In(sa, kind_a),
                In(sb, kind_b))
        if name == "arctan2":
            continue
        add(g, f"{name}.in_place", lambda lib, a, b, name=name: getattr(a * 1, f"{name}_")(b)
            if name not in ("logaddexp", "logaddexp2", "fmax", "fmin") else
            getattr(lib, name)(a, b), In((3, 4), kind_a), In((4,), kind_b))
        add(g, f"{name}.int", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            ints(2, 3, low=-3, high=4), ints(3, low=1, high=4))
        add(g, f"{name}.int_float", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            ints(2, 3, low=-3, high=4), f(3))
        add(g, f"{name}.float32_float64_0d",
            lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            In((3,), kind_a, "float32"), In((), "positive", grad=False))
        add(g, f"{name}.bool", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            mask(4), mask(4))
        add(g, f"{name}.nonfinite", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            vals(inf, -inf, nan, 0.0, -0.0, 1.5, inf, 2.0, nan, -1.0),
            vals(1.0, 1.0, 1.0, inf, -inf, nan, inf, 0.0, nan, -0.0), double=False,
            check_warnings=True)
        add(g, f"{name}.scalar", lambda lib, a, name=name: getattr(lib, name)(a, 1.5),
            In((2, 3), kind_a), match="must be Tensor" if name in TENSOR_ONLY else None)
        add(g, f"{name}.broadcast_error", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            f(2, 3), f(4))
    # values that matter for particular ops
    add(g, "atan2.quadrants", lambda lib, a, b: lib.atan2(a, b),
        vals(0.0, -0.0, 0.0, -0.0, 1.0, -1.0, 1.0, -1.0), vals(0.0, 0.0, -0.0, -0.0, 1.0, 1.0,
                                                                  -1.0, -1.0), double=False)
    # (second derivatives: hypot's b²/z³ at z = 5e-200 is 1.3e199, but 1/z³ overflows on the
    # way, in a different place in each library; logaddexp's is ~0 far apart, nan in PyTorch:
    # tests/test_pointwise.py checks ours)
    add(g, "hypot.huge", lambda lib, a, b: lib.hypot(a, b), vals(1e200, 3e-200, 0.0),
        vals(1e200, 4e-200, 2.0), double=False)
    add(g, "logaddexp.far_apart", lambda lib, a, b: lib.logaddexp(a, b),
        vals(1000.0, -1000.0, 0.0, 50.0), vals(1.0, -999.0, 0.0, -50.0), double=False)
    add(g, "logaddexp2.far_apart", lambda lib, a, b: lib.logaddexp2(a, b),
        vals(1000.0, -1000.0, 0.0), vals(1.0, -999.0, 0.0))
    add(g, "copysign.zeros", lambda lib, a, b: lib.copysign(a, b),
        vals(0.0, -0.0, 2.0, -2.0, 3.0), vals(-1.0, 1.0, -0.0, 0.0, nan), double=False)
    add(g, "copysign.int_scalar", lambda lib, a: lib.copysign(a, -1), ints(3, low=-2))
    add(g, "xlogy.zero_x", lambda lib, a, b: lib.xlogy(a, b),
        vals(0.0, 0.0, 0.0, 1.0, 2.0, 0.0), vals(0.0, 2.0, nan, 0.0, -1.0, inf), double=False,
        check_warnings=True)
    add(g, "xlogy.scalar_first", lambda lib, b: lib.xlogy(2.0, b), pos(3))
    add(g, "xlogy.special", lambda lib, a, b: lib.special.xlogy(a, b), f(3), pos(3))
    add(g, "fmod.signs", lambda lib, a, b: lib.fmod(a, b),
        vals(5.5, -5.5, 5.5, -5.5, -0.0, 0.0), vals(2.0, 2.0, -2.0, -2.0, 3.0, -3.0),
        double=False)
    add(g, "remainder.signs", lambda lib, a, b: lib.remainder(a, b),
        vals(5.5, -5.5, 5.5, -5.5, -0.0, 0.0), vals(2.0, 2.0, -2.0, -2.0, 3.0, -3.0),
        double=False)
    add(g, "remainder.by_zero", lambda lib, a, b: a % b, vals(1.5, -1.5, 0.0), vals(0.0, 0.0, 0.0),
        double=False, check_warnings=True)
    add(g, "fmod.by_zero", lambda lib, a, b: lib.fmod(a, b), vals(1.5, -1.5, 0.0),
        vals(0.0, 0.0, 0.0), double=False, check_warnings=True)
    add(g, "remainder.operator_grad", lambda lib, a, b: a % b, f(3, 4), dist(4))
    # (PyTorch has no derivative of a number % tensor; microtensor does: see test_pointwise)
    add(g, "remainder.rmod", lambda lib, b: 5.5 % b, const(4, kind="distinct"))
    add(g, "remainder.rmod_int", lambda lib, b: 7 % b, ints(4, low=1))
    add(g, "remainder.scalar_first", lambda lib, b: lib.remainder(3, b), ints(3, low=-4, high=-1))
    add(g, "remainder.imod", lambda lib, a: _imod(a * 1, 0.7), f(4))
    add(g, "remainder.imod_int", lambda lib, a: _imod(a * 1, 3), ints(4, low=-5, high=5))
    add(g, "fmod.int_by_zero", lambda lib, a, b: lib.fmod(a, b), ints(3), vals(0, 1, 2,
                                                                               dtype="int64"),
        match="ZeroDivisionError")
    add(g, "fmod.int_scalar_float", lambda lib, a: lib.fmod(a, 2.5), ints(3, low=-5))
    add(g, "fmod.uint8", lambda lib, a, b: lib.fmod(a, b), ints(4, dtype="uint8"),
        ints(4, low=1, dtype="uint8"))
    add(g, "fmax.nan", lambda lib, a, b: lib.fmax(a, b), vals(nan, 1.0, nan, 2.0, 3.0),
        vals(1.0, nan, nan, 2.0, -1.0), double=False)
    add(g, "fmin.nan", lambda lib, a, b: lib.fmin(a, b), vals(nan, 1.0, nan, 2.0, 3.0),
        vals(1.0, nan, nan, 2.0, -1.0), double=False)
    add(g, "fmax.ties", lambda lib, a, b: lib.fmax(a, b), In((4, 5), "ties"),
        In((4, 5), "ties"))
    add(g, "fmin.ties", lambda lib, a, b: a.fmin(b), In((4, 5), "ties"), In((5,), "ties"))
    add(g, "fmax.int_const", lambda lib, a, b: lib.fmax(a, b), ints(3), const(3))
    add(g, "hypot.int_error", lambda lib, a, b: lib.hypot(a, b), ints(3), ints(3),
        match="not implemented")
    add(g, "logaddexp.int_error", lambda lib, a, b: lib.logaddexp(a, b), ints(3), ints(3),
        match="not implemented")


def _imod(a: Any, b: Any) -> Any:
    a %= b
    return a


def _division() -> None:
    from tests.golden.cases import add, const, f, ints, mask, vals

    g = "pointwise_binary"
    for mode in ("trunc", "floor"):
        add(g, f"div.{mode}", lambda lib, a, b, mode=mode: lib.div(a, b, rounding_mode=mode),
            f(3, 4), f(4))
        add(g, f"div.{mode}_method", lambda lib, a, b, mode=mode: a.div(b, rounding_mode=mode),
            f(2, 3), f(2, 1))
        add(g, f"div.{mode}_values", lambda lib, a, b, mode=mode: lib.div(
            a, b, rounding_mode=mode), vals(7.0, -7.0, 7.0, -7.0, 0.5, -0.0, 1.0, inf),
            vals(2.0, 2.0, -2.0, -2.0, 0.0, 3.0, -0.0, 2.0), double=False, check_warnings=True)
        add(g, f"div.{mode}_int", lambda lib, a, b, mode=mode: lib.div(a, b, rounding_mode=mode),
            ints(8, low=-9, high=9), ints(8, low=1, high=4))
        add(g, f"div.{mode}_int_negative", lambda lib, a, b, mode=mode: lib.div(
            a, b, rounding_mode=mode), vals(7, -7, 7, -7, 0, 6, dtype="int64"),
            vals(2, 2, -2, -2, -3, -3, dtype="int64"))
        add(g, f"div.{mode}_int_by_zero", lambda lib, a, b, mode=mode: lib.div(
            a, b, rounding_mode=mode), ints(3), vals(1, 0, 2, dtype="int64"),
            match="ZeroDivisionError")
        add(g, f"div.{mode}_bool", lambda lib, a, b, mode=mode: lib.div(
            a, b, rounding_mode=mode), mask(3), mask(3), match="not implemented")
        add(g, f"div.{mode}_int_float", lambda lib, a, mode=mode: lib.div(
            a, 2.5, rounding_mode=mode), ints(4, low=-5))
        add(g, f"div.{mode}_in_place", lambda lib, a, b, mode=mode: (a * 1).div_(
            b, rounding_mode=mode), f(3, 4), f(4))
        add(g, f"divide.{mode}", lambda lib, a, b, mode=mode: lib.divide(
            a, b, rounding_mode=mode), f(3), f(3))
    add(g, "div.bad_mode", lambda lib, a, b: lib.div(a, b, rounding_mode="round"), f(3), f(3),
        match="rounding_mode")
    add(g, "div.none_mode", lambda lib, a, b: lib.div(a, b, rounding_mode=None), f(3), f(3))
    add(g, "div.int_in_place_floor", lambda lib, a: _floor_in_place(a * 1), ints(4, low=-5))
    add(g, "floor_divide.fn", lambda lib, a, b: lib.floor_divide(a, b), const(3, 4),
        const(4, kind="distinct"))
    add(g, "floor_divide.method_int", lambda lib, a, b: a.floor_divide(b), ints(5, low=-6),
        ints(5, low=1))
    add(g, "floor_divide.rfloordiv", lambda lib, b: 7 // b, ints(4, low=1))
    add(g, "floor_divide.bool", lambda lib, a, b: lib.floor_divide(a, b), mask(3), mask(3),
        match="not implemented")
    add(g, "true_divide.int", lambda lib, a, b: lib.true_divide(a, b), ints(4), ints(4, low=1))
    add(g, "true_divide.float", lambda lib, a, b: a.true_divide(b), f(3), f(3))
    add(g, "multiply.fn", lambda lib, a, b: lib.multiply(a, b), f(3, 2), f(2))
    add(g, "multiply.method", lambda lib, a, b: a.multiply(b), f(3), f(3))
    add(g, "subtract.alpha", lambda lib, a, b: lib.subtract(a, b, alpha=2), f(3, 2), f(2))
    add(g, "subtract.method", lambda lib, a, b: a.subtract(b), f(3), f(3))
    add(g, "subtract.in_place", lambda lib, a, b: (a * 1).subtract_(b), f(3), f(3))
    add(g, "multiply.in_place", lambda lib, a, b: (a * 1).multiply_(b), f(3), f(3))
    add(g, "negative.in_place_int", lambda lib, a: (a * 1).negative_(), ints(3))
    add(g, "absolute.in_place_int", lambda lib, a: (a * 1).absolute_(), ints(3, low=-3))


def _floor_in_place(a: Any) -> Any:
    a //= 2
    return a


def _lerp_and_friends() -> None:
    from tests.golden.cases import add, f, ints, mask, unit, vals

    g = "pointwise_binary"
    add(g, "lerp.scalar_weight", lambda lib, a, b: lib.lerp(a, b, 0.3), f(3, 4), f(3, 4))
    add(g, "lerp.scalar_weight_high", lambda lib, a, b: lib.lerp(a, b, 0.8), f(3, 4), f(4))
    add(g, "lerp.tensor_weight", lambda lib, a, b, w: lib.lerp(a, b, w), f(3, 4), f(4),
        unit(3, 1))
    add(g, "lerp.method", lambda lib, a, b, w: a.lerp(b, w), f(2, 3), f(2, 3), f(3))
    add(g, "lerp.weight_one", lambda lib, a, b: lib.lerp(a, b, 1.0),
        vals(0.1, 1e20, -3.0), vals(0.7, 1.0, 5.0))
    add(g, "lerp.0d", lambda lib, a, b, w: lib.lerp(a, b, w), f(), f(), f())
    add(g, "lerp.empty", lambda lib, a, b: lib.lerp(a, b, 0.5), f(0, 3), f(3))
    add(g, "lerp.in_place", lambda lib, a, b: (a * 1).lerp_(b, 0.25), f(3), f(3))
    add(g, "lerp.dtype_mismatch", lambda lib, a, b: lib.lerp(a, b, 0.5),
        f(3, dtype="float32"), f(3), match="expected dtype")
    add(g, "lerp.int", lambda lib, a, b: lib.lerp(a, b, 0.5), ints(3), ints(3),
        match="not implemented")
    add(g, "heaviside.values", lambda lib, x, v: lib.heaviside(x, v),
        vals(-1.0, 0.0, -0.0, 2.0, nan, inf), vals(0.5, 0.5, 0.25, 0.5, 0.5, 0.5, grad=False))
    add(g, "heaviside.broadcast", lambda lib, x, v: x.heaviside(v),
        vals(-1.0, 0.0, 3.0, 0.0, shape=(2, 2), grad=False), vals(0.5, 7.0, grad=False))
    add(g, "heaviside.int", lambda lib, x, v: lib.heaviside(x, v),
        ints(5, low=-2, high=3), ints(1, low=5, high=6))
    add(g, "heaviside.bool", lambda lib, x, v: lib.heaviside(x, v), mask(4), mask(4))
    add(g, "heaviside.dtype_mismatch", lambda lib, x, v: lib.heaviside(x, v),
        vals(1.0, 0.0, grad=False), ints(1), match="different dtypes")
    add(g, "square.bool", lambda lib, x: lib.square(x), mask(4))
    add(g, "special.names", lambda lib, x: (
        lib.special.expit(x), lib.special.erfc(x), lib.special.expm1(x), lib.special.exp2(x),
        lib.special.log1p(x.abs()), lib.special.erf(x)), f(2, 3))
    add(g, "special.logit_erfinv", lambda lib, x: (lib.special.logit(x), lib.special.erfinv(x)),
        unit(4))
    add(g, "special.logit_eps", lambda lib, x: lib.special.logit(x, eps=0.2), unit(4))
