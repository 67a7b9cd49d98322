"""Per-sample image transforms for data augmentation, in NumPy (torchvision's names).

Every transform takes one image, a ``(C, H, W)`` float array or Tensor (a 2-D ``(H, W)`` image
is one channel), and returns a new image of the same kind, shape and dtype; inputs are never
modified. Random transforms draw from the global generator (``mt.manual_seed``) or from their
own ``generator=mt.Generator(seed)``, so a seed fixes the output.

    train_transform = transforms.Compose([
        transforms.RandomRotation(10),
        transforms.RandomShift(2),
        transforms.Normalize((0.1307,), (0.3081,)),
    ])
    train = mt.datasets.MNIST("data", train=True, transform=train_transform)

The deterministic work is done by plain functions (``normalize``, ``shift``, ``pad``, ``crop``,
``rotate``, ``hflip``, ``vflip``), usable on their own; the classes draw random parameters and
call them. Transforms are data preprocessing: they do not record autograd graphs.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microtensor import random as _random
from microtensor._arguments import int_pair
from microtensor.tensor import Tensor

__all__ = [
    "CenterCrop",
    "Compose",
    "GaussianNoise",
    "Lambda",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomShift",
    "RandomVerticalFlip",
    "ToTensor",
    "crop",
    "hflip",
    "normalize",
    "pad",
    "rotate",
    "shift",
    "vflip",
]

Image = Any  # a (C, H, W) or (H, W) np.ndarray or Tensor


# ------------------------------------------------------------------------------- helpers
def _unwrap(image: Image, name: str) -> tuple[np.ndarray, bool]:
    """The image as an array, and whether it came as a Tensor."""
    if isinstance(image, Tensor):
        array, was_tensor = image._data, True
    elif isinstance(image, np.ndarray):
        array, was_tensor = image, False
    else:
        raise TypeError(
            f"{name}: expected an image as an np.ndarray or Tensor, got {type(image).__name__}"
        )
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name}: expected an image of shape (C, H, W) or (H, W), got shape {array.shape}"
        )
    return array, was_tensor


def _wrap(array: np.ndarray, was_tensor: bool) -> Image:
    return Tensor._make(array) if was_tensor else array


def _require_float(array: np.ndarray, name: str) -> None:
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected a float image, got dtype {array.dtype}; convert it first "
            "(ToTensor scales uint8 images to floats in [0, 1])"
        )


# ------------------------------------------------------------------- deterministic functions
def normalize(image: Image, mean: float | Sequence[float], std: float | Sequence[float]) -> Image:
    """``(image[c] - mean[c]) / std[c]`` for each channel ``c`` (one value applies to all)."""
    array, was_tensor = _unwrap(image, "normalize")
    _require_float(array, "normalize")
    channels = array.shape[0] if array.ndim == 3 else 1
    mean_a = np.asarray(mean, dtype=array.dtype).reshape(-1)
    std_a = np.asarray(std, dtype=array.dtype).reshape(-1)
    for label, values in (("mean", mean_a), ("std", std_a)):
        if values.size not in (1, channels):
            raise ValueError(
                f"normalize: {label} has {values.size} values but the image has {channels} "
                f"channel(s) (shape {array.shape}); give one value per channel or a single value"
            )
    if np.any(std_a == 0):
        raise ValueError(f"normalize: std must not contain zeros, got {std_a.tolist()}")
    if array.ndim == 3:
        mean_a, std_a = mean_a.reshape(-1, 1, 1), std_a.reshape(-1, 1, 1)
    return _wrap((array - mean_a) / std_a, was_tensor)


def hflip(image: Image) -> Image:
    """Mirror left-right (reverse the last axis)."""
    array, was_tensor = _unwrap(image, "hflip")
    return _wrap(array[..., ::-1].copy(), was_tensor)


def vflip(image: Image) -> Image:
    """Mirror top-bottom (reverse the row axis)."""
    array, was_tensor = _unwrap(image, "vflip")
    return _wrap(array[..., ::-1, :].copy(), was_tensor)


def shift(image: Image, dy: int, dx: int, fill: float = 0) -> Image:
    """Translate by whole pixels: the pixel at (y, x) moves to (y + dy, x + dx).

    Pixels moved out of the frame are lost; uncovered ones get ``fill``.
    """
    array, was_tensor = _unwrap(image, "shift")
    height, width = array.shape[-2:]
    out = np.full_like(array, fill)
    dy, dx = int(dy), int(dx)
    if abs(dy) < height and abs(dx) < width:
        out[..., max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = array[
            ..., max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
        ]
    return _wrap(out, was_tensor)


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _padding_amounts(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """torchvision's padding forms as (left, top, right, bottom)."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if isinstance(padding, Sequence) and len(padding) == 4:
        left, top, right, bottom = (int(p) for p in padding)
        return left, top, right, bottom
    raise ValueError(
        "pad: padding must be an int, (left/right, top/bottom) or (left, top, right, bottom), "
        f"got {padding!r}"
    )


