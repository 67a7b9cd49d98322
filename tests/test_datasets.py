"""Tests of microtensor.datasets: IDX reading/writing, MNIST from files, the sklearn digits."""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor import transforms as T
from microtensor.datasets import MNIST, FashionMNIST, load_digits, read_idx, write_idx
from microtensor.utils.data import DataLoader, TensorDataset

# ----------------------------------------------------------------------------- IDX format

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def test_read_idx_parses_a_hand_made_file(tmp_path: Path):
    # magic 0x00000B02: int16, 2 dimensions (2, 3), big-endian values
    values = [1, -2, 300, -4000, 5, 32767]
    raw = bytes([0, 0, 0x0B, 2]) + struct.pack(">II", 2, 3) + struct.pack(">6h", *values)
    path = tmp_path / "hand.idx"
    path.write_bytes(raw)
    array = read_idx(path)
    assert array.dtype == np.int16 and array.dtype.isnative
    np.testing.assert_array_equal(array, np.array(values, np.int16).reshape(2, 3))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_then_read_roundtrip(tmp_path: Path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"data.idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)
    if suffix:
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    else:
        assert path.read_bytes()[:4] == bytes([0, 0, IDX_CODES[np.dtype(dtype)], 3])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_write_idx_takes_tensors_and_gzip_by_content(tmp_path: Path):
    write_idx(tmp_path / "t.idx", mt.tensor([[1.5, 2.5]]))
    np.testing.assert_array_equal(read_idx(tmp_path / "t.idx"), [[1.5, 2.5]])
    # a gzipped file without the .gz name is still recognised by its first bytes
    (tmp_path / "z").write_bytes(gzip.compress((tmp_path / "t.idx").read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "z"), [[1.5, 2.5]])


def test_write_idx_rejects_unsupported_dtypes(tmp_path: Path):
    with pytest.raises(TypeError, match="cannot store dtype int64"):
        write_idx(tmp_path / "x.idx", np.arange(3))


def test_read_idx_errors(tmp_path: Path):
    missing = tmp_path / "nope.idx"
    with pytest.raises(FileNotFoundError, match=r"read_idx: .*nope.idx: no such file"):
        read_idx(missing)

    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match=r"bad: bad magic number 0x01020801 \(expected 0x0000"):
        read_idx(bad)

    bad.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))
    with pytest.raises(ValueError, match="unknown dtype code 0x07"):
        read_idx(bad)

    bad.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="file has 2 bytes"):
        read_idx(bad)

    bad.write_bytes(bytes([0, 0, 0x08, 3, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match="truncated header: 3 dimensions need 16 bytes"):
        read_idx(bad)

    truncated = tmp_path / "train-images-idx3-ubyte"
    truncated.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">III", 60000, 28, 28)
                          + b"\x00" * 1000)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated: header says "
                                         r"47040000 bytes of data .*file has 1000"):
        read_idx(truncated)

    long = tmp_path / "long"
    long.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 2) + b"\x01\x02\x03")
    with pytest.raises(ValueError, match="1 unexpected bytes after the data"):
        read_idx(long)

    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(ValueError, match="broken.gz: not a valid gzip file"):
        read_idx(broken)


# ----------------------------------------------------------------------------- MNIST


