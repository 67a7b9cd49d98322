"""Golden cases of the rearrange family (see ``cases.py`` for the registry and its helpers).

Groups: ``rearrange`` (flips, rolls, rotations, triangles, diagonals, windows, repeats) and
``rearrange_views`` (narrow, movedim, unflatten, unbind, splits, stacks, meshgrid,
broadcasting, transposes, in-place shape changes).
"""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _flips_and_rolls()
    _triangles()
    _diagonals()
    _windows_and_repeats()
    _slicing_views()
    _moving_dims()
    _splits()
    _stacks()
    _broadcasting_and_grids()
    _transposes_and_inplace()


def _flips_and_rolls() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "rearrange"
    add(g, "flip.dim0", lambda lib, x: lib.flip(x, (0,)), f(3, 4))
    add(g, "flip.two_dims", lambda lib, x: lib.flip(x, [0, -1]), f(2, 3, 4))
    add(g, "flip.method_args", lambda lib, x: x.flip(1, 2), f(2, 3, 4))
    add(g, "flip.no_dims", lambda lib, x: lib.flip(x, ()), f(2, 3))
    add(g, "flip.0d", lambda lib, x: lib.flip(x, (0,)), f())
    add(g, "flip.empty", lambda lib, x: lib.flip(x, (0, 1)), f(0, 3))
    add(g, "flip.int", lambda lib, x: lib.flip(x, (0,)), ints(5))
    add(g, "flip.bool", lambda lib, x: x.flip(0), mask(2, 3))
    add(g, "flip.nonfinite", lambda lib, x: lib.flip(x, (0,)), vals(inf, -inf, nan, -0.0, 1.0))
    add(g, "flip.repeated_dim", lambda lib, x: lib.flip(x, (0, 0)), f(2, 3),
        match="multiple times")
    add(g, "flip.out_of_range", lambda lib, x: lib.flip(x, (2,)), f(2, 3))
    add(g, "fliplr", lambda lib, x: lib.fliplr(x), f(3, 4))
    add(g, "fliplr.3d", lambda lib, x: x.fliplr(), f(2, 3, 2))
    add(g, "fliplr.1d", lambda lib, x: lib.fliplr(x), f(3), match=">= 2-d")
    add(g, "flipud", lambda lib, x: lib.flipud(x), f(3, 4))
    add(g, "flipud.1d", lambda lib, x: x.flipud(), f(4))
    add(g, "flipud.0d", lambda lib, x: lib.flipud(x), f(), match=">= 1-d")
    add(g, "roll.flat", lambda lib, x: lib.roll(x, 2), f(3, 4))
    add(g, "roll.flat_negative", lambda lib, x: x.roll(-5), f(3, 4))
    add(g, "roll.dim", lambda lib, x: lib.roll(x, 1, 0), f(3, 4))
    add(g, "roll.dims", lambda lib, x: lib.roll(x, (1, -2), (0, -1)), f(3, 4))
    add(g, "roll.big_shift", lambda lib, x: x.roll(7, 1), f(2, 3))
    add(g, "roll.same_dim_twice", lambda lib, x: lib.roll(x, (1, 1), (0, 0)), f(4))
    add(g, "roll.0d", lambda lib, x: lib.roll(x, 1), f())
    add(g, "roll.empty", lambda lib, x: lib.roll(x, 1, 0), f(0, 3))
    add(g, "roll.int", lambda lib, x: lib.roll(x, 1), ints(2, 3))
    add(g, "roll.mismatch", lambda lib, x: lib.roll(x, (1, 2), 0), f(3, 4), match="align")
    add(g, "roll.0d_dim", lambda lib, x: lib.roll(x, 1, 0), f())
    add(g, "roll.dim_out_of_range", lambda lib, x: lib.roll(x, 1, 2), f(3, 4))
    add(g, "rot90.default", lambda lib, x: lib.rot90(x), f(3, 4))
    for k in (-1, 0, 2, 3, 5):
        add(g, f"rot90.k{k}", lambda lib, x, k=k: lib.rot90(x, k), f(3, 4))
    add(g, "rot90.dims", lambda lib, x: lib.rot90(x, 1, (2, 0)), f(2, 3, 4))
    add(g, "rot90.method", lambda lib, x: x.rot90(3, [-1, -2]), f(2, 3, 4))
    add(g, "rot90.empty", lambda lib, x: lib.rot90(x), f(0, 2))
    add(g, "rot90.1d", lambda lib, x: lib.rot90(x), f(3), match="total dims")
    add(g, "rot90.same_dims", lambda lib, x: lib.rot90(x, 1, (1, 1)), f(3, 4),
        match="different")
    add(g, "rot90.three_dims", lambda lib, x: lib.rot90(x, 1, (0, 1, 2)), f(2, 3, 4),
        match="rotation dims")


