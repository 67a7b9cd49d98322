"""The op behind an in-place change through a view: write a view's new values into its base.

``v = base[0]; v.mul_(10)`` changes ``base`` too (they share memory). For the graph, PyTorch
records the new ``base`` as "the old base with the view's region replaced by the view's new
values" (its ``CopySlices`` node). Here that is ``ViewScatterOp``: for a view whose elements sit at
the flat positions ``index`` of the base (``index`` has the view's shape),

    z = b with z.flat[index] = s,
    dL/db = g with the view's region zeroed,   dL/ds = g.flat[index].

Both gradients select parts of g: they are linear in g and need no saved values, so the op
supports double backward.
"""

from __future__ import annotations

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.tensor import Tensor


class ViewScatterOp(Op):
    """z = b with the elements at the flat positions ``index`` replaced by ``s``.

    dL/db = g where the position is outside the view, else 0;  dL/ds = g.flat[index].
    """

    @staticmethod
    def forward(ctx, base, source, *, index):
        ctx.index = index
        out = np.array(base, copy=True)
        out.reshape(-1)[index.reshape(-1)] = np.broadcast_to(source, index.shape).reshape(-1)
        return out

    @staticmethod
    def backward(ctx, grad):
        index = ctx.index
        outside = np.ones(grad.shape, dtype=bool)
        outside.reshape(-1)[index.reshape(-1)] = False
        grad_base = either.masked_fill(grad, ~outside, 0.0)
        grad_source = grad.reshape((-1,))[index.reshape(-1)].reshape(index.shape)
        return grad_base, grad_source


def view_positions(replay: object, base: Tensor) -> np.ndarray:
    """The flat positions in ``base`` of the elements of the view that ``replay`` makes of it.

    The view is replayed on the positions themselves: ``replay(arange(numel).reshape(shape))``.
    """
    positions = Tensor._make(np.arange(base._data.size).reshape(base._data.shape))
    return np.asarray(replay(positions)._data)  # type: ignore[operator]
