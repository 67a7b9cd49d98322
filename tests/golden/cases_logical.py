"""Golden cases of the logical family (see ``cases.py`` for the registry and its helpers).

Groups: ``logical`` (predicates, comparisons, isclose/allclose/equal, logical ops) and
``logical_bitwise`` (bitwise ops, shifts and their operators, reflected and in-place forms).
"""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")
NONFINITE = (inf, -inf, nan, 0.0, -0.0, 1.5, -2.5)


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _predicates()
    _comparisons()
    _closeness()
    _logical()
    _bitwise()
    _shifts()


def _predicates() -> None:
    from tests.golden.cases import add, const, ints, mask, vals

    g = "logical"
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "isreal"):
        add(g, f"{name}.fn_and_method", lambda lib, x, name=name: (
            getattr(lib, name)(x), getattr(x, name)()), vals(*NONFINITE, shape=(7, 1)))
        add(g, f"{name}.int", lambda lib, x, name=name: getattr(lib, name)(x),
            ints(2, 3, low=-3))
        add(g, f"{name}.bool", lambda lib, x, name=name: getattr(lib, name)(x), mask(4))
        add(g, f"{name}.0d", lambda lib, x, name=name: getattr(lib, name)(x), const())
        add(g, f"{name}.empty", lambda lib, x, name=name: getattr(lib, name)(x), const(2, 0))
        add(g, f"{name}.float32", lambda lib, x, name=name: getattr(lib, name)(x),
            vals(*NONFINITE, dtype="float32"))
    add(g, "isnan.requires_grad", lambda lib, x: lib.isnan(x), vals(nan, 1.0, grad=True))
    add(g, "signbit.nan", lambda lib, x: lib.signbit(-x), vals(nan, 0.0, grad=False))


ALIASES = {"not_equal", "less", "less_equal", "greater", "greater_equal"}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
               "greater_equal")


def _comparisons() -> None:
    from tests.golden.cases import In, add, const, ints, mask, vals

    g = "logical"
    for name in COMPARISONS:
        if name in ALIASES:  # the same function as its twin
            add(g, f"{name}.fn_method_in_place", lambda lib, a, b, name=name: (
                getattr(lib, name)(a, b), getattr(a, name)(b), getattr(a * 1, f"{name}_")(b)),
                In((3, 4), "ties"), In((4,), "ties"))
            continue
        add(g, f"{name}.fn", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            In((3, 4), "ties"), In((4,), "ties"))
        add(g, f"{name}.method", lambda lib, a, b, name=name: getattr(a, name)(b),
            In((2, 3), "ties"), In((2, 1), "ties"))
        add(g, f"{name}.scalar", lambda lib, a, name=name: getattr(lib, name)(a, 1.0),
            In((5,), "ties"))
        add(g, f"{name}.in_place", lambda lib, a, b, name=name: getattr(a * 1, f"{name}_")(b),
            In((3, 4), "ties"), In((4,), "ties"))
    for name in ("eq", "lt", "ge"):
        add(g, f"{name}.nonfinite", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            vals(*NONFINITE), vals(inf, inf, nan, -0.0, 0.0, 1.5, 0.0))
        add(g, f"{name}.int_float", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            ints(5, low=-2, high=3), const(5, kind="ties"))
        add(g, f"{name}.uint8_negative", lambda lib, a, name=name: getattr(lib, name)(a, -1),
            vals(255, 0, 1, dtype="uint8"))
        add(g, f"{name}.bool", lambda lib, a, b, name=name: getattr(lib, name)(a, b), mask(4),
            mask(4))
        add(g, f"{name}.0d_empty", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            const(), const(0, 3))
        add(g, f"{name}.in_place_int", lambda lib, a, b, name=name: getattr(a * 1, f"{name}_")(b),
            ints(4), ints(4))
    add(g, "eq.broadcast_error", lambda lib, a, b: lib.eq(a, b), const(2, 3), const(4),
)