def _triangles() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "rearrange"
    for name, k in (("main", 0), ("above", 1), ("below", -1), ("far", 5), ("far_below", -5)):
        add(g, f"tril.{name}", lambda lib, x, k=k: lib.tril(x, k), f(3, 4))
        add(g, f"triu.{name}", lambda lib, x, k=k: x.triu(diagonal=k), f(4, 3))
    add(g, "tril.batch", lambda lib, x: x.tril(), f(2, 3, 3))
    add(g, "triu.batch", lambda lib, x: lib.triu(x, 1), f(2, 2, 3, 3))
    add(g, "tril.empty", lambda lib, x: lib.tril(x), f(0, 3))
    add(g, "triu.empty_batch", lambda lib, x: lib.triu(x), f(0, 2, 2))
    add(g, "tril.int", lambda lib, x: lib.tril(x), ints(3, 3))
    add(g, "triu.bool", lambda lib, x: x.triu(), mask(3, 3))
    add(g, "tril.nonfinite", lambda lib, x: lib.tril(x),
        vals(inf, -inf, nan, 1.0, nan, -0.0, 2.0, inf, 3.0, shape=(3, 3)))
    add(g, "tril.1d", lambda lib, x: lib.tril(x), f(3), match="at least 2 dimensions")
    add(g, "triu.0d", lambda lib, x: x.triu(), f(), match="at least 2 dimensions")
    add(g, "tril_.inplace", lambda lib, x: (x * 1).tril_(), f(3, 3))
    add(g, "triu_.inplace", lambda lib, x: (x * 1).triu_(-1), f(3, 4))


def _diagonals() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "rearrange"
    add(g, "diagonal.main", lambda lib, x: lib.diagonal(x), f(3, 4))
    add(g, "diagonal.above", lambda lib, x: x.diagonal(1), f(3, 4))
    add(g, "diagonal.below", lambda lib, x: lib.diagonal(x, -2), f(3, 4))
    add(g, "diagonal.beyond", lambda lib, x: x.diagonal(5), f(3, 4))
    add(g, "diagonal.dims", lambda lib, x: lib.diagonal(x, 1, 2, 0), f(3, 2, 4))
    add(g, "diagonal.neg_dims", lambda lib, x: x.diagonal(0, -1, -2), f(2, 3, 4))
    add(g, "diagonal.empty", lambda lib, x: lib.diagonal(x), f(0, 3))
    add(g, "diagonal.int", lambda lib, x: lib.diagonal(x), ints(3, 3))
    add(g, "diagonal.same_dims", lambda lib, x: lib.diagonal(x, 0, 1, 1), f(3, 4),
        match="cannot be identical")
    add(g, "diagonal.1d", lambda lib, x: lib.diagonal(x), f(3))
    add(g, "diagonal.times_two", lambda lib, x: lib.diagonal(x * 1) * 2, f(3, 3))
    add(g, "diag_embed.default", lambda lib, x: lib.diag_embed(x), f(2, 3))
    add(g, "diag_embed.offset", lambda lib, x: lib.diag_embed(x, 1), f(3))
    add(g, "diag_embed.below", lambda lib, x: x.diag_embed(-2), f(2, 2))
    add(g, "diag_embed.dims", lambda lib, x: lib.diag_embed(x, 1, 0, 2), f(2, 3))
    add(g, "diag_embed.reversed_dims", lambda lib, x: lib.diag_embed(x, -1, -1, 0), f(2, 3))
    add(g, "diag_embed.empty", lambda lib, x: lib.diag_embed(x), f(2, 0))
    add(g, "diag_embed.int", lambda lib, x: lib.diag_embed(x), ints(3))
    add(g, "diag_embed.nonfinite", lambda lib, x: lib.diag_embed(x), vals(inf, nan, -0.0))
    add(g, "diag_embed.0d", lambda lib, x: lib.diag_embed(x), f())
    add(g, "diag_embed.same_dims", lambda lib, x: lib.diag_embed(x, 0, 0, 0), f(3),
        match="cannot be identical")
    add(g, "diag.vector", lambda lib, x: lib.diag(x), f(3))
    add(g, "diag.vector_offset", lambda lib, x: x.diag(2), f(3))
    add(g, "diag.vector_below", lambda lib, x: lib.diag(x, -1), f(2))
    add(g, "diag.matrix", lambda lib, x: lib.diag(x), f(3, 4))
    add(g, "diag.matrix_offset", lambda lib, x: x.diag(-1), f(3, 4))
    add(g, "diag.matrix_beyond", lambda lib, x: lib.diag(x, 4), f(3, 4))
    add(g, "diag.empty", lambda lib, x: lib.diag(x), f(0))
    add(g, "diag.int", lambda lib, x: lib.diag(x), ints(3))
    add(g, "diag.3d", lambda lib, x: lib.diag(x), f(2, 2, 2), match="1D or 2D")
    add(g, "diag.0d", lambda lib, x: lib.diag(x), f(), match="1D or 2D")
    add(g, "diagflat.vector", lambda lib, x: lib.diagflat(x), f(3))
    add(g, "diagflat.matrix", lambda lib, x: x.diagflat(1), f(2, 2))
    add(g, "diagflat.0d", lambda lib, x: lib.diagflat(x, -1), f())


