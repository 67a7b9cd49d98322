"""Data sets: the 8x8 handwritten digits shipped with scikit-learn, and MNIST from IDX files.

    digits = mt.datasets.load_digits()                     # 1797 images, (N, 1, 8, 8)
    train, val, test = digits.split((0.7, 0.15, 0.15), seed=0)

    train = mt.datasets.MNIST("data", train=True)          # needs the four IDX files in data/

Nothing here downloads anything: microtensor works offline. The digits come from inside the
scikit-learn package (an optional dependency: ``pip install -e ".[examples]"``); MNIST is read
from files you put in a folder yourself (the ones torchvision downloads work as they are).

``read_idx`` / ``write_idx`` read and write the IDX format MNIST is stored in: a 4-byte magic
number (two zero bytes, a dtype code, the number of dimensions), one big-endian uint32 per
dimension, then the values in C order, big-endian.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microtensor._files import PathLike, write_bytes_atomically
from microtensor.random import Generator, generator
from microtensor.tensor import Tensor
from microtensor.utils.data import BatchFetcher, Dataset, TensorDataset, split_lengths

__all__ = ["MNIST", "Digits", "FashionMNIST", "load_digits", "read_idx", "write_idx"]


# --------------------------------------------------------------------------------- IDX
_IDX_DTYPES: dict[int, tuple[str, np.dtype]] = {
    0x08: ("ubyte", np.dtype(">u1")),
    0x09: ("byte", np.dtype(">i1")),
    0x0B: ("short", np.dtype(">i2")),
    0x0C: ("int", np.dtype(">i4")),
    0x0D: ("float", np.dtype(">f4")),
    0x0E: ("double", np.dtype(">f8")),
}
_IDX_CODES: dict[np.dtype, int] = {dtype.newbyteorder("="): code
                                   for code, (_, dtype) in _IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed if it is gzipped (by name or by its first two bytes)."""
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: {path}: no such file")
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"read_idx: {path}: not a valid gzip file ({err})") from err
    return raw


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzipped) into a NumPy array of native byte order.

    The dtype follows the header: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64. Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the
    file for a bad magic number, an unknown dtype code, or a size that does not match the header.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(
            f"read_idx: {path}: file has {len(raw)} bytes; an IDX file starts with a 4-byte "
            "magic number"
        )
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"read_idx: {path}: bad magic number 0x{magic:08x} (expected 0x0000 then a dtype "
            "code and the number of dimensions)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02x} {name}" for c, (name, _) in _IDX_DTYPES.items())
        raise ValueError(
            f"read_idx: {path}: bad magic number 0x{magic:08x}: unknown dtype code 0x{code:02x} "
            f"(expected one of {known})"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"read_idx: {path}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"file has {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    dtype = _IDX_DTYPES[code][1]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_size
    if actual < expected:
        raise ValueError(
            f"read_idx: {path}: truncated: header says {expected} bytes of data (shape {shape}, "
            f"{_IDX_DTYPES[code][0]}), file has {actual}"
        )
    if actual > expected:
        raise ValueError(
            f"read_idx: {path}: {actual - expected} unexpected bytes after the data: header "
            f"says {expected} bytes of data (shape {shape}, {_IDX_DTYPES[code][0]}), file has "
            f"{actual}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header_size)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: PathLike, array: np.ndarray | Tensor) -> None:
    """Write ``array`` as an IDX file, gzipped if ``path`` ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64. The file is written to a
    temporary name and renamed, so a crash never leaves a half-written file behind.
    """
    path = Path(path)
    if isinstance(array, Tensor):
        array = array._data
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise TypeError(
            f"write_idx: {path}: IDX cannot store dtype {array.dtype}; use one of uint8, int8, "
            "int16, int32, float32, float64 (e.g. array.astype(np.int32))"
        )
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"write_idx: {path}: shape {array.shape} does not fit an IDX header")
    code = _IDX_CODES[native]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        size.to_bytes(4, "big") for size in array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code][1]).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    write_bytes_atomically(path, payload)


