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


# ------------------------------------------------------------------------- affine and resize
def test_affine_angle_turns_clockwise_and_mirrors_rotate():
    image = bright_pixel(at=(1, 3))  # two rows above the centre (3, 3)
    assert where_bright(T.affine(image, 90, (0, 0), 1.0, 0.0)) == (3, 5)  # clockwise: right
    assert where_bright(T.affine(image, -90, (0, 0), 1.0, 0.0)) == (3, 1)
    picture = pattern((2, 9, 8))
    for angle in (17.0, -33.0, 120.0):  # torchvision: affine's angle is rotate's, negated
        np.testing.assert_array_equal(T.affine(picture, -angle, (0, 0), 1.0, 0.0),
                                      T.rotate(picture, angle))


def test_affine_translate_is_a_shift_and_fills():
    picture = pattern((2, 6, 5))
    moved = T.affine(picture, 0.0, (2, -1), 1.0, 0.0, fill=0.5)  # 2 right, 1 up
    np.testing.assert_array_equal(moved, T.shift(picture, -1, 2, fill=0.5))


def test_affine_scale_and_shear_move_pixels_by_the_matrix():
    image = bright_pixel(shape=(1, 9, 9), at=(4, 5))  # one pixel right of the centre (4, 4)
    assert where_bright(T.affine(image, 0.0, (0, 0), 2.0, 0.0)) == (4, 6)
    # a 45° x-shear maps (x, y) to (x − y, y): two rows below the centre moves two left
    low = bright_pixel(shape=(1, 9, 9), at=(6, 4))
    assert where_bright(T.affine(low, 0.0, (0, 0), 1.0, 45.0)) == (6, 2)
    assert where_bright(T.affine(low, 0.0, (0, 0), 1.0, (45.0, 0.0))) == (6, 2)
    # a y-shear maps (x, y) to (x, y − x): a pixel right of the centre moves up
    right = bright_pixel(shape=(1, 9, 9), at=(4, 6))
    assert where_bright(T.affine(right, 0.0, (0, 0), 1.0, (0.0, 45.0))) == (2, 6)


def test_affine_matrix_closed_form():
    a, s, sx, sy = 30.0, 1.5, 10.0, -20.0
    ra, rx, ry = np.radians([a, sx, sy])
    expected = s * np.array([
        [np.cos(ra - ry) / np.cos(ry), -np.cos(ra - ry) * np.tan(rx) / np.cos(ry) - np.sin(ra)],
        [np.sin(ra - ry) / np.cos(ry), -np.sin(ra - ry) * np.tan(rx) / np.cos(ry) + np.cos(ra)],
    ])
    np.testing.assert_allclose(T.affine_matrix(a, s, (sx, sy)), expected, atol=1e-12)


def test_affine_center_nearest_and_kinds():
    image = bright_pixel(shape=(1, 7, 7), at=(0, 2))
    # about the top-left pixel, a clockwise quarter turn takes (x, y) = (2, 0) to (0, 2)
    assert where_bright(T.affine(image, 90, (0, 0), 1.0, 0.0, center=(0, 0))) == (2, 0)
    picture = pattern((1, 8, 8))
    nearest = T.affine(picture, 23.0, (1, 0), 1.3, 7.0, interpolation="nearest", fill=-1.0)
    assert set(np.unique(nearest)) <= set(np.unique(picture)) | {np.float32(-1.0)}
    tensor = mt.tensor(picture)
    out = T.affine(tensor, 10.0, (0, 0), 1.0, 0.0)
    assert isinstance(out, mt.Tensor) and out.dtype == mt.float32 and out.shape == (1, 8, 8)
    with pytest.raises(ValueError, match="interpolation"):
        T.affine(picture, 0, (0, 0), 1.0, 0, interpolation="bicubic")
    with pytest.raises(ValueError, match="scale must be positive"):
        T.affine(picture, 0, (0, 0), 0.0, 0)
    with pytest.raises(TypeError, match="float image"):
        T.affine(picture.astype(np.uint8), 0, (0, 0), 1.0, 0)


def test_resize_bilinear_with_half_pixel_centres():
    row = np.array([[[0.0, 1.0]]])  # 1 x 2: upsample the width to 4
    # output pixel i reads position (i + ½)·2/4 − ½ = −¼, ¼, ¾, 5/4, clamped to [0, 1]
    np.testing.assert_allclose(T.resize(row, (1, 4))[0, 0], [0.0, 0.25, 0.75, 1.0])
    picture = pattern((2, 9, 8))
    np.testing.assert_array_equal(T.resize(picture, (9, 8)), picture)  # same size: unchanged
    assert T.resize(picture, 4).shape == (2, 4, 4)  # the smaller edge (8) becomes 4
    assert T.resize(picture, (18, 3)).shape == (2, 18, 3)
    halved = T.resize(np.arange(16.0).reshape(1, 4, 4), (2, 2))  # the mean of each 2x2 block
    np.testing.assert_allclose(halved[0], [[2.5, 4.5], [10.5, 12.5]])
    out = T.resize(mt.tensor(picture), (5, 5))
    assert isinstance(out, mt.Tensor) and out.dtype == mt.float32
    np.testing.assert_array_equal(T.resized_crop(picture, 1, 2, 4, 3, (4, 3)),
                                  picture[:, 1:5, 2:5])
    with pytest.raises(TypeError, match="size"):
        T.resize(picture, "big")