def _windows_and_repeats() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "rearrange"
    add(g, "unfold.overlapping", lambda lib, x: x.unfold(0, 3, 1), f(6))
    add(g, "unfold.step", lambda lib, x: x.unfold(1, 2, 2), f(3, 5))
    add(g, "unfold.gaps", lambda lib, x: x.unfold(-1, 2, 3), f(2, 8))
    add(g, "unfold.middle", lambda lib, x: x.unfold(1, 3, 2), f(2, 7, 3))
    add(g, "unfold.whole", lambda lib, x: x.unfold(0, 4, 1), f(4, 2))
    # unfold's backward (UnfoldBackwardOp) as a forward: a gradient made with create_graph
    add(g, "unfold.backward_recorded", _unfold_gradient, f(3, 5), f(3, 2, 2))
    add(g, "unfold.size0", lambda lib, x: x.unfold(0, 0, 1), f(3))
    add(g, "unfold.empty", lambda lib, x: x.unfold(1, 2, 1), f(0, 3))
    add(g, "unfold.0d", lambda lib, x: x.unfold(0, 1, 1), f())
    add(g, "unfold.int", lambda lib, x: x.unfold(0, 2, 1), ints(4))
    add(g, "unfold.too_big", lambda lib, x: x.unfold(0, 4, 1), f(3), match="maximum size")
    add(g, "unfold.step0", lambda lib, x: x.unfold(0, 2, 0), f(3), match="step")
    add(g, "unfold.bad_dim", lambda lib, x: x.unfold(2, 1, 1), f(3, 2))
    add(g, "repeat_interleave.int", lambda lib, x: lib.repeat_interleave(x, 2), f(2, 3))
    add(g, "repeat_interleave.dim", lambda lib, x: lib.repeat_interleave(x, 3, dim=1), f(2, 3))
    add(g, "repeat_interleave.neg_dim", lambda lib, x: x.repeat_interleave(2, -2), f(2, 3))
    add(g, "repeat_interleave.tensor",
        lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 3]), dim=1), f(2, 3))
    add(g, "repeat_interleave.tensor_0d",
        lambda lib, x: x.repeat_interleave(lib.tensor(2), dim=0), f(2, 3))
    add(g, "repeat_interleave.tensor_one",
        lambda lib, x: x.repeat_interleave(lib.tensor([3]), dim=0), f(2, 3))
    add(g, "repeat_interleave.zero", lambda lib, x: lib.repeat_interleave(x, 0, 0), f(2, 3))
    add(g, "repeat_interleave.output_size",
        lambda lib, x: lib.repeat_interleave(x, 2, dim=0, output_size=4), f(2, 3))
    add(g, "repeat_interleave.0d", lambda lib, x: lib.repeat_interleave(x, 3), f())
    add(g, "repeat_interleave.empty", lambda lib, x: lib.repeat_interleave(x, 2, 0), f(0, 2))
    add(g, "repeat_interleave.int_input", lambda lib, x: x.repeat_interleave(2), ints(3))
    add(g, "repeat_interleave.bool_input", lambda lib, x: x.repeat_interleave(2, 0), mask(2))
    add(g, "repeat_interleave.counts_only",
        lambda lib, r: lib.repeat_interleave(r), vals(2, 0, 3, dtype="int64"))
    add(g, "repeat_interleave.negative", lambda lib, x: lib.repeat_interleave(x, -1), f(3),
        match="non-negative")
    add(g, "repeat_interleave.negative_tensor",
        lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, -1]), dim=0), f(2),
        match="negative")
    add(g, "repeat_interleave.size_mismatch",
        lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 2]), dim=0), f(3, 2),
        match="same size")
    add(g, "repeat_interleave.2d_repeats",
        lambda lib, x: lib.repeat_interleave(x, lib.tensor([[1, 2]]), dim=0), f(2),
        match="0-dim or 1-dim")
    add(g, "repeat_interleave.bad_output_size",
        lambda lib, x: lib.repeat_interleave(x, 2, dim=0, output_size=5), f(3),
        match="output_size")
    add(g, "repeat_interleave.float_repeats",
        lambda lib, x: lib.repeat_interleave(x, lib.tensor([1.0, 2.0]), dim=0), f(2))
    add(g, "repeat_interleave.nonfinite", lambda lib, x: lib.repeat_interleave(x, 2),
        vals(inf, nan, -0.0))
    add(g, "tile.fewer", lambda lib, x: lib.tile(x, (2,)), f(2, 3))
    add(g, "tile.more", lambda lib, x: x.tile(2, 1, 2), f(2, 3))
    add(g, "tile.same", lambda lib, x: lib.tile(x, (2, 3)), f(2, 2))
    add(g, "tile.none", lambda lib, x: lib.tile(x, ()), f(2, 3))
    add(g, "tile.0d", lambda lib, x: lib.tile(x, (3,)), f())
    add(g, "tile.zero", lambda lib, x: x.tile(0, 2), f(2, 2))
    add(g, "tile.int", lambda lib, x: lib.tile(x, (2,)), ints(3))
    add(g, "tile.negative", lambda lib, x: lib.tile(x, (-1,)), f(3), match="negative")


