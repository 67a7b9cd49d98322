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
``rotate``, ``affine``, ``resize``, ``resized_crop``, ``hflip``, ``vflip``), usable on their own;
the classes draw random parameters and call them. Transforms are data preprocessing: they do not
record autograd graphs.

Resampling (``rotate``, ``affine``, ``resize`` and the classes built on them) is bilinear by
default, as torchvision's transforms are on tensors when asked for ``BILINEAR``; ``affine`` and
``RandomAffine`` also take ``interpolation="nearest"`` (torchvision's default for them).
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
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
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomShift",
    "RandomVerticalFlip",
    "ToTensor",
    "affine",
    "affine_matrix",
    "crop",
    "hflip",
    "normalize",
    "pad",
    "resize",
    "resized_crop",
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
    return _wrap(_sample(array, src_y, src_x, fill, "bilinear"), was_tensor)


_INTERPOLATIONS = ("bilinear", "nearest")


def _interpolation(mode: Any, caller: str) -> str:
    """``"bilinear"``/``"nearest"`` (or torchvision's InterpolationMode, whose value is that
    string), checked."""
    name = str(getattr(mode, "value", mode)).lower()
    if name not in _INTERPOLATIONS:
        raise ValueError(f"{caller}: interpolation must be 'bilinear' or 'nearest', got {mode!r}")
    return name


def _sample(array: np.ndarray, src_y: np.ndarray, src_x: np.ndarray, fill: float,
            interpolation: str) -> np.ndarray:
    """The image read at a fractional source position (src_y, src_x) for every output pixel.

    Bilinear: blend the four pixels around the position,

        value = (1-a)(1-b) I[y0, x0] + (1-a) b I[y0, x0+1] + a (1-b) I[y0+1, x0] + a b I[y0+1, x0+1]

    with y0 = floor(y'), a = y' - y0, x0 = floor(x'), b = x' - x0; nearest: the pixel at the
    rounded position. Neighbours outside the image count as ``fill``.
    """
    height, width = array.shape[-2:]
    # a one-pixel ring of ``fill`` around the image: neighbours outside it are clipped onto
    # the ring, so they read ``fill`` without a mask (index +1 for the ring)
    framed = _pad_constant(array, 1, 1, 1, 1, fill)
    if interpolation == "nearest":
        rows = np.clip(np.rint(src_y).astype(np.int64) + 1, 0, height + 1)
        cols = np.clip(np.rint(src_x).astype(np.int64) + 1, 0, width + 1)
        return framed[..., rows, cols]
    x_floor, y_floor = np.floor(src_x), np.floor(src_y)
    b = (src_x - x_floor).astype(array.dtype)
    a = (src_y - y_floor).astype(array.dtype)
    x0 = np.clip(x_floor.astype(np.int64) + 1, 0, width + 1)
    x1 = np.clip(x_floor.astype(np.int64) + 2, 0, width + 1)
    y0 = np.clip(y_floor.astype(np.int64) + 1, 0, height + 1)
    y1 = np.clip(y_floor.astype(np.int64) + 2, 0, height + 1)
    out = ((1 - a) * ((1 - b) * framed[..., y0, x0] + b * framed[..., y0, x1])
           + a * ((1 - b) * framed[..., y1, x0] + b * framed[..., y1, x1]))
    return out.astype(array.dtype, copy=False)


def _shear_pair(shear: float | Sequence[float], caller: str) -> tuple[float, float]:
    if isinstance(shear, numbers.Real):
        return float(shear), 0.0
    if isinstance(shear, Sequence) and len(shear) in (1, 2):
        return float(shear[0]), float(shear[1]) if len(shear) == 2 else 0.0
    raise ValueError(f"{caller}: shear must be a number or a pair (x, y) of degrees, "
                     f"got {shear!r}")


def affine_matrix(angle: float, scale: float, shear: tuple[float, float]) -> np.ndarray:
    """The 2x2 linear part of torchvision's affine map, in (x right, y down) pixel coordinates:
    R(angle) · scale · SHy(shear_y) · SHx(shear_x), with

        R(a) = [[cos a, -sin a], [sin a, cos a]]      (clockwise on screen: y points down)
        SHx(s) = [[1, -tan s], [0, 1]]                SHy(s) = [[1, 0], [-tan s, 1]]
    """
    a, sx, sy = (math.radians(v) for v in (angle, shear[0], shear[1]))
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    shear_x = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    shear_y = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    return scale * rotation @ shear_y @ shear_x


def affine(
    image: Image,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: str = "bilinear",
    fill: float = 0,
    center: Sequence[float] | None = None,
) -> Image:
    """Rotate, scale, shear and translate an image, keeping ``center`` (default: the image centre)
    fixed before the translation (torchvision's ``F.affine``, same arguments).

    A source pixel q goes to p = c + t + M (q − c), with M = :func:`affine_matrix` (``angle`` in
    degrees, **clockwise** as in torchvision's ``affine``; ``rotate`` is counter-clockwise, as
    torchvision's ``rotate``), ``scale`` > 1 enlarging, ``shear`` one angle (along x) or
    ``(x, y)`` in degrees, and ``translate = (tx, ty)`` in pixels (right, down). Each output
    pixel p reads the image at q = c + M⁻¹ (p − c − t), bilinearly by default (``"nearest"``
    also works); what comes from outside the image is ``fill``. ``center = (x, y)`` in pixels.
    """
    array, was_tensor = _unwrap(image, "affine")
    _require_float(array, "affine")
    mode = _interpolation(interpolation, "affine")
    if not scale > 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    if not (isinstance(translate, Sequence) and len(translate) == 2):
        raise TypeError(f"affine: translate must be a pair (tx, ty) of pixels, got {translate!r}")
    height, width = array.shape[-2:]
    inverse = np.linalg.inv(affine_matrix(float(angle), float(scale), _shear_pair(shear, "affine")))
    ys, xs = _centred_grid(height, width)  # p − (image centre)
    cx, cy = ((width - 1) / 2, (height - 1) / 2) if center is None else map(float, center)
    # p − c − t, with p measured from the image centre
    u = xs + ((width - 1) / 2 - cx) - float(translate[0])
    v = ys + ((height - 1) / 2 - cy) - float(translate[1])
    src_x = inverse[0, 0] * u + inverse[0, 1] * v + cx
    src_y = inverse[1, 0] * u + inverse[1, 1] * v + cy
    return _wrap(_sample(array, src_y, src_x, fill, mode), was_tensor)


def _resize_weights(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output index along one axis: the two input neighbours and the weight of the
    second, with pixel centres aligned as PyTorch's ``align_corners=False``:
    src = (dst + ½)·in/out − ½, clamped to [0, in − 1] (edge pixels repeat)."""
    src = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    src = np.clip(src, 0.0, size_in - 1)
    low = np.floor(src).astype(np.int64)
    high = np.minimum(low + 1, size_in - 1)
    return low, high, src - low


def _output_size(size: int | Sequence[int], height: int, width: int, caller: str
                 ) -> tuple[int, int]:
    """torchvision's ``size``: (h, w), or one int for the *smaller* edge (aspect kept)."""
    if isinstance(size, Sequence) and len(size) == 2:
        out = (int(size[0]), int(size[1]))
    elif isinstance(size, numbers.Integral) or (isinstance(size, Sequence) and len(size) == 1):
        short = int(size if isinstance(size, numbers.Integral) else size[0])
        if height <= width:
            out = (short, int(short * width / height))
        else:
            out = (int(short * height / width), short)
    else:
        raise TypeError(f"{caller}: size must be an int or a pair (h, w), got {size!r}")
    if min(out) < 1:
        raise ValueError(f"{caller}: the output size must be positive, got {out}")
    return out


def resize(image: Image, size: int | Sequence[int]) -> Image:
    """Resize to ``size = (h, w)`` (one int: the smaller edge becomes ``size``, the aspect ratio
    is kept, as torchvision) with bilinear interpolation, PyTorch's ``align_corners=False``
    geometry. No antialiasing: shrinking by more than 2x skips pixels (torchvision filters them).

    Along each axis, output pixel i reads position s = (i + ½)·in/out − ½ (clamped to the
    image) and blends its neighbours floor(s) and floor(s) + 1 with weights 1 − (s − floor(s))
    and s − floor(s); rows first, then columns.
    """
    array, was_tensor = _unwrap(image, "resize")
    _require_float(array, "resize")
    height, width = array.shape[-2:]
    out_h, out_w = _output_size(size, height, width, "resize")
    y0, y1, wy = _resize_weights(height, out_h)
    x0, x1, wx = _resize_weights(width, out_w)
    wy = wy.astype(array.dtype)[:, None]
    wx = wx.astype(array.dtype)
    rows = (1 - wy) * array[..., y0, :] + wy * array[..., y1, :]
    out = (1 - wx) * rows[..., x0] + wx * rows[..., x1]
    return _wrap(out.astype(array.dtype, copy=False), was_tensor)


def resized_crop(image: Image, top: int, left: int, height: int, width: int,
                 size: int | Sequence[int]) -> Image:
    """``crop`` then ``resize`` (torchvision's ``F.resized_crop``)."""
    return resize(crop(image, top, left, height, width), size)


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


def _range(value: Any, name: str, caller: str, symmetric: bool = True) -> tuple[float, float]:
    """A number d ≥ 0 as (−d, d), or a pair (lo, hi), as torchvision reads degrees and shear."""
    if isinstance(value, numbers.Real) and symmetric:
        if value < 0:
            raise ValueError(f"{caller}: if {name} is a single number, it must be >= 0, "
                             f"got {value}")
        return -float(value), float(value)
    if isinstance(value, Sequence) and len(value) == 2 and all(
            isinstance(v, numbers.Real) for v in value):
        return float(value[0]), float(value[1])
    raise ValueError(f"{caller}: {name} must be a number or a pair (lo, hi), got {value!r}")


def _shear_ranges(shear: Any) -> tuple[float, ...]:
    """torchvision's ``shear``: d → x in (−d, d); (lo, hi) → x; (xlo, xhi, ylo, yhi) → x and y."""
    if isinstance(shear, Sequence) and len(shear) == 4:
        return tuple(float(v) for v in shear)
    return _range(shear, "shear", "RandomAffine")


def _check_pair(value: Any, name: str, valid: Callable[[float], bool], what: str) -> None:
    """None, or a pair of numbers each ``valid`` (RandomAffine's translate and scale)."""
    if value is None:
        return
    if not (isinstance(value, Sequence) and len(value) == 2
            and all(isinstance(v, numbers.Real) for v in value)):
        raise ValueError(f"RandomAffine: {name} must be a pair of numbers, got {value!r}")
    if not all(valid(v) for v in value):
        raise ValueError(f"RandomAffine: {name} values must be {what}, got {value!r}")


class RandomAffine:
    """Random rotation, translation, scaling and shear in one resampling (torchvision's names
    and sampling rules), keeping the image centre fixed.

    Args:
        degrees: rotation range: d ≥ 0 for (−d, d), or (lo, hi); 0 turns rotation off. Positive
            angles turn **clockwise**, as torchvision's ``RandomAffine`` (its ``F.affine``).
        translate: (a, b), fractions in [0, 1]: the shift is tx = round(U(−a·W, a·W)) pixels
            right and ty = round(U(−b·H, b·H)) down (whole pixels, as torchvision). None: no shift.
        scale: (lo, hi): the scale factor is U(lo, hi) (> 1 enlarges). None: 1.
        shear: d ≥ 0 for an x-shear in (−d, d) degrees, (lo, hi) for x, or (xlo, xhi, ylo,
            yhi) for x and y. None: no shear.
        interpolation: ``"bilinear"`` (default here) or ``"nearest"`` (torchvision's default).
        fill: the value of pixels that come from outside the image.
        center: (x, y) in pixels to keep fixed; default: the image centre.
        generator: draw from this ``mt.Generator`` instead of the global one.

    The parameters are drawn in torchvision's order (angle, translation, scale, shear), each
    uniform on its range; ``get_params`` returns them, ``affine`` applies them.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: str = "bilinear",
        fill: float = 0,
        center: Sequence[float] | None = None,
        generator: _random.Generator | None = None,
    ) -> None:
        self.degrees = _range(degrees, "degrees", "RandomAffine")
        _check_pair(translate, "translate", lambda t: 0.0 <= t <= 1.0, "in [0, 1]")
        _check_pair(scale, "scale", lambda v: v > 0, "positive")
        self.translate = None if translate is None else (float(translate[0]), float(translate[1]))
        self.scale = None if scale is None else (float(scale[0]), float(scale[1]))
        self.shear = None if shear is None else _shear_ranges(shear)
        self.interpolation = _interpolation(interpolation, "RandomAffine")
        self.fill = fill
        self.center = center
        self.generator = generator

    def get_params(self, height: int, width: int
                   ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """Draw (angle, (tx, ty), scale, (shear_x, shear_y)) for an image of height x width."""
        rng = _random.generator(self.generator)
        angle = float(rng.uniform(*self.degrees))
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            tx = int(round(rng.uniform(-max_dx, max_dx)))
            ty = int(round(rng.uniform(-max_dy, max_dy)))
        scale = 1.0 if self.scale is None else float(rng.uniform(*self.scale))
        shear_x = shear_y = 0.0
        if self.shear is not None:
            shear_x = float(rng.uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear_y = float(rng.uniform(self.shear[2], self.shear[3]))
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def __call__(self, image: Image) -> Image:
        array, _ = _unwrap(image, "RandomAffine")
        angle, translate, scale, shear = self.get_params(*array.shape[-2:])
        return affine(image, angle, translate, scale, shear, self.interpolation, self.fill,
                      self.center)

    def __repr__(self) -> str:
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation!r}, "
                f"fill={self.fill})")


class RandomResizedCrop:
    """Crop a random part of the image and resize it to ``size`` (torchvision's rules): the
    classic "random scale and aspect ratio" augmentation.

    Args:
        size: output (height, width), or one int for a square.
        scale: (lo, hi): the crop's area as a fraction of the image's, drawn uniformly.
        ratio: (lo, hi): the crop's width / height, drawn log-uniformly.
        interpolation: ``"bilinear"`` (the only mode; as torchvision's default). Shrinking
            uses no antialiasing (torchvision's ``antialias=True`` filters first).
        generator: draw from this ``mt.Generator`` instead of the global one.

    ``get_params`` follows torchvision: up to 10 tries of area = A·U(scale), aspect =
    exp(U(log ratio)), w = round(√(area·aspect)), h = round(√(area/aspect)); the first that fits
    is placed uniformly at random. If none fits, the central crop of the largest size whose
    aspect is within ``ratio`` is used.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: str = "bilinear",
        generator: _random.Generator | None = None,
    ) -> None:
        self.size = int_pair(size, "size", "RandomResizedCrop", minimum=1)
        for name, pair in (("scale", scale), ("ratio", ratio)):
            if not (isinstance(pair, Sequence) and len(pair) == 2 and min(pair) > 0):
                raise ValueError(f"RandomResizedCrop: {name} must be a pair of positive "
                                 f"numbers (lo, hi), got {pair!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("RandomResizedCrop: scale and ratio should be of kind (min, max)",
                          stacklevel=2)
        if _interpolation(interpolation, "RandomResizedCrop") != "bilinear":
            raise ValueError("RandomResizedCrop: only interpolation='bilinear' is supported")
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.interpolation = "bilinear"
        self.generator = generator

    def get_params(self, height: int, width: int) -> tuple[int, int, int, int]:
        """Draw the crop (top, left, h, w) for an image of height x width."""
        rng = _random.generator(self.generator)
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(rng.integers(0, height - h + 1))
                left = int(rng.integers(0, width - w + 1))
                return top, left, h, w
        return self._central_fallback(height, width)

    def _central_fallback(self, height: int, width: int) -> tuple[int, int, int, int]:
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, image: Image) -> Image:
        array, _ = _unwrap(image, "RandomResizedCrop")
        top, left, h, w = self.get_params(*array.shape[-2:])
        return resized_crop(image, top, left, h, w, self.size)

    def __repr__(self) -> str:
        return (f"RandomResizedCrop(size={self.size}, scale={self.scale}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation='bilinear')")


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