def _pad_constant(
    array: np.ndarray, top: int, bottom: int, left: int, right: int, fill: float
) -> np.ndarray:
    """``np.pad(..., mode="constant")`` on the last two axes, ten times faster on small images."""
    height, width = array.shape[-2:]
    out = np.full(array.shape[:-2] + (top + height + bottom, left + width + right), fill,
                  dtype=array.dtype)
    out[..., top : top + height, left : left + width] = array
    return out


def pad(
    image: Image,
    padding: int | Sequence[int],
    fill: float = 0,
    padding_mode: str = "constant",
) -> Image:
    """Pad the borders (torchvision's argument order).

    ``padding`` is one int for all sides, ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; ``padding_mode`` is ``"constant"`` (with ``fill``),
    ``"edge"``, ``"reflect"`` or ``"symmetric"``.
    """
    array, was_tensor = _unwrap(image, "pad")
    if padding_mode not in _PAD_MODES:
        raise ValueError(
            f"pad: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}"
        )
    left, top, right, bottom = _padding_amounts(padding)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"pad: padding must be >= 0, got {padding!r}")
    if padding_mode == "constant":
        out = _pad_constant(array, top, bottom, left, right, fill)
    else:
        widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
        out = np.pad(array, widths, mode=_PAD_MODES[padding_mode])
    return _wrap(out, was_tensor)


def crop(image: Image, top: int, left: int, height: int, width: int) -> Image:
    """The ``height`` x ``width`` window whose top-left pixel is (top, left); must fit inside."""
    array, was_tensor = _unwrap(image, "crop")
    rows, cols = array.shape[-2:]
    if top < 0 or left < 0 or top + height > rows or left + width > cols or min(height, width) < 1:
        raise ValueError(
            f"crop: window top={top}, left={left}, height={height}, width={width} does not fit "
            f"in an image of {rows}x{cols}"
        )
    return _wrap(array[..., top : top + height, left : left + width].copy(), was_tensor)