def _slicing_views() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "rearrange_views"
    add(g, "narrow.dim0", lambda lib, x: lib.narrow(x, 0, 1, 2), f(4, 3))
    add(g, "narrow.dim1", lambda lib, x: x.narrow(1, 0, 2), f(4, 3))
    add(g, "narrow.neg_dim", lambda lib, x: x.narrow(-1, 2, 1), f(2, 3))
    add(g, "narrow.neg_start", lambda lib, x: x.narrow(1, -2, 2), f(3, 4))
    add(g, "narrow.empty", lambda lib, x: x.narrow(0, 1, 0), f(3, 2))
    add(g, "narrow.at_end", lambda lib, x: x.narrow(0, 3, 0), f(3, 2))
    add(g, "narrow.tensor_start", lambda lib, x: x.narrow(1, lib.tensor(1), 2), f(3, 4))
    add(g, "narrow.int", lambda lib, x: x.narrow(0, 1, 2), ints(4))
    add(g, "narrow.too_long", lambda lib, x: x.narrow(1, 3, 2), f(3, 4), match="exceeds")
    add(g, "narrow.start_out_of_range", lambda lib, x: x.narrow(1, 5, 0), f(3, 4))
    add(g, "narrow.negative_length", lambda lib, x: x.narrow(0, 0, -1), f(3, 4))
    add(g, "narrow.0d", lambda lib, x: lib.narrow(x, 0, 0, 1), f(), match="0-dim")
    add(g, "unbind.dim0", lambda lib, x: lib.unbind(x), f(3, 2))
    add(g, "unbind.dim1", lambda lib, x: x.unbind(1), f(3, 2))
    add(g, "unbind.neg", lambda lib, x: x.unbind(-1), f(2, 2, 3))
    add(g, "unbind.1d", lambda lib, x: lib.unbind(x), f(3))
    add(g, "unbind.empty", lambda lib, x: lib.unbind(x, 1), f(2, 0))
    add(g, "unbind.int", lambda lib, x: x.unbind(), ints(2, 2))
    add(g, "unbind.0d", lambda lib, x: lib.unbind(x), f())
    add(g, "unflatten.middle", lambda lib, x: x.unflatten(1, (2, 3)), f(2, 6, 2))
    add(g, "unflatten.function", lambda lib, x: lib.unflatten(x, -1, (2, -1)), f(2, 6))
    add(g, "unflatten.one", lambda lib, x: x.unflatten(0, (4,)), f(4))
    add(g, "unflatten.ones", lambda lib, x: x.unflatten(0, (1, 4, 1)), f(4))
    add(g, "unflatten.empty", lambda lib, x: x.unflatten(0, (0, 2)), f(0, 3))
    add(g, "unflatten.bad", lambda lib, x: x.unflatten(1, (4, 2)), f(2, 6),
        match="multiply up")
    add(g, "unflatten.no_sizes", lambda lib, x: x.unflatten(1, ()), f(2, 6), match="non-empty")
    add(g, "unflatten.bad_dim", lambda lib, x: x.unflatten(2, (1, 2)), f(2, 2))
    add(g, "tensor_split.sections", lambda lib, x: lib.tensor_split(x, 3), f(7, 2))
    add(g, "tensor_split.more_sections", lambda lib, x: x.tensor_split(5), f(3))
    add(g, "tensor_split.indices", lambda lib, x: x.tensor_split([1, 4], dim=1), f(2, 6))
    add(g, "tensor_split.unordered", lambda lib, x: x.tensor_split((3, 1), 1), f(3, 4))
    add(g, "tensor_split.beyond", lambda lib, x: x.tensor_split([2, 9]), f(4))
    add(g, "tensor_split.negative_index", lambda lib, x: x.tensor_split([-1]), f(4))
    add(g, "tensor_split.tensor_indices",
        lambda lib, x: lib.tensor_split(x, lib.tensor([1, 2]), 1), f(2, 4))
    add(g, "tensor_split.tensor_sections",
        lambda lib, x: x.tensor_split(lib.tensor(2), dim=-1), f(2, 5))
    add(g, "tensor_split.empty", lambda lib, x: x.tensor_split(2), f(0, 2))
    add(g, "tensor_split.int", lambda lib, x: x.tensor_split(2), ints(5))
    add(g, "tensor_split.zero", lambda lib, x: x.tensor_split(0), f(4), match="larger than 0")
    add(g, "tensor_split.0d", lambda lib, x: lib.tensor_split(x, 1), f(), match="0 dims")
    add(g, "tensor_split.float_tensor",
        lambda lib, x: x.tensor_split(lib.tensor([1.0])), f(4), match="long")
    add(g, "tensor_split.2d_tensor",
        lambda lib, x: x.tensor_split(lib.tensor([[1]])), f(4), match="one-dimensional")
    add(g, "tensor_split.values", lambda lib, x: x.tensor_split(2), vals(inf, nan, 1.0))


