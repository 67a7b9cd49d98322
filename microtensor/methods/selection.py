"""Tensor methods: gather, scatter, index_*, masked_*, take, nonzero.

The ops are in ``ops/selection.py``; each method is a one-line call into it, and each in-place
``x.op_(...)`` writes ``op(x, ...)`` into x (``Tensor._inplace``).
"""

from __future__ import annotations

from typing import Any

from microtensor import ops


class SelectionMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:
        return ops.selection.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Any:
        return ops.selection.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Any:
        return self._inplace("scatter_", lambda t: ops.selection.scatter(
            t, dim, index, src, value=value, reduce=reduce))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return ops.selection.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._inplace("scatter_add_",
                             lambda t: ops.selection.scatter_add(t, dim, index, src))

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *,
                       include_self: bool = True) -> Any:
        return ops.selection.scatter_reduce(self, dim, index, src, reduce,
                                            include_self=include_self)

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *,
                        include_self: bool = True) -> Any:
        return self._inplace("scatter_reduce_", lambda t: ops.selection.scatter_reduce(
            t, dim, index, src, reduce, include_self=include_self))

    def index_select(self, dim: int, index: Any) -> Any:
        return ops.selection.index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return ops.selection.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return self._inplace("index_add_", lambda t: ops.selection.index_add(
            t, dim, index, source, alpha=alpha))

    def index_copy(self, dim: int, index: Any, source: Any) -> Any:
        return ops.selection.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Any:
        return self._inplace("index_copy_",
                             lambda t: ops.selection.index_copy(t, dim, index, source))

    def index_fill(self, dim: int, index: Any, value: Any) -> Any:
        return ops.selection.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        return self._inplace("index_fill_",
                             lambda t: ops.selection.index_fill(t, dim, index, value))

    def masked_select(self, mask: Any) -> Any:
        return ops.selection.masked_select(self, mask)

    def masked_scatter(self, mask: Any, source: Any) -> Any:
        return ops.selection.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Any, source: Any) -> Any:
        return self._inplace("masked_scatter_",
                             lambda t: ops.selection.masked_scatter(t, mask, source))

    def take(self, index: Any) -> Any:
        return ops.selection.take(self, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Any:
        return ops.selection.take_along_dim(self, indices, dim)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return ops.selection.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Any:
        return ops.selection.argwhere(self)