def make_mnist(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = False,
               dotted: bool = False, seed: int = 0) -> dict[str, np.ndarray]:
    """Write small MNIST-format files (28x28 uint8 images) and return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        sep = "." if dotted else "-"
        ext = ".gz" if gz else ""
        write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{ext}", images)
        write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{ext}", labels)
        written[f"{prefix}-images"], written[f"{prefix}-labels"] = images, labels
    return written


@pytest.mark.parametrize(("gz", "dotted"), [(False, False), (True, False), (False, True),
                                            (True, True)])
def test_mnist_reads_all_file_name_variants(tmp_path: Path, gz, dotted):
    written = make_mnist(tmp_path, gz=gz, dotted=dotted)
    train = MNIST(tmp_path, train=True)
    test = MNIST(tmp_path, train=False)
    assert len(train) == 12 and len(test) == 5
    assert train.images.shape == (12, 1, 28, 28) and train.images.dtype == np.float32
    assert train.labels.dtype == np.int64 and train.targets is train.labels
    np.testing.assert_allclose(train.images.numpy()[:, 0], written["train-images"] / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(test.labels.numpy(), written["t10k-labels"])
    assert 0.0 <= float(train.images.numpy().min()) and float(train.images.numpy().max()) <= 1.0


def test_mnist_item_and_transforms(tmp_path: Path):
    written = make_mnist(tmp_path)
    image, label = MNIST(tmp_path)[3]
    assert isinstance(image, mt.Tensor) and image.shape == (1, 28, 28)
    assert isinstance(label, int) and label == int(written["train-labels"][3])
    ds = MNIST(tmp_path, transform=T.Normalize((0.5,), (0.25,)),
               target_transform=lambda y: y + 10)
    image_t, label_t = ds[3]
    np.testing.assert_allclose(image_t.numpy(), (image.numpy() - 0.5) / 0.25, rtol=1e-5)
    assert label_t == label + 10


def test_mnist_in_torchvision_folder_layout(tmp_path: Path):
    make_mnist(tmp_path / "MNIST" / "raw", gz=True)
    assert len(MNIST(tmp_path)) == 12
    make_mnist(tmp_path / "FashionMNIST" / "raw", n_train=4)
    fashion = FashionMNIST(tmp_path)
    assert len(fashion) == 4 and fashion.classes[9] == "Ankle boot"


def test_mnist_missing_files_error_lists_folder(tmp_path: Path):
    (tmp_path / "readme.txt").write_text("hi")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert f"MNIST: expected train-images-idx3-ubyte(.gz) in {tmp_path}" in message
    assert "found: readme.txt, train-labels-idx1-ubyte" in message
    assert "does not download" in message
    with pytest.raises(FileNotFoundError, match="never downloads"):
        MNIST(tmp_path, download=True)
    with pytest.raises(FileNotFoundError, match="folder does not exist"):
        MNIST(tmp_path / "nowhere")


def test_mnist_checks_counts_and_types(tmp_path: Path):
    make_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match="has 12 images but train-labels-idx1-ubyte has 11 labels"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(12, np.int32))
    with pytest.raises(ValueError, match="expected uint8 labels"):
        MNIST(tmp_path)


def test_mnist_loader_fast_and_per_sample_paths_agree(tmp_path: Path):
    make_mnist(tmp_path, n_train=20)
    plain = MNIST(tmp_path)
    identity = MNIST(tmp_path, transform=lambda x: x)
    fast = list(DataLoader(plain, batch_size=8, shuffle=True, seed=0))
    slow = list(DataLoader(identity, batch_size=8, shuffle=True, seed=0))
    assert [x.shape for x, _ in fast] == [(8, 1, 28, 28), (8, 1, 28, 28), (4, 1, 28, 28)]
    for (xa, ya), (xb, yb) in zip(fast, slow):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
        assert ya.dtype == yb.dtype == np.int64


# ----------------------------------------------------------------------------- digits


def test_load_digits_shapes_and_range():
    pytest.importorskip("sklearn", reason="scikit-learn (the examples extra) is not installed")
    digits = load_digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == np.float32
    assert digits.labels.shape == (1797,) and digits.labels.dtype == np.int64
    assert len(digits) == 1797
    pixels = digits.images.numpy()
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    np.testing.assert_array_equal(np.unique(pixels * 16), np.arange(17))  # 0..16 scaled by 1/16
    assert sorted(set(digits.labels.tolist())) == list(range(10))
    full = digits.dataset()
    assert isinstance(full, TensorDataset) and len(full) == 1797


def test_digits_split_sizes_stratified_and_seeded():
    pytest.importorskip("sklearn", reason="scikit-learn (the examples extra) is not installed")
    digits = load_digits()
    train, val, test = digits.split((0.7, 0.15, 0.15), seed=0)
    assert [len(train), len(val), len(test)] == [1258, 270, 269]
    all_labels = digits.labels.numpy()
    overall = np.bincount(all_labels, minlength=10)
    parts = [train, val, test]
    for part, fraction in zip(parts, (0.7, 0.15, 0.15)):
        counts = np.bincount(part.tensors[1].numpy(), minlength=10)
        assert np.all(np.abs(counts - overall * fraction) <= 1.5), counts
    # disjoint and complete: the parts hold the same multiset of images as the whole
    keys = sorted(img.tobytes() for part in parts for img in part.tensors[0].numpy())
    assert keys == sorted(img.tobytes() for img in digits.images.numpy())
    # same seed, same split; another seed, another split
    again = digits.split((0.7, 0.15, 0.15), seed=0)
    np.testing.assert_array_equal(again[0].tensors[1].numpy(), train.tensors[1].numpy())
    other = digits.split((0.7, 0.15, 0.15), seed=1)
    assert not np.array_equal(other[0].tensors[1].numpy(), train.tensors[1].numpy())
    # labels still belong to their images
    first_image = train.tensors[0].numpy()[0]
    index = next(i for i, img in enumerate(digits.images.numpy()) if np.array_equal(img,
                                                                                    first_image))
    assert int(train.tensors[1].numpy()[0]) == int(all_labels[index])
    unstratified = digits.split((0.5, 0.5), seed=0, stratify=False)
    assert [len(p) for p in unstratified] == [899, 898]
    with pytest.raises(ValueError, match="sum to 1"):
        digits.split((0.5, 0.4))


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    for name in list(sys.modules):
        if name == "sklearn" or name.startswith("sklearn."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes "import sklearn" fail
    with pytest.raises(ImportError, match=r'pip install -e "\.\[examples\]"'):
        load_digits()