@functools.lru_cache(maxsize=32)
def _centred_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of every pixel from the image centre (cached per size)."""
    ys, xs = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2,
                         indexing="ij")
    ys.flags.writeable = False
    xs.flags.writeable = False
    return ys, xs


def rotate(image: Image, angle: float, fill: float = 0) -> Image:
    """Rotate counter-clockwise by ``angle`` degrees about the image centre (bilinear).

    Each output pixel (y, x) looks up where it came from, (y', x') = R(-angle) (y, x) about the
    centre ((H - 1) / 2, (W - 1) / 2), and blends the four pixels around that point:

        value = (1-a)(1-b) I[y0, x0] + (1-a) b I[y0, x0+1] + a (1-b) I[y0+1, x0] + a b I[y0+1, x0+1]

    with y0 = floor(y'), a = y' - y0, x0 = floor(x'), b = x' - x0. Neighbours outside the image
    count as ``fill``. (torchvision's RandomRotation defaults to nearest-neighbour instead.)
    """
    array, was_tensor = _unwrap(image, "rotate")
    _require_float(array, "rotate")
    height, width = array.shape[-2:]
    theta = math.radians(float(angle))
    cos, sin = math.cos(theta), math.sin(theta)
    # exact values for multiples of 90 degrees, so quarter turns move pixels exactly
    cos, sin = (round(cos) if abs(cos - round(cos)) < 1e-12 else cos,
                round(sin) if abs(sin - round(sin)) < 1e-12 else sin)
    ys, xs = _centred_grid(height, width)
    # source position of every output pixel (rows grow downwards, so the signs of a
    # counter-clockwise turn on screen are those of a clockwise turn in (x, y) maths)
    src_x = cos * xs - sin * ys + (width - 1) / 2
    src_y = sin * xs + cos * ys + (height - 1) / 2
    x_floor, y_floor = np.floor(src_x), np.floor(src_y)
    b = (src_x - x_floor).astype(array.dtype)
    a = (src_y - y_floor).astype(array.dtype)
    # a one-pixel ring of ``fill`` around the image: neighbours outside it are clipped onto
    # the ring, so they read ``fill`` without a mask (index +1 for the ring)
    framed = _pad_constant(array, 1, 1, 1, 1, fill)
    x0 = np.clip(x_floor.astype(np.int64) + 1, 0, width + 1)
    x1 = np.clip(x_floor.astype(np.int64) + 2, 0, width + 1)
    y0 = np.clip(y_floor.astype(np.int64) + 1, 0, height + 1)
    y1 = np.clip(y_floor.astype(np.int64) + 2, 0, height + 1)
    out = ((1 - a) * ((1 - b) * framed[..., y0, x0] + b * framed[..., y0, x1])
           + a * ((1 - b) * framed[..., y1, x0] + b * framed[..., y1, x1]))
    return _wrap(out.astype(array.dtype, copy=False), was_tensor)


# ------------------------------------------------------------------------------ classes
class Compose:
    """Apply transforms one after the other: ``Compose([t1, t2])(x) == t2(t1(x))``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda:
    """Wrap a function as a transform (for use in ``Compose``)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, image: Any) -> Any:
        return self.fn(image)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', self.fn)!r})"


class ToTensor:
    """Turn an image array into a float Tensor as torchvision's ``ToTensor`` does.

    An ``(H, W)`` array becomes ``(1, H, W)``, an ``(H, W, C)`` array (channels last, as images
    are stored in files) becomes ``(C, H, W)``; uint8 values are scaled to [0, 1] as float32,
    other dtypes are kept. A Tensor passes through unchanged (microtensor's data sets already
    give tensors, so the classic ``Compose([ToTensor(), Normalize(...)])`` runs as it is).
    """

    def __call__(self, image: Any) -> Tensor:
        if isinstance(image, Tensor):
            return image
        array = np.asarray(image)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3:
            array = array.transpose(2, 0, 1)
        else:
            raise ValueError(
                f"ToTensor: expected an (H, W) or (H, W, C) image, got shape {array.shape}"
            )
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / np.float32(255)
        return Tensor._make(np.ascontiguousarray(array))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Standardise each channel: ``(x[c] - mean[c]) / std[c]``.

    Use the training set's statistics, e.g. ``Normalize((0.1307,), (0.3081,))`` for MNIST.
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = mean
        self.std = std

    def __call__(self, image: Image) -> Image:
        return normalize(image, self.mean, self.std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomShift:
    """Translate by a random whole number of pixels, ``dy, dx`` uniform in
    ``[-max_shift, max_shift]`` (each end included); uncovered pixels get ``fill``.

    ``max_shift`` is an int or a (rows, columns) pair. microtensor's own transform (torchvision
    gets the same effect with ``RandomAffine(translate=...)`` or padded ``RandomCrop``).
    """

    def __init__(
        self,
        max_shift: int | Sequence[int],
        fill: float = 0,
        generator: _random.Generator | None = None,
    ) -> None:
        self.max_shift = int_pair(max_shift, "max_shift", "RandomShift")
        if min(self.max_shift) < 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift!r}")
        self.fill = fill
        self.generator = generator

    def get_params(self) -> tuple[int, int]:
        """Draw (dy, dx)."""
        rng = _random.generator(self.generator)
        max_dy, max_dx = self.max_shift
        return int(rng.integers(-max_dy, max_dy + 1)), int(rng.integers(-max_dx, max_dx + 1))

    def __call__(self, image: Image) -> Image:
        dy, dx = self.get_params()
        return shift(image, dy, dx, self.fill)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill})"


class RandomCrop:
    """Pad (optionally), then cut a ``size`` window at a random position (torchvision's rules).

    Args:
        size: output (height, width), or one int for a square.
        padding: added first: an int for all sides, ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``. ``RandomCrop(28, padding=2)`` on MNIST shifts the
            digit by up to 2 pixels.
        pad_if_needed: pad images smaller than ``size`` so the crop fits.
        fill, padding_mode: as in ``pad``.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        generator: _random.Generator | None = None,
    ) -> None:
        self.size = int_pair(size, "size", "RandomCrop")
        if min(self.size) < 1:
            raise ValueError(f"RandomCrop: size must be >= 1, got {size!r}")
        if padding is not None:
            _padding_amounts(padding)  # validate now, not at the first image
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode must be one of {sorted(_PAD_MODES)}, got "
                f"{padding_mode!r}"
            )
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def __call__(self, image: Image) -> Image:
        if self.padding is not None:
            image = pad(image, self.padding, self.fill, self.padding_mode)
        array, _ = _unwrap(image, "RandomCrop")
        rows, cols = array.shape[-2:]
        height, width = self.size
        if self.pad_if_needed and (rows < height or cols < width):
            extra_h, extra_w = max(height - rows, 0), max(width - cols, 0)
            image = pad(image, (extra_w, extra_h), self.fill, self.padding_mode)
            rows, cols = rows + 2 * extra_h, cols + 2 * extra_w
        if rows < height or cols < width:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the (padded) image "
                f"{rows}x{cols}; use padding or pad_if_needed=True"
            )
        rng = _random.generator(self.generator)
        top = int(rng.integers(0, rows - height + 1))
        left = int(rng.integers(0, cols - width + 1))
        return crop(image, top, left, height, width)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Cut the central ``size`` window (rounding the offsets as torchvision does)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = int_pair(size, "size", "CenterCrop")

    def __call__(self, image: Image) -> Image:
        array, _ = _unwrap(image, "CenterCrop")
        rows, cols = array.shape[-2:]
        height, width = self.size
        top = int(round((rows - height) / 2.0))
        left = int(round((cols - width) / 2.0))
        return crop(image, top, left, height, width)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``[-degrees, degrees]`` (or ``[lo, hi]`` if a
    pair is given), counter-clockwise for positive angles, with bilinear resampling.

    Meant for small angles (a handwritten 6 turned by 180 degrees is a 9).
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        fill: float = 0,
        generator: _random.Generator | None = None,
    ) -> None:
        if isinstance(degrees, numbers.Real):
            if degrees < 0:
                raise ValueError(f"RandomRotation: degrees must be >= 0, got {degrees}")
            self.degrees = (-float(degrees), float(degrees))
        elif isinstance(degrees, Sequence) and len(degrees) == 2 and degrees[0] <= degrees[1]:
            self.degrees = (float(degrees[0]), float(degrees[1]))
        else:
            raise ValueError(
                f"RandomRotation: degrees must be a number or a pair (lo, hi), got {degrees!r}"
            )
        self.fill = fill
        self.generator = generator

    def get_params(self) -> float:
        """Draw the angle in degrees."""
        low, high = self.degrees
        return float(_random.generator(self.generator).uniform(low, high))

    def __call__(self, image: Image) -> Image:
        return rotate(image, self.get_params(), self.fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, fill={self.fill})"