def _moving_dims() -> None:
    from tests.golden.cases import add, f, ints

    g = "rearrange_views"
    add(g, "movedim.one", lambda lib, x: lib.movedim(x, 0, -1), f(2, 3, 4))
    add(g, "movedim.two", lambda lib, x: x.movedim((0, 1), (2, 0)), f(2, 3, 4))
    add(g, "movedim.negative", lambda lib, x: lib.movedim(x, [-1, -3], [0, 1]), f(2, 3, 4, 5))
    add(g, "movedim.same", lambda lib, x: lib.movedim(x, 1, 1), f(2, 3))
    add(g, "movedim.0d", lambda lib, x: lib.movedim(x, 0, 0), f())
    add(g, "movedim.empty", lambda lib, x: x.movedim(0, 1), f(0, 3))
    add(g, "movedim.int", lambda lib, x: x.movedim(0, 1), ints(2, 3))
    add(g, "movedim.repeated", lambda lib, x: lib.movedim(x, (0, 0), (1, 0)), f(2, 3),
        match="repeated dim")
    add(g, "movedim.lengths", lambda lib, x: lib.movedim(x, (0, 1), (1,)), f(2, 3),
        match="same number")
    add(g, "movedim.out_of_range", lambda lib, x: lib.movedim(x, 3, 0), f(2, 3))
    add(g, "moveaxis", lambda lib, x: lib.moveaxis(x, 2, 0), f(2, 3, 4))
    add(g, "moveaxis.method", lambda lib, x: x.moveaxis(-1, 1), f(2, 3, 4))
    add(g, "swapaxes", lambda lib, x: lib.swapaxes(x, 0, 2), f(2, 3, 4))
    add(g, "swapaxes.method", lambda lib, x: x.swapaxes(-1, 0), f(2, 3))
    add(g, "swapdims", lambda lib, x: lib.swapdims(x, 1, 0), f(2, 3))
    add(g, "swapdims.method", lambda lib, x: x.swapdims(0, 1), f(2, 3))
    add(g, "swapaxes.out_of_range", lambda lib, x: x.swapaxes(0, 2), f(2, 3))
    add(g, "t.function", lambda lib, x: lib.t(x), f(2, 3))
    add(g, "t.function_1d", lambda lib, x: lib.t(x), f(3))
    add(g, "t.0d", lambda lib, x: x.t(), f())
    add(g, "t.3d", lambda lib, x: x.t(), f(2, 3, 4), match="<= 2 dimensions")
    add(g, "squeeze.dims_tuple", lambda lib, x: lib.squeeze(x, (0, -1)), f(1, 3, 1))
    add(g, "squeeze.dims_not_one", lambda lib, x: x.squeeze((0, 1)), f(1, 3, 1))
    add(g, "squeeze.dims_list", lambda lib, x: x.squeeze([2]), f(1, 3, 1))
    add(g, "squeeze.dims_empty", lambda lib, x: x.squeeze(()), f(1, 3, 1))
    add(g, "squeeze.dims_repeated", lambda lib, x: x.squeeze((0, 0)), f(1, 2),
        match="multiple times")
    add(g, "squeeze.0d_dim", lambda lib, x: x.squeeze(0), f())
    add(g, "squeeze.dims_out_of_range", lambda lib, x: x.squeeze((0, 3)), f(1, 2))


