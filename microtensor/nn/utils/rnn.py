"""``nn.utils.rnn``: batches of sequences of different lengths, padded or packed.

A *padded* batch is one tensor (L, N, *) (or (N, L, *) with ``batch_first``) whose sequence i
fills the first lengths[i] steps; the rest is ``padding_value``. A *packed* batch
(``PackedSequence``) keeps only the real elements, time-major: the rows of step 0 of every
sequence, then those of step 1 of the sequences at least 2 long, and so on, with
``batch_sizes[t]`` = how many sequences are longer than t. Sequences are stored sorted by
decreasing length; ``sorted_indices`` / ``unsorted_indices`` map between that order and yours.
A recurrent layer given a PackedSequence runs each sequence for its own length only, so the
final hidden state of a short sequence is taken at its last real step, not after the padding.

Every function here moves rows with differentiable indexing (a gather, whose backward is a
scatter-add), so gradients flow from packed outputs back to padded inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from microtensor.ops import shape as _shape
from microtensor.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


class PackedSequence(NamedTuple):
    """A packed batch: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per step),
    ``sorted_indices`` and ``unsorted_indices`` (None when the batch was given sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    @property
    def is_cuda(self) -> bool:
        return False


def _int64(values: Any) -> Tensor:
    return Tensor._make(np.asarray(values, dtype=np.int64))


def _lengths_array(lengths: Any) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return np.asarray(lengths._data, dtype=np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _lengths_of(batch_sizes: Tensor) -> np.ndarray:
    """lengths[i] = number of steps t with batch_sizes[t] > i (sorted order)."""
    sizes = np.asarray(batch_sizes._data if isinstance(batch_sizes, Tensor) else batch_sizes)
    return (sizes[None, :] > np.arange(int(sizes[0]))[:, None]).sum(1)


# --------------------------------------------------------------------------- padding


def pad_sequence(sequences: Tensor | Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences (Lᵢ, *) into one (max L, N, *) tensor ((N, max L, *) with
    ``batch_first``), filling the missing steps with ``padding_value`` on the right (or, with
    ``padding_side="left"``, before the sequence). Differentiable in every sequence."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = _shape.unbind(sequences, 0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if any(s.ndim == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs at least one dimension (its "
                           "length); got a 0-d tensor")
    longest = max(s.shape[0] for s in sequences)
    dtype = sequences[0].dtype  # PyTorch fills a tensor of the first sequence's dtype
    padded = []
    for sequence in sequences:
        if sequence.dtype != dtype:
            sequence = sequence.to(dtype)
        missing = longest - sequence.shape[0]
        if missing:
            trailing = (0, 0) * (sequence.ndim - 1)
            side = (0, missing) if padding_side == "right" else (missing, 0)
            sequence = _pad_constant(sequence, trailing + side, padding_value)
        padded.append(sequence)
    return _shape.stack(padded, 0 if batch_first else 1)


def _pad_constant(tensor: Tensor, pad: tuple[int, ...], value: float) -> Tensor:
    from microtensor.nn import functional as F

    return F.pad(tensor, pad, value=value)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """The inverse of ``pad_sequence`` (right padding): the list of sequences, each cut to its
    length."""
    lengths = _lengths_array(lengths)
    if not batch_first:
        padded_sequences = _shape.transpose(padded_sequences, 0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(lengths)]


# --------------------------------------------------------------------------- packing


def _sorting(lengths: np.ndarray, enforce_sorted: bool) -> tuple[np.ndarray | None, np.ndarray]:
    """(sorted_indices or None, lengths in decreasing order)."""
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        return None, lengths
    order = np.argsort(-lengths, kind="stable")
    return order, lengths[order]


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (L, N, *) ((N, L, *) with ``batch_first``) whose sequence i is
    ``lengths[i]`` long. With ``enforce_sorted`` (the default) lengths must be decreasing;
    otherwise the batch is sorted here and the permutation kept in the result."""
    lengths = _lengths_array(lengths)
    batch = input.shape[0 if batch_first else 1]
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    order, sorted_lengths = _sorting(lengths, enforce_sorted)
    if batch_first:
        input = _shape.transpose(input, 0, 1)
    if sorted_lengths.size and sorted_lengths[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length ({sorted_lengths[0]}) exceeds the "
                           f"padded sequence length ({input.shape[0]})")
    if order is not None:
        input = input[:, order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(int(sorted_lengths[0]))[:, None]).sum(1)
    unsorted = None if order is None else _int64(np.argsort(order))
    return _pack_padded_sorted(input, _int64(batch_sizes),
                               None if order is None else _int64(order), unsorted)


def _pack_padded_sorted(padded: Tensor, batch_sizes: Tensor, sorted_indices: Tensor | None,
                        unsorted_indices: Tensor | None) -> PackedSequence:
    """Pack a padded (L', N, *) batch already in sorted order (L' ≥ number of steps)."""
    sizes = np.asarray(batch_sizes._data)
    steps = len(sizes)
    keep = np.arange(padded.shape[1])[None, :] < sizes[:, None]  # (steps, N), time-major
    data = padded[:steps][Tensor._make(keep)]
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def _unpack_sorted(packed: PackedSequence, padding_value: float = 0.0,
                   total_length: int | None = None) -> Tensor:
    """The packed rows laid out as (L, N, *) in sorted order, missing steps = padding_value.

    One gather: row (t, i) takes packed row offset[t] + i, or an extra padding row."""
    sizes = np.asarray(packed.batch_sizes._data)
    steps, batch = len(sizes), int(sizes[0])
    length = steps if total_length is None else total_length
    data = packed.data
    pad_row = Tensor._make(np.full((1, *data.shape[1:]), padding_value, dtype=data.dtype))
    rows = _shape.cat([data, pad_row], 0)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    columns = np.arange(batch)
    index = np.where(columns[None, :] < sizes[:, None], offsets[:, None] + columns[None, :],
                     data.shape[0])
    index = np.concatenate([index, np.full((length - steps, batch), data.shape[0])], 0)
    return rows[Tensor._make(index.astype(np.int64))]


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None
                        ) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: (padded batch in your order, lengths int64).
    ``total_length`` pads to that many steps (at least the longest sequence)."""
    steps = len(sequence.batch_sizes._data)
    if total_length is not None and total_length < steps:
        raise ValueError(f"Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {steps}")
    padded = _unpack_sorted(sequence, padding_value, total_length)
    lengths = _lengths_of(sequence.batch_sizes)
    if sequence.unsorted_indices is not None:
        unsorted = np.asarray(sequence.unsorted_indices._data)
        padded = padded[:, unsorted]
        lengths = lengths[unsorted]
    if batch_first:
        padded = _shape.transpose(padded, 0, 1)
    return padded, _int64(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (Lᵢ, *): ``pad_sequence`` then ``pack_padded_sequence``."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``: the list of sequences, in your order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
