"""Tests of microtensor.transforms: exact geometry, normalisation math, seeding, kinds."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor import transforms as T


def bright_pixel(shape=(1, 7, 7), at=(3, 3), dtype=np.float32) -> np.ndarray:
    image = np.zeros(shape, dtype=dtype)
    image[(slice(None),) + at] = 1.0
    return image


def where_bright(image) -> tuple[int, int]:
    array = image.numpy() if isinstance(image, mt.Tensor) else image
    positions = np.argwhere(array[0] > 0.5)
    assert len(positions) == 1, positions
    return tuple(int(v) for v in positions[0])


def pattern(shape=(2, 6, 5), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# ------------------------------------------------------------------------------- normalize
def test_normalize_math_per_channel():
    image = pattern((3, 4, 4))
    mean, std = (0.1, 0.2, 0.3), (0.5, 2.0, 4.0)
    out = T.Normalize(mean, std)(image)
    expected = (image - np.array(mean).reshape(3, 1, 1)) / np.array(std).reshape(3, 1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(T.normalize(image, 0.5, 0.25), (image - 0.5) / 0.25, rtol=1e-6)
    assert np.array_equal(image, pattern((3, 4, 4)))  # input untouched


def test_normalize_errors():
    with pytest.raises(ValueError, match="mean has 2 values but the image has 3 channel"):
        T.Normalize((0.1, 0.2), (1.0, 1.0, 1.0))(pattern((3, 2, 2)))
    with pytest.raises(ValueError, match="zeros"):
        T.normalize(pattern((1, 2, 2)), 0.0, 0.0)
    with pytest.raises(TypeError, match="float image"):
        T.normalize(np.zeros((1, 2, 2), np.uint8), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"shape \(C, H, W\) or \(H, W\)"):
        T.normalize(np.zeros((1, 1, 2, 2), np.float32), 0.0, 1.0)
    with pytest.raises(TypeError, match="np.ndarray or Tensor"):
        T.normalize([[0.0]], 0.0, 1.0)


# ------------------------------------------------------------------------------- kinds
@pytest.mark.parametrize(
    "transform",
    [T.Normalize(0.5, 0.5), T.RandomShift(2), T.RandomCrop(4, padding=1), T.RandomRotation(10),
     T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.GaussianNoise(0.1), T.CenterCrop(3),
     T.Compose([T.RandomShift(1), T.Normalize(0.0, 1.0)])],
)
def test_returns_same_kind_and_leaves_input_alone(transform):
    array = pattern((2, 6, 6))
    original = array.copy()
    out_array = transform(array)
    out_tensor = transform(mt.tensor(array))
    assert isinstance(out_array, np.ndarray) and isinstance(out_tensor, mt.Tensor)
    assert out_array.dtype == np.float32 and out_tensor.dtype == np.float32
    assert out_array.shape[0] == 2 and out_array is not array
    np.testing.assert_array_equal(array, original)


def test_two_dimensional_images_work():
    image = pattern((5, 5))
    assert T.hflip(image).shape == (5, 5)
    assert T.rotate(image, 10).shape == (5, 5)
    np.testing.assert_allclose(T.normalize(image, 1.0, 2.0), (image - 1) / 2, rtol=1e-6)


# ------------------------------------------------------------------------------- shift / crop
def test_shift_moves_a_bright_pixel_exactly():
    image = bright_pixel(at=(3, 3))
    assert where_bright(T.shift(image, 2, -1)) == (5, 2)
    assert where_bright(T.shift(image, -3, 3)) == (0, 6)
    assert not T.shift(image, 4, 0).any()  # moved out of the frame
    filled = T.shift(np.zeros((1, 3, 3), np.float32), 1, 1, fill=7.0)
    np.testing.assert_array_equal(filled[0], [[7, 7, 7], [7, 0, 0], [7, 0, 0]])
    np.testing.assert_array_equal(T.shift(image, 0, 0), image)
    assert not T.shift(image, 10, 10).any()


def test_random_shift_moves_within_range_and_covers_it():
    image = bright_pixel(shape=(1, 9, 9), at=(4, 4))
    shift = T.RandomShift(2, generator=mt.Generator(0))
    moves = set()
    for _ in range(300):
        y, x = where_bright(shift(image))
        moves.add((y - 4, x - 4))
    assert moves == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}


def test_random_shift_matches_its_drawn_parameters():
    image = bright_pixel(shape=(1, 9, 9), at=(4, 4))
    dy, dx = T.RandomShift((1, 3), generator=mt.Generator(7)).get_params()
    moved = T.RandomShift((1, 3), generator=mt.Generator(7))(image)
    assert where_bright(moved) == (4 + dy, 4 + dx)
    assert abs(dy) <= 1 and abs(dx) <= 3


def test_pad_forms_and_modes():
    image = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    assert T.pad(image, 1).shape == (1, 4, 5)
    assert T.pad(image, (2, 1)).shape == (1, 4, 7)          # (left/right, top/bottom)
    out = T.pad(image, (1, 0, 2, 3), fill=-1)                # (left, top, right, bottom)
    assert out.shape == (1, 5, 6)
    np.testing.assert_array_equal(out[0, :2, 1:4], image[0])
    assert out[0, 0, 0] == -1 and out[0, 4, 5] == -1
    np.testing.assert_array_equal(T.pad(image, 1, padding_mode="edge")[0, 0], [0, 0, 1, 2, 2])
    np.testing.assert_array_equal(T.pad(image, 1, padding_mode="reflect")[0, 1], [1, 0, 1, 2, 1])
    with pytest.raises(ValueError, match="padding_mode"):
        T.pad(image, 1, padding_mode="wrap")


def test_crop_and_errors():
    image = np.arange(20, dtype=np.float32).reshape(1, 4, 5)
    np.testing.assert_array_equal(T.crop(image, 1, 2, 2, 3)[0], [[7, 8, 9], [12, 13, 14]])
    with pytest.raises(ValueError, match="does not fit"):
        T.crop(image, 3, 0, 2, 2)
    # offsets round((4 - 2) / 2) = 1 and round((5 - 2) / 2) = 2, as torchvision computes them
    np.testing.assert_array_equal(T.CenterCrop(2)(image)[0], [[7, 8], [12, 13]])


def test_random_crop_is_a_window_of_the_padded_image():
    image = pattern((1, 6, 6))
    padded = T.pad(image, 2)
    crop = T.RandomCrop(6, padding=2, generator=mt.Generator(1))
    offsets = set()
    for _ in range(200):
        out = crop(image)
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(out, padded[:, i : i + 6, j : j + 6])]
        assert matches
        offsets.update(matches)
    assert offsets == {(i, j) for i in range(5) for j in range(5)}


def test_random_crop_size_checks():
    image = pattern((1, 4, 4))
    with pytest.raises(ValueError, match="larger than the"):
        T.RandomCrop(5)(image)
    out = T.RandomCrop(6, pad_if_needed=True, generator=mt.Generator(0))(image)
    assert out.shape == (1, 6, 6)
    with pytest.raises(ValueError, match="padding"):
        T.RandomCrop(4, padding=(1, 2, 3))


# ------------------------------------------------------------------------------- rotation
def test_rotate_90_equals_rot90_counter_clockwise():
    for shape in [(2, 5, 5), (1, 6, 6)]:
        image = pattern(shape)
        np.testing.assert_allclose(T.rotate(image, 90), np.rot90(image, 1, axes=(1, 2)),
                                   atol=1e-6)
        np.testing.assert_allclose(T.rotate(image, -90), np.rot90(image, -1, axes=(1, 2)),
                                   atol=1e-6)
        np.testing.assert_allclose(T.rotate(image, 180), image[:, ::-1, ::-1], atol=1e-6)


def test_rotate_moves_a_pixel_counter_clockwise():
    image = bright_pixel(at=(3, 5))                  # 2 right of the centre (3, 3)
    assert where_bright(T.rotate(image, 90)) == (1, 3)   # now 2 above it


def test_rotate_symmetric_pattern_is_unchanged():
    yy, xx = np.mgrid[0:9, 0:9] - 4.0
    plus = ((yy == 0) | (xx == 0)).astype(np.float32)[None]      # a plus sign: 4-fold symmetric
    np.testing.assert_allclose(T.rotate(plus, 90), plus, atol=1e-6)
    blob = np.exp(-(yy**2 + xx**2) / 20.0).astype(np.float32)[None]  # rotationally symmetric
    inside = (yy**2 + xx**2 <= 9)[None]  # away from the corners that turn in from outside
    np.testing.assert_allclose(T.rotate(blob, 17.0)[inside], blob[inside], atol=0.02)


def test_rotate_bilinear_weights_and_fill():
    image = np.ones((1, 4, 4), np.float32)
    out = T.rotate(image, 45)
    # the centre stays 1, corners mix in the zero fill
    np.testing.assert_allclose(out[0, 1:3, 1:3], 1.0, atol=1e-6)
    assert 0 < out[0, 0, 0] < 1
    filled = T.rotate(np.zeros((1, 4, 4), np.float32), 45, fill=1.0)
    assert filled[0, 0, 0] > 0 and filled[0, 1, 1] == 0
    np.testing.assert_array_equal(T.rotate(image, 0), image)
    # small angle, smooth image: rotating forth and back nearly restores the interior
    yy, xx = np.mgrid[0:15, 0:15] / 14.0
    smooth = (np.sin(3 * yy) * np.cos(2 * xx)).astype(np.float32)[None]
    back = T.rotate(T.rotate(smooth, 8), -8)
    np.testing.assert_allclose(back[:, 4:11, 4:11], smooth[:, 4:11, 4:11], atol=0.02)


def test_random_rotation_range_and_errors():
    rotation = T.RandomRotation((10, 20), generator=mt.Generator(0))
    angles = [rotation.get_params() for _ in range(100)]
    assert all(10 <= a <= 20 for a in angles) and len(set(angles)) == 100
    assert T.RandomRotation(5).degrees == (-5.0, 5.0)
    with pytest.raises(ValueError, match="degrees"):
        T.RandomRotation(-1)
    with pytest.raises(ValueError, match="degrees"):
        T.RandomRotation((20, 10))
    with pytest.raises(TypeError, match="float image"):
        T.rotate(np.zeros((1, 3, 3), np.uint8), 10)


# ------------------------------------------------------------------------------- flips, noise
def test_flips():
    image = pattern((2, 3, 4))
    np.testing.assert_array_equal(T.hflip(image), image[:, :, ::-1])
    np.testing.assert_array_equal(T.vflip(image), image[:, ::-1, :])
    np.testing.assert_array_equal(T.hflip(T.hflip(image)), image)
    always = T.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(always(always(image)), image)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(image), image)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(image), image[:, ::-1])
    flip = T.RandomHorizontalFlip(generator=mt.Generator(0))
    flipped = sum(not np.array_equal(flip(image), image) for _ in range(400))
    assert 150 < flipped < 250  # about half
    with pytest.raises(ValueError, match="p must be in"):
        T.RandomHorizontalFlip(p=1.5)


def test_gaussian_noise_statistics_and_clip():
    image = np.full((1, 100, 100), 0.5, np.float32)
    noisy = T.GaussianNoise(0.1, generator=mt.Generator(0))(image)
    assert noisy.dtype == np.float32
    assert abs(float(noisy.mean()) - 0.5) < 0.005 and abs(float(noisy.std()) - 0.1) < 0.005
    clipped = T.GaussianNoise(1.0, clip=(0.0, 1.0), generator=mt.Generator(0))(image)
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    np.testing.assert_array_equal(T.GaussianNoise(0.0)(image), image)
    with pytest.raises(ValueError, match="std"):
        T.GaussianNoise(-1.0)


# ------------------------------------------------------------------------------- seeding
def augment() -> T.Compose:
    return T.Compose([T.RandomRotation(15), T.RandomShift(2), T.RandomHorizontalFlip(),
                      T.RandomCrop(6, padding=1), T.GaussianNoise(0.05)])


def test_same_global_seed_same_output():
    image = pattern((1, 6, 6))
    mt.manual_seed(42)
    a = [augment()(image) for _ in range(3)]
    mt.manual_seed(42)
    b = [augment()(image) for _ in range(3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])


def test_same_generator_seed_same_output():
    image = pattern((1, 6, 6))

    def run(seed: int) -> np.ndarray:
        gen = mt.Generator(seed)
        pipeline = T.Compose([T.RandomRotation(15, generator=gen), T.RandomShift(2, generator=gen),
                              T.GaussianNoise(0.05, generator=gen)])
        return pipeline(image)

    mt.manual_seed(0)
    a = run(3)
    mt.manual_seed(1)  # the global generator does not matter
    np.testing.assert_array_equal(a, run(3))
    assert not np.array_equal(a, run(4))


# ------------------------------------------------------------------------------- misc
def test_to_tensor_follows_torchvision():
    hw = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    t = T.ToTensor()(hw)
    assert isinstance(t, mt.Tensor) and t.shape == (1, 2, 2) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy()[0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    hwc = np.zeros((4, 5, 3), np.uint8)
    assert T.ToTensor()(hwc).shape == (3, 4, 5)
    x = mt.rand(1, 3, 3)
    assert T.ToTensor()(x) is x
    with pytest.raises(ValueError, match="ToTensor"):
        T.ToTensor()(np.zeros((1, 2, 3, 4)))


def test_compose_lambda_and_repr():
    pipeline = T.Compose([T.Lambda(lambda x: x + 1), T.Normalize(1.0, 2.0)])
    image = pattern((1, 3, 3))
    np.testing.assert_allclose(pipeline(image), image / 2, rtol=1e-5)
    assert "Normalize" in repr(pipeline)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_transforms_work_in_a_data_loader():
    from microtensor.utils.data import DataLoader, TensorDataset

    images = mt.from_numpy(pattern((10, 1, 6, 6)))
    labels = mt.arange(10)
    ds = TensorDataset(images, labels, transform=T.RandomShift(1))
    x, y = next(iter(DataLoader(ds, batch_size=10, seed=0)))
    assert x.shape == (10, 1, 6, 6) and y.tolist() == list(range(10))