# --------------------------------------------------------------------------------- MNIST
class MNIST(Dataset):
    """The MNIST handwritten digits, read from the standard IDX files in a folder.

    Args:
        root: the folder holding the files, or a folder with them in ``MNIST/raw`` (where
            torchvision puts them) or ``raw``.
        train: the 60,000 training images (``train-*`` files) or the 10,000 test images
            (``t10k-*`` files).
        transform: applied to each image (a float32 Tensor of shape (1, 28, 28) in [0, 1]).
        target_transform: applied to each label (a Python int).
        download: accepted for PyTorch code; microtensor never downloads (it works offline), so
            when the files are missing it raises with instructions instead.

    Files: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each raw or ``.gz``, also spelled ``...-images.idx3-ubyte``.

    Attributes: ``images`` (float32 Tensor (N, 1, 28, 28), values / 255), ``labels`` (int64
    Tensor (N,); also ``targets`` as in torchvision), ``classes``.
    ``dataset[i]`` is ``(image, label)`` after the transforms.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(
        self,
        root: PathLike,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = Path(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        images_path = self._find(f"{prefix}-images", "idx3-ubyte", download)
        labels_path = self._find(f"{prefix}-labels", "idx1-ubyte", download)
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        name = type(self).__name__
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"{name}: {images_path}: expected uint8 images of shape (N, H, W), got "
                f"{images.dtype} of shape {images.shape}"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(
                f"{name}: {labels_path}: expected uint8 labels of shape (N,), got "
                f"{labels.dtype} of shape {labels.shape}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{name}: {images_path.name} has {len(images)} images but {labels_path.name} "
                f"has {len(labels)} labels"
            )
        scaled = images[:, None].astype(np.float32)
        scaled *= np.float32(1 / 255)
        self.images = Tensor._make(scaled)
        self.labels = Tensor._make(labels.astype(np.int64))

    def _folders(self) -> list[Path]:
        return [self.root, self.root / type(self).__name__ / "raw", self.root / "raw"]

    def _find(self, stem: str, kind: str, download: bool) -> Path:
        """The path of ``stem-kind`` in one of its spellings, or an error listing what is there."""
        names = [f"{stem}-{kind}", f"{stem}.{kind}"]
        for folder in self._folders():
            for name in names:
                for candidate in (folder / name, folder / f"{name}.gz"):
                    if candidate.is_file():
                        return candidate
        found = sorted(p.name for p in self.root.iterdir()) if self.root.is_dir() else []
        where = " or ".join(str(folder) for folder in self._folders())
        listing = ", ".join(found) if found else "nothing" if self.root.is_dir() else (
            "the folder does not exist")
        why = ("download=True was given, but microtensor never downloads (it works offline). "
               if download else "")
        raise FileNotFoundError(
            f"{type(self).__name__}: expected {stem}-{kind}(.gz) in {where}; found: {listing}. "
            f"{why}microtensor does not download data (this machine may have no internet): "
            "copy the four IDX files there (those torchvision downloads work as they are)."
        )

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = Tensor._make(self.images._data[index].copy())  # transforms may write
        label: Any = int(self.labels._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _batch_fetcher(self) -> BatchFetcher | None:
        if (self.transform is not None or self.target_transform is not None
                or type(self).__getitem__ is not MNIST.__getitem__):
            return None
        images, labels = self.images, self.labels
        return lambda indices: [images[indices], labels[indices]]

    @property
    def targets(self) -> Tensor:
        return self.labels

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}, {len(self)} images of {self.images.shape[1:]})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same file names and format as MNIST, clothes instead of
    digits. Looks in ``root``, ``root/FashionMNIST/raw`` and ``root/raw``."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


# --------------------------------------------------------------------------------- digits
@dataclass
class Digits:
    """The 8x8 digits: ``images`` float32 (N, 1, 8, 8) in [0, 1], ``labels`` int64 (N,)."""

    images: Tensor
    labels: Tensor

    classes = list(range(10))

    def __len__(self) -> int:
        return self.labels.shape[0]

    def dataset(self) -> TensorDataset:
        """All samples as one ``TensorDataset`` of (image, label)."""
        return TensorDataset(self.images, self.labels)

    def split(
        self,
        fractions: Sequence[float] = (0.8, 0.2),
        seed: int = 0,
        stratify: bool = True,
    ) -> tuple[TensorDataset, ...]:
        """Seeded random split into ``TensorDataset``s (e.g. train, val, test).

        Sizes follow ``random_split``'s rule for fractions. With ``stratify`` each split gets
        (to within one sample) the same share of every class; the order inside each split is
        shuffled. Set ``split.transform`` on the training set for augmentation.
        """
        fractions = list(fractions)
        if not fractions or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1):
            raise ValueError(f"Digits.split: fractions must be >= 0 and sum to 1, got {fractions}")
        n = len(self)
        sizes = split_lengths(n, fractions)
        rng = generator(Generator(seed))
        labels = self.labels._data
        if stratify:
            order = _stratified_order(labels, rng)
        else:
            order = rng.permutation(n)
        pieces, start = [], 0
        for size in sizes:
            indices = rng.permutation(order[start : start + size])
            pieces.append(TensorDataset(self.images[indices], self.labels[indices]))
            start += size
        return tuple(pieces)


def _stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation in which every class is spread evenly, so any contiguous run of it holds
    each class in proportion (systematic sampling).

    Inside class c (n_c samples, shuffled) the k-th sample gets the position (k + 0.5) / n_c in
    [0, 1); sorting all samples by position (ties broken at random) interleaves the classes.
    """
    position = np.empty(len(labels))
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        position[members] = (np.arange(len(members)) + 0.5) / len(members)
    tie_break = rng.random(len(labels))
    return np.lexsort((tie_break, position))


def load_digits() -> Digits:
    """The 1,797 handwritten digits (8x8 pixels, 10 classes) that scikit-learn ships.

    Returns a ``Digits`` with ``images`` float32 (N, 1, 8, 8) scaled from 0..16 to [0, 1] and
    ``labels`` int64 (N,); ``.split((0.8, 0.2), seed=0)`` gives seeded ``TensorDataset``s and
    ``.dataset()`` the whole set. No network: the data is inside the scikit-learn package.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as err:
        raise ImportError(
            "load_digits needs scikit-learn, which ships the digits data: install the examples "
            'extra with pip install -e ".[examples]" (or pip install scikit-learn)'
        ) from err
    bunch = sklearn_load_digits()
    images = (np.asarray(bunch.images, dtype=np.float32) / np.float32(16)).reshape(-1, 1, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    return Digits(Tensor._make(np.ascontiguousarray(images)), Tensor._make(labels))