def _closeness() -> None:
    from tests.golden.cases import add, const, f, ints, mask, vals

    g = "logical"
    a = vals(1.0, 1.0, inf, inf, -inf, nan, nan, 0.0, 1e-9, 100.0, 1.0)
    b = vals(1.0 + 1e-6, 1.1, inf, -inf, -inf, nan, 1.0, 1e-9, 0.0, 100.001, 1.00001)
    add(g, "isclose.values", lambda lib, x, y: lib.isclose(x, y), a, b)
    add(g, "isclose.equal_nan", lambda lib, x, y: lib.isclose(x, y, equal_nan=True), a, b)
    add(g, "isclose.tolerances", lambda lib, x, y: x.isclose(y, rtol=1e-3, atol=1e-6), a, b)
    add(g, "isclose.zero_tolerances", lambda lib, x, y: lib.isclose(x, y, rtol=0, atol=0), a, b)
    add(g, "isclose.broadcast", lambda lib, x, y: lib.isclose(x, y), f(3, 4), f(4))
    add(g, "isclose.int", lambda lib, x, y: lib.isclose(x, y, rtol=0.3), ints(6), ints(6))
    add(g, "isclose.bool", lambda lib, x, y: lib.isclose(x, y), mask(5), mask(5))
    add(g, "isclose.dtype_mismatch", lambda lib, x, y: lib.isclose(x, y),
        const(3), vals(1.0, 2.0, 3.0, dtype="float32"), match="did not match")
    add(g, "isclose.negative_rtol", lambda lib, x, y: lib.isclose(x, y, rtol=-1.0), const(3),
        const(3), match="rtol must be greater than or equal to zero")
    add(g, "isclose.float32", lambda lib, x, y: lib.isclose(x, y),
        vals(1.0, 2.0, 3.0, dtype="float32"), vals(1.0000001, 2.1, 3.0, dtype="float32"))
    # allclose and equal give Python bools: compared as 0-d tensors
    add(g, "allclose.true", lambda lib, x: lib.tensor(lib.allclose(x, x * (1 + 1e-9))), const(4))
    add(g, "allclose.false", lambda lib, x: lib.tensor(x.allclose(x + 1e-3)), const(4))
    add(g, "allclose.nan", lambda lib, x, y: lib.tensor(
        [lib.allclose(x, y), lib.allclose(x, y, equal_nan=True)]), vals(nan, 1.0, grad=False),
        vals(nan, 1.0, grad=False))
    add(g, "allclose.dtype_mismatch", lambda lib, x, y: lib.allclose(x, y), ints(3), const(3),
        match="did not match")
    add(g, "equal.values", lambda lib, x: lib.tensor(
        [lib.equal(x, x * 1), lib.equal(x, x + 1), x.equal(x[:2]), lib.equal(x, x.float())]),
        vals(1.0, 2.0, 3.0, grad=False))
    add(g, "equal.nan", lambda lib, x: lib.tensor(lib.equal(x, x * 1)), vals(nan, 1.0, grad=False))
    add(g, "equal.int_float", lambda lib, x: lib.tensor(
        [lib.equal(x, x.double()), lib.equal(x, x.double() + 0.5)]), ints(3))


def _logical() -> None:
    from tests.golden.cases import add, const, ints, mask, vals

    g = "logical"
    for name in ("logical_and", "logical_or", "logical_xor"):
        add(g, f"{name}.bool", lambda lib, a, b, name=name: getattr(lib, name)(a, b), mask(3, 4),
            mask(4))
        add(g, f"{name}.mixed", lambda lib, a, b, name=name: getattr(a, name)(b),
            vals(0.0, -0.0, 2.0, nan, inf, 0.5, grad=False), ints(6, low=-1, high=2))
        add(g, f"{name}.in_place", lambda lib, a, b, name=name: getattr(a * 1, f"{name}_")(b),
            const(4, kind="ties"), mask(4))
        add(g, f"{name}.empty_0d", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            const(0, 2), mask())
        add(g, f"{name}.number", lambda lib, a, name=name: getattr(lib, name)(a, 1), mask(3),
            match="must be Tensor")
    add(g, "logical_not.fn", lambda lib, a: lib.logical_not(a),
        vals(0.0, -0.0, 2.0, nan, inf, grad=False))
    add(g, "logical_not.method_int", lambda lib, a: a.logical_not(), ints(5, low=-2, high=2))
    add(g, "logical_not.in_place", lambda lib, a: (a * 1).logical_not_(), ints(5, low=-1,
                                                                                 high=2))
    add(g, "logical_not.bool", lambda lib, a: lib.logical_not(a), mask(2, 3))
    add(g, "logical_and.broadcast_error", lambda lib, a, b: lib.logical_and(a, b), mask(2, 3),
        mask(4))


def _in_place_operator(operator: str) -> Any:
    def run(lib: Any, a: Any, b: Any) -> Any:
        a = a.clone()
        if operator == "&":
            a &= b
        elif operator == "|":
            a |= b
        elif operator == "^":
            a ^= b
        elif operator == "<<":
            a <<= b
        else:
            a >>= b
        return a

    return run


BITWISE = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}
OPERATORS = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
             "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b}