def _splits() -> None:
    from tests.golden.cases import add, f, ints

    g = "rearrange_views"
    add(g, "hsplit.sections", lambda lib, x: lib.hsplit(x, 2), f(3, 4))
    add(g, "hsplit.1d", lambda lib, x: x.hsplit(3), f(6))
    add(g, "hsplit.indices", lambda lib, x: lib.hsplit(x, [1, 3]), f(2, 4, 2))
    add(g, "hsplit.not_divisible", lambda lib, x: lib.hsplit(x, 3), f(3, 4),
        match="not divisible")
    add(g, "hsplit.0d", lambda lib, x: lib.hsplit(x, 1), f(), match="at least 1 dimension")
    add(g, "vsplit.sections", lambda lib, x: lib.vsplit(x, 2), f(4, 3))
    add(g, "vsplit.indices", lambda lib, x: x.vsplit([1]), f(3, 2))
    add(g, "vsplit.1d", lambda lib, x: lib.vsplit(x, 2), f(4), match="at least 2 dimension")
    add(g, "vsplit.int", lambda lib, x: lib.vsplit(x, 2), ints(2, 2))
    add(g, "dsplit.sections", lambda lib, x: lib.dsplit(x, 2), f(2, 2, 4))
    add(g, "dsplit.indices", lambda lib, x: x.dsplit([2]), f(1, 2, 3))
    add(g, "dsplit.2d", lambda lib, x: lib.dsplit(x, 2), f(2, 2), match="at least 3 dimension")
    add(g, "dsplit.not_divisible", lambda lib, x: x.dsplit(2), f(1, 1, 3),
        match="not divisible")


def _stacks() -> None:
    from tests.golden.cases import add, f, ints, mask

    g = "rearrange_views"
    add(g, "hstack.1d", lambda lib, a, b: lib.hstack([a, b]), f(2), f(3))
    add(g, "hstack.2d", lambda lib, a, b: lib.hstack((a, b)), f(2, 1), f(2, 3))
    add(g, "hstack.0d", lambda lib, a, b: lib.hstack([a, b]), f(), f(2))
    add(g, "hstack.promotion", lambda lib, a, b: lib.hstack([a, b]), ints(2), f(2))
    add(g, "hstack.empty_list", lambda lib: lib.hstack([]), match="non-empty")
    add(g, "vstack.1d", lambda lib, a, b: lib.vstack([a, b]), f(3), f(3))
    add(g, "vstack.mixed", lambda lib, a, b: lib.vstack([a, b]), f(3), f(2, 3))
    add(g, "vstack.0d", lambda lib, a, b: lib.vstack([a, b]), f(), f())
    add(g, "vstack.bool_int", lambda lib, a, b: lib.vstack([a, b]), mask(2), ints(2))
    add(g, "vstack.mismatch", lambda lib, a, b: lib.vstack([a, b]), f(3), f(2))
    add(g, "vstack.empty_list", lambda lib: lib.vstack([]), match="non-empty")
    add(g, "row_stack", lambda lib, a, b: lib.row_stack((a, b)), f(2, 2), f(1, 2))
    add(g, "dstack.1d", lambda lib, a, b: lib.dstack([a, b]), f(3), f(3))
    add(g, "dstack.2d", lambda lib, a, b: lib.dstack([a, b]), f(2, 3), f(2, 3))
    add(g, "dstack.3d", lambda lib, a, b: lib.dstack([a, b]), f(2, 1, 2), f(2, 1, 1))
    add(g, "dstack.0d", lambda lib, a, b: lib.dstack([a, b]), f(), f())
    add(g, "column_stack.1d", lambda lib, a, b: lib.column_stack([a, b]), f(3), f(3))
    add(g, "column_stack.mixed", lambda lib, a, b, c: lib.column_stack([a, b, c]), f(2),
        f(2, 3), f(2, 1))
    add(g, "column_stack.0d", lambda lib, a, b: lib.column_stack([a, b]), f(), f(1))
    add(g, "column_stack.int", lambda lib, a, b: lib.column_stack([a, b]), ints(2), ints(2))
    add(g, "column_stack.mismatch", lambda lib, a, b: lib.column_stack([a, b]), f(3), f(2))
    add(g, "atleast_1d.0d", lambda lib, x: lib.atleast_1d(x), f())
    add(g, "atleast_1d.2d", lambda lib, x: lib.atleast_1d(x), f(2, 3))
    add(g, "atleast_1d.several", lambda lib, a, b: lib.atleast_1d(a, b), f(), f(2))
    add(g, "atleast_2d.0d", lambda lib, x: lib.atleast_2d(x), f())
    add(g, "atleast_2d.1d", lambda lib, x: lib.atleast_2d(x), f(3))
    add(g, "atleast_2d.3d", lambda lib, x: lib.atleast_2d(x), f(2, 1, 3))
    add(g, "atleast_2d.list", lambda lib, a, b: lib.atleast_2d([a, b]), f(), f(3))
    add(g, "atleast_3d.0d", lambda lib, x: lib.atleast_3d(x), f())
    add(g, "atleast_3d.1d", lambda lib, x: lib.atleast_3d(x), f(3))
    add(g, "atleast_3d.2d", lambda lib, x: lib.atleast_3d(x), f(2, 3))
    add(g, "atleast_3d.4d", lambda lib, x: lib.atleast_3d(x), f(1, 2, 1, 2))
    add(g, "atleast_3d.several", lambda lib, a, b: lib.atleast_3d(a, b), ints(2), f(2, 2))
    add(g, "atleast_3d.empty", lambda lib, x: lib.atleast_3d(x), f(0))