def test_resize_matches_pytorch_interpolate():
    torch = pytest.importorskip("torch")
    picture = pattern((2, 9, 8))
    for size in ((5, 13), (20, 17), (3, 3)):
        expected = torch.nn.functional.interpolate(
            torch.tensor(picture)[None], size=size, mode="bilinear", align_corners=False,
            antialias=False)[0].numpy()
        np.testing.assert_allclose(T.resize(picture, size), expected, atol=1e-6)


# ------------------------------------------------------------------------------ RandomAffine
def test_random_affine_draws_in_torchvision_ranges():
    transform = T.RandomAffine(10, translate=(0.25, 0.1), scale=(0.8, 1.2),
                               shear=(-5, 5, 2, 3), generator=mt.Generator(0))
    draws = [transform.get_params(10, 8) for _ in range(400)]
    angles = np.array([d[0] for d in draws])
    shifts = np.array([d[1] for d in draws])
    scales = np.array([d[2] for d in draws])
    shears = np.array([d[3] for d in draws])
    assert -10 <= angles.min() < -9 and 9 < angles.max() <= 10
    assert shifts.dtype.kind == "i"  # whole pixels
    assert np.abs(shifts[:, 0]).max() == 2 and np.abs(shifts[:, 1]).max() == 1  # 0.25·8, 0.1·10
    assert 0.8 <= scales.min() and scales.max() <= 1.2
    assert -5 <= shears[:, 0].min() and shears[:, 0].max() <= 5
    assert 2 <= shears[:, 1].min() and shears[:, 1].max() <= 3
    # a number d means an x-shear in (−d, d) and no y-shear
    only_x = T.RandomAffine(0, shear=4, generator=mt.Generator(1))
    assert all(-4 <= d[3][0] <= 4 and d[3][1] == 0 for d in
               (only_x.get_params(5, 5) for _ in range(50)))


def test_random_affine_is_seeded_and_applies_its_parameters():
    picture = pattern((1, 8, 8))
    first = T.RandomAffine(15, (0.1, 0.1), (0.9, 1.1), 5, generator=mt.Generator(3))
    second = T.RandomAffine(15, (0.1, 0.1), (0.9, 1.1), 5, generator=mt.Generator(3))
    np.testing.assert_array_equal(first(picture), second(picture))
    replay = T.RandomAffine(15, (0.1, 0.1), (0.9, 1.1), 5, generator=mt.Generator(3))
    angle, translate, scale, shear = replay.get_params(8, 8)
    again = T.RandomAffine(15, (0.1, 0.1), (0.9, 1.1), 5, generator=mt.Generator(3))
    np.testing.assert_array_equal(again(picture),
                                  T.affine(picture, angle, translate, scale, shear))
    identity = T.RandomAffine(0)
    np.testing.assert_array_equal(identity(picture), picture)
    assert "RandomAffine(degrees=(-15.0, 15.0)" in repr(first)


def test_random_affine_errors():
    with pytest.raises(ValueError, match="degrees"):
        T.RandomAffine(-1)
    with pytest.raises(ValueError, match="translate values must be in"):
        T.RandomAffine(0, translate=(1.5, 0))
    with pytest.raises(ValueError, match="scale values must be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="scale must be a pair"):
        T.RandomAffine(0, scale=1.1)
    with pytest.raises(ValueError, match="shear"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomAffine(0, interpolation="cubic")


# ------------------------------------------------------------------------- RandomResizedCrop
def test_random_resized_crop_boxes_follow_the_rules():
    transform = T.RandomResizedCrop(6, scale=(0.25, 0.5), ratio=(0.5, 2.0),
                                    generator=mt.Generator(0))
    for _ in range(200):
        top, left, h, w = transform.get_params(20, 16)
        assert 0 <= top and top + h <= 20 and 0 <= left and left + w <= 16
        # w and h are rounded from an area in [0.25, 0.5]·320 and an aspect in [0.5, 2]
        assert 0.25 * 320 * 0.8 <= h * w <= 0.5 * 320 * 1.25
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    assert transform(pattern((3, 20, 16))).shape == (3, 6, 6)
    assert T.RandomResizedCrop((4, 5))(pattern((1, 9, 9))).shape == (1, 4, 5)


def test_random_resized_crop_whole_image_and_fallback():
    picture = pattern((1, 8, 8))
    whole = T.RandomResizedCrop(4, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    np.testing.assert_array_equal(whole(picture), T.resize(picture, (4, 4)))
    # no crop of aspect 10..20 fits a square: the central crop of the nearest aspect, w/h = 10
    narrow = T.RandomResizedCrop(4, scale=(0.5, 1.0), ratio=(10.0, 20.0))
    assert narrow.get_params(20, 20) == (9, 0, 2, 20)
    tensor = T.RandomResizedCrop(5, generator=mt.Generator(2))(mt.tensor(picture))
    assert isinstance(tensor, mt.Tensor) and tensor.shape == (1, 5, 5)
    first = T.RandomResizedCrop(5, generator=mt.Generator(4))(picture)
    np.testing.assert_array_equal(first, T.RandomResizedCrop(5, generator=mt.Generator(4))(picture))


def test_random_resized_crop_errors_and_warning():
    with pytest.warns(UserWarning, match="should be of kind"):
        T.RandomResizedCrop(4, scale=(1.0, 0.5))
    with pytest.raises(ValueError, match="ratio must be a pair of positive"):
        T.RandomResizedCrop(4, ratio=(0, 1))
    with pytest.raises(ValueError, match="only interpolation='bilinear'"):
        T.RandomResizedCrop(4, interpolation="nearest")
    with pytest.raises(RuntimeError, match="size must be positive"):
        T.RandomResizedCrop(0)