def _bitwise() -> None:
    from tests.golden.cases import add, const, ints, mask, vals

    g = "logical_bitwise"
    for name, symbol in BITWISE.items():
        op = OPERATORS[symbol]
        add(g, f"{name}.fn_operator_reflected", lambda lib, a, b, name=name, op=op: (
            getattr(lib, name)(a, b), op(a, b), op(6, b)),
            ints(3, 4, low=-20, high=20), ints(4, low=-9, high=16))
        add(g, f"{name}.bool", lambda lib, a, b, name=name, op=op: (
            getattr(a, name)(b), op(a, True), op(a, 3)), mask(3, 1), mask(4))
        add(g, f"{name}.uint8_int8", lambda lib, a, b, op=op: op(a, b), ints(4, dtype="uint8",
                                                                           high=200),
            ints(4, dtype="int8", low=-100, high=100))
        add(g, f"{name}.in_place", _in_place_operator(symbol), ints(4, low=-9, high=9),
            ints(4, high=9))
        add(g, f"{name}.in_place_method", lambda lib, a, b, name=name: getattr(
            a.clone(), f"{name}_")(b), mask(4), mask(4))
        add(g, f"{name}.in_place_bool_int", _in_place_operator(symbol), mask(4), ints(4),
            match="can't be cast")
        add(g, f"{name}.float", lambda lib, a, b, op=op: op(a, b), const(3), const(3),
            match="not implemented")
        add(g, f"{name}.int_float_scalar", lambda lib, a, op=op: op(a, 1.5), ints(3),
            match="not implemented")
        add(g, f"{name}.empty_0d", lambda lib, a, b, op=op: op(a, b), ints(0, 3), ints())
    add(g, "bitwise_not.fn", lambda lib, a: lib.bitwise_not(a), ints(5, low=-3, high=3))
    add(g, "bitwise_not.bool", lambda lib, a: a.bitwise_not(), mask(5))
    add(g, "bitwise_not.uint8", lambda lib, a: ~a, ints(4, dtype="uint8", high=255))
    add(g, "bitwise_not.operator_bool", lambda lib, a: ~a, mask(2, 3))
    add(g, "bitwise_not.in_place", lambda lib, a: (a * 1).bitwise_not_(), ints(4, low=-3))
    add(g, "bitwise_not.float_fn", lambda lib, a: lib.bitwise_not(a), const(3),
        match="not implemented")
    add(g, "bitwise_not.float_operator", lambda lib, a: ~a, const(3), match="only implemented")
    add(g, "bitwise_and.broadcast_error", lambda lib, a, b: a & b, ints(2, 3), ints(4),
)
    add(g, "bitwise_and.values", lambda lib, a, b: a & b,
        vals(-1, 0, 2**62, -(2**63), 12345, dtype="int64"),
        vals(7, -1, -1, 1, -12345, dtype="int64"))


def _shifts() -> None:
    from tests.golden.cases import add, ints, mask, vals

    g = "logical_bitwise"
    for name, symbol in (("bitwise_left_shift", "<<"), ("bitwise_right_shift", ">>")):
        op = OPERATORS[symbol]
        add(g, f"{name}.fn", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
            ints(3, 4, low=-50, high=50), ints(4, low=0, high=8))
        add(g, f"{name}.method", lambda lib, a, b, name=name: getattr(a, name)(b),
            ints(2, 3, low=-50, high=50), ints(3, low=0, high=8))
        add(g, f"{name}.operator", lambda lib, a, b, op=op: op(a, b), ints(5, low=-9, high=9),
            ints(5, low=0, high=5))
        add(g, f"{name}.reflected", lambda lib, a, op=op: op(3, a), ints(5, low=0, high=6))
        add(g, f"{name}.out_of_range", lambda lib, a, b, op=op: op(a, b),
            vals(3, -4, 5, -6, 7, -8, 1, dtype="int64"),
            vals(-1, -1, 64, 64, 70, 70, 63, dtype="int64"))
        add(g, f"{name}.int32_out_of_range", lambda lib, a, b, op=op: op(a, b),
            vals(3, -4, 5, -6, dtype="int32"), vals(-2, 32, 31, 40, dtype="int32"))
        add(g, f"{name}.uint8", lambda lib, a, b, op=op: op(a, b),
            vals(255, 1, 128, 3, dtype="uint8"), vals(1, 7, 8, 200, dtype="uint8"))
        add(g, f"{name}.int8", lambda lib, a, b, op=op: op(a, b),
            vals(-128, 1, 64, -3, dtype="int8"), vals(1, 7, 8, -1, dtype="int8"))
        add(g, f"{name}.bool_int", lambda lib, a, op=op: op(a, 1), mask(4))
        add(g, f"{name}.bool_bool", lambda lib, a, b, op=op: op(a, b), mask(4), mask(4),
            match="not implemented")
        add(g, f"{name}.float", lambda lib, a, op=op: op(a, 1), vals(1.0, 2.0, grad=False),
            match="not implemented")
        add(g, f"{name}.int_by_float", lambda lib, a, op=op: op(a, 1.5), ints(3),
            match="not implemented")
        add(g, f"{name}.in_place", _in_place_operator(symbol), ints(4, low=-9, high=9),
            ints(4, high=4))
        add(g, f"{name}.in_place_method", lambda lib, a, name=name: getattr(
            a * 1, f"{name}_")(2), ints(4, low=-9, high=9))