def _broadcasting_and_grids() -> None:
    from tests.golden.cases import add, const, f, ints

    g = "rearrange_views"
    add(g, "broadcast_to.function", lambda lib, x: lib.broadcast_to(x, (2, 3)), f(3))
    add(g, "broadcast_to.keep", lambda lib, x: lib.broadcast_to(x, (2, -1, 4)), f(3, 1))
    add(g, "broadcast_to.0d", lambda lib, x: lib.broadcast_to(x, (2, 2)), f())
    add(g, "broadcast_to.empty", lambda lib, x: lib.broadcast_to(x, (0, 3)), f(1, 3))
    add(g, "broadcast_to.bad", lambda lib, x: lib.broadcast_to(x, (2,)), f(3, 4))
    add(g, "broadcast_to.mismatch", lambda lib, x: lib.broadcast_to(x, (2, 4)), f(3))
    add(g, "broadcast_tensors.two", lambda lib, a, b: lib.broadcast_tensors(a, b), f(3, 1),
        f(4))
    add(g, "broadcast_tensors.three", lambda lib, a, b, c: lib.broadcast_tensors(a, b, c),
        f(2, 1, 1), f(3, 1), f())
    add(g, "broadcast_tensors.one", lambda lib, a: lib.broadcast_tensors(a), f(2))
    add(g, "broadcast_tensors.int", lambda lib, a, b: lib.broadcast_tensors(a, b), ints(3),
        f(2, 1))
    add(g, "broadcast_tensors.empty", lambda lib, a, b: lib.broadcast_tensors(a, b), f(0, 1),
        f(3))
    add(g, "broadcast_tensors.bad", lambda lib, a, b: lib.broadcast_tensors(a, b), f(3, 4),
        f(2))
    add(g, "broadcast_shapes", lambda lib: lib.tensor(lib.broadcast_shapes((2, 1), (3,), 1)))
    add(g, "broadcast_shapes.empty", lambda lib: lib.tensor(list(lib.broadcast_shapes())))
    add(g, "broadcast_shapes.zero", lambda lib: lib.tensor(lib.broadcast_shapes((0, 1), (4,))))
    add(g, "broadcast_shapes.bad", lambda lib: lib.broadcast_shapes((2, 3), (4,)),
        match="broadcast")
    add(g, "broadcast_shapes.negative", lambda lib: lib.broadcast_shapes((-1,)),
        match="negative")
    add(g, "expand_as.new_dims", lambda lib, x, y: x.expand_as(y), f(3), const(2, 3))
    add(g, "expand_as.bad", lambda lib, x, y: x.expand_as(y), f(3, 4), const(2))
    add(g, "view_as.bad", lambda lib, x, y: x.view_as(y), f(3, 4), const(2))
    add(g, "reshape_as.transposed", lambda lib, x, y: x.t().reshape_as(y), f(2, 3), const(6))
    add(g, "meshgrid.ij", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), f(3), f(2))
    add(g, "meshgrid.xy", lambda lib, a, b: lib.meshgrid(a, b, indexing="xy"), f(3), f(2))
    add(g, "meshgrid.xy_three", lambda lib, a, b, c: lib.meshgrid(a, b, c, indexing="xy"),
        f(2), f(3), f(4))
    add(g, "meshgrid.ij_three", lambda lib, a, b, c: lib.meshgrid([a, b, c], indexing="ij"),
        f(2), f(3), f(1))
    add(g, "meshgrid.one", lambda lib, a: lib.meshgrid(a, indexing="xy"), f(3))
    add(g, "meshgrid.0d", lambda lib, a, b: lib.meshgrid(a, b, indexing="xy"), f(), f(2))
    add(g, "meshgrid.empty", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), f(0), f(2))
    add(g, "meshgrid.int", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), ints(2),
        ints(3))
    add(g, "meshgrid.default_warns", lambda lib, a, b: lib.meshgrid(a, b), f(2), f(3),
        check_warnings=True)
    add(g, "meshgrid.ij_no_warning", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), f(2),
        f(3), check_warnings=True)
    add(g, "meshgrid.bad_indexing", lambda lib, a: lib.meshgrid(a, indexing="ji"), f(2),
        match="indexing must be")
    add(g, "meshgrid.2d", lambda lib, a: lib.meshgrid(a, indexing="ij"), f(2, 2),
        match="0D or 1D")
    add(g, "meshgrid.dtypes", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), ints(2),
        f(2), match="same dtype")
    add(g, "meshgrid.none", lambda lib: lib.meshgrid(indexing="ij"), match="non-empty")