class _RandomFlip:
    """Apply the subclass's ``flip`` with probability ``p``; otherwise return a copy (so the
    result never shares memory with the input, flipped or not)."""

    flip: Callable[[Image], Image]

    def __init__(self, p: float = 0.5, generator: _random.Generator | None = None) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, image: Image) -> Image:
        if _random.generator(self.generator).random() < self.p:
            return self.flip(image)
        array, was_tensor = _unwrap(image, type(self).__name__)
        return _wrap(array.copy(), was_tensor)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""

    flip = staticmethod(hflip)


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""

    flip = staticmethod(vflip)


class GaussianNoise:
    """Add independent normal noise ``N(mean, std**2)`` to every pixel, then optionally clip
    to ``clip = (low, high)`` (e.g. ``(0, 1)`` to stay a valid image).

    torchvision.transforms.v2 calls ``std`` ``sigma``.
    """

    def __init__(
        self,
        std: float = 0.1,
        mean: float = 0.0,
        clip: tuple[float, float] | None = None,
        generator: _random.Generator | None = None,
    ) -> None:
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        if clip is not None and (len(clip) != 2 or clip[0] > clip[1]):
            raise ValueError(f"GaussianNoise: clip must be a pair (low, high), got {clip!r}")
        self.std = std
        self.mean = mean
        self.clip = clip
        self.generator = generator

    def __call__(self, image: Image) -> Image:
        array, was_tensor = _unwrap(image, "GaussianNoise")
        _require_float(array, "GaussianNoise")
        noise = _random.generator(self.generator).normal(self.mean, self.std, size=array.shape)
        out = (array + noise.astype(array.dtype)).astype(array.dtype, copy=False)
        if self.clip is not None:
            out = np.clip(out, self.clip[0], self.clip[1])
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean}, clip={self.clip})"