def _transposes_and_inplace() -> None:
    from tests.golden.cases import add, f, ints

    g = "rearrange_views"
    add(g, "T.1d", lambda lib, x: x.T, f(3))
    add(g, "T.0d", lambda lib, x: x.T, f())
    # (PyTorch warns once per process for T on 3 dims, so its golden warning list may be empty;
    # the warning itself is tested in tests/test_rearrange.py)
    add(g, "T.3d", lambda lib, x: x.T, f(2, 3, 4))
    add(g, "mT.2d", lambda lib, x: x.mT, f(2, 3))
    add(g, "mT.1d", lambda lib, x: x.mT, f(3), match="matrices")
    add(g, "mT.0d", lambda lib, x: x.mT, f(), check_warnings=True)
    add(g, "mH.3d", lambda lib, x: x.mH, f(2, 3, 4))
    add(g, "mH.1d", lambda lib, x: x.mH, f(3), match="matrices")
    add(g, "H.2d", lambda lib, x: x.H, f(2, 3))
    add(g, "H.int", lambda lib, x: x.H, ints(2, 3))
    add(g, "H.3d", lambda lib, x: x.H, f(2, 3, 4), match="matrices (2-D tensors)")
    add(g, "H.1d", lambda lib, x: x.H, f(3), match="matrices (2-D tensors)")
    add(g, "H.0d", lambda lib, x: x.H, f(), check_warnings=True)

    def inplace(method: str, *args: Any) -> Any:
        return lambda lib, x: getattr(x * 1, method)(*args)

    add(g, "unsqueeze_.front", inplace("unsqueeze_", 0), f(2, 3))
    add(g, "unsqueeze_.back", inplace("unsqueeze_", -1), f(2, 3))
    add(g, "unsqueeze_.0d", inplace("unsqueeze_", 0), f())
    add(g, "squeeze_.all", inplace("squeeze_"), f(1, 3, 1))
    add(g, "squeeze_.dim", inplace("squeeze_", 2), f(1, 3, 1))
    add(g, "squeeze_.dims", inplace("squeeze_", (0, 2)), f(1, 3, 1))
    add(g, "t_.2d", inplace("t_"), f(2, 3))
    add(g, "t_.1d", inplace("t_"), f(3))
    add(g, "t_.3d", inplace("t_"), f(2, 3, 4), match="<= 2 dimensions")
    add(g, "transpose_", inplace("transpose_", 0, 2), f(2, 3, 4))
    add(g, "swapaxes_", inplace("swapaxes_", 1, 0), f(2, 3))
    add(g, "swapdims_", inplace("swapdims_", -1, 0), f(2, 3))
    add(g, "unsqueeze_.int", lambda lib, x: x.unsqueeze_(1), ints(3))
    add(g, "unsqueeze_.leaf", lambda lib, x: x.unsqueeze_(0), f(3), match="leaf Variable")
    add(g, "t_.leaf", lambda lib, x: x.t_(), f(2, 3), match="leaf Variable")
    add(g, "transpose_.view_of_leaf", lambda lib, x: x[0].transpose_(0, 1), f(2, 2, 3),
        match="view of a leaf Variable")
    add(g, "unsqueeze_.multi_output_view", lambda lib, x: (x * 1).unbind(0)[0].unsqueeze_(0),
        f(2, 3), match="multiple views")
    add(g, "unsqueeze_.after_saving_use", lambda lib, x: _unsqueeze_after_use(x, saved=True),
        f(2, 3), match="needed for gradient computation")
    add(g, "unsqueeze_.after_use", lambda lib, x: _unsqueeze_after_use(x, saved=False),
        f(2, 3))


def _unsqueeze_after_use(x: Any, saved: bool) -> Any:
    """An op that used a tensor later changed in place by unsqueeze_ sees its old shape; one
    that saved it refuses to backpropagate (the version counter was bumped)."""
    y = x * 2
    z = (y * y if saved else y + 1).sum(1)
    y.unsqueeze_(0)
    return z, y * 3


def _unfold_gradient(lib: Any, x: Any, w: Any) -> Any:
    """d/dx of Σ unfold(x)·w, recorded (create_graph), times x: exercises unfold's backward op
    in the forward pass and both of its derivatives."""
    h = x * 1
    (grad,) = lib.autograd.grad((h.unfold(1, 2, 2) * w).sum(), h, create_graph=True)
    return grad * x
