"""mt.save / mt.load: round trips of state dicts and nested objects, the documented format,
atomic writes, and clear errors (never unpickling) for foreign or damaged files."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn
from microtensor.serialization import load, save


def _model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 4 * 4, 3))


def test_state_dict_round_trip_restores_the_model(tmp_path: Path) -> None:
    mt.manual_seed(0)
    model = _model()
    model(mt.randn(4, 1, 6, 6))  # moves the BatchNorm running statistics
    model.eval()
    path = tmp_path / "model.mt"
    save(model.state_dict(), path)
    loaded = load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(model.state_dict())
    assert loaded["1.num_batches_tracked"].dtype == mt.int64
    assert loaded["1.num_batches_tracked"].item() == 1
    assert loaded["0.weight"].dtype == mt.float32 and not loaded["0.weight"].requires_grad
    mt.manual_seed(1)
    fresh = _model().eval()
    fresh.load_state_dict(loaded)
    x = mt.randn(2, 1, 6, 6)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_nested_objects_round_trip_with_their_types(tmp_path: Path) -> None:
    obj = {
        "state": {0: {"step": 3, "buf": mt.tensor([1.5, -2.0], dtype=mt.float64)}, 1: {}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False,
                          "foreach": None, "name": "body"}],
        "0": "a string key next to the int key 0",
        (1, "x"): [float("nan"), float("inf"), -float("inf"), 1.0, 2, True],
        "arrays": [np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(0.5), np.int64(7)],
        "tensors": [mt.tensor(True), mt.tensor(3), mt.zeros(0, 4), mt.tensor(2.5)],
        "dtype": mt.float64,
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
    }
    path = tmp_path / "state.mt"
    save(obj, str(path))
    back = load(path)
    assert type(back) is dict and list(back) == list(obj)
    assert back["state"][0]["step"] == 3 and 0 in back["state"] and 1 in back["state"]
    assert back["state"][0]["buf"].dtype == mt.float64
    assert back["state"][0]["buf"].tolist() == [1.5, -2.0]
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["param_groups"][0]["foreach"] is None
    assert back["0"].startswith("a string")
    special = back[(1, "x")]
    assert np.isnan(special[0]) and special[1:3] == [np.inf, -np.inf]
    assert special[3:] == [1.0, 2, True] and type(special[3]) is float and type(special[4]) is int
    assert type(special[5]) is bool
    array, half, seven = back["arrays"]
    assert array.dtype == np.int32 and array.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(half) is np.float32 and half == 0.5 and type(seven) is np.int64
    flag, three, empty, scalar = back["tensors"]
    assert flag.dtype == mt.bool and three.dtype == mt.int64 and three.item() == 3
    assert empty.shape == (0, 4) and scalar.shape == () and scalar.item() == 2.5
    assert back["dtype"] == mt.float64
    assert type(back["ordered"]) is OrderedDict and list(back["ordered"]) == ["b", "a"]


def test_parameters_requires_grad_and_shared_tensors_survive(tmp_path: Path) -> None:
    p = nn.Parameter(mt.tensor([1.0, 2.0]))
    t = mt.tensor([3.0], requires_grad=True)
    save({"p": p, "again": p, "t": t}, tmp_path / "x")
    back = load(tmp_path / "x")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["again"] is back["p"]
    assert back["t"].requires_grad and not isinstance(back["t"], nn.Parameter)
    with zipfile.ZipFile(tmp_path / "x") as archive:
        assert sorted(archive.namelist()) == ["__structure__.json", "tensors/0.npy",
                                              "tensors/1.npy"]


def test_file_objects_work(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    save({"w": mt.ones(2)}, buffer)
    buffer.seek(0)
    assert load(buffer)["w"].tolist() == [1.0, 1.0]
    with open(tmp_path / "f.mt", "wb") as f:
        save([1, 2], f)
    with open(tmp_path / "f.mt", "rb") as f:
        assert load(f) == [1, 2]


def test_the_format_is_the_documented_one(tmp_path: Path) -> None:
    save({"weight": mt.ones(2, 3), 5: "five"}, tmp_path / "doc.mt")
    with zipfile.ZipFile(tmp_path / "doc.mt") as archive:
        structure = json.loads(archive.read("__structure__.json"))
        with archive.open("tensors/0.npy") as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
    assert structure["format"] == "microtensor" and structure["version"] == 1
    assert structure["root"] == {"kind": "dict", "items": [
        ["weight", {"kind": "tensor", "key": 0, "requires_grad": False}], [5, "five"]]}
    assert array.shape == (2, 3) and array.dtype == np.float32
    plain = np.load(tmp_path / "doc.mt", allow_pickle=False)  # an ordinary .npz for NumPy
    assert plain["tensors/0"].shape == (2, 3)
    plain.close()


def test_optimizer_state_round_trips_and_training_resumes(tmp_path: Path) -> None:
    optim = pytest.importorskip("microtensor.optim")

    def run(model, opt, steps):
        for step in range(steps):
            opt.zero_grad()
            x = mt.tensor(np.full((2, 3), float(step)), dtype=mt.float32)
            model(x).pow(2).sum().backward()
            opt.step()

    mt.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    run(model, opt, 3)
    save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.mt")
    run(model, opt, 2)
    checkpoint = load(tmp_path / "ckpt.mt")
    resumed = nn.Linear(3, 2)
    resumed.load_state_dict(checkpoint["model"])
    opt2 = optim.Adam(resumed.parameters(), lr=0.5)
    opt2.load_state_dict(checkpoint["optim"])
    assert opt2.param_groups[0]["lr"] == 0.01
    run(resumed, opt2, 2)
    np.testing.assert_array_equal(resumed.weight.detach().numpy(), model.weight.detach().numpy())


# --------------------------------------------------------------------------- atomic writes


def test_save_leaves_no_temporary_files_and_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.mt"
    save({"a": mt.ones(1)}, path)
    save({"a": mt.zeros(1)}, path)
    assert os.listdir(tmp_path) == ["ckpt.mt"]
    assert load(path)["a"].tolist() == [0.0]


def test_a_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ckpt.mt"
    save({"a": mt.ones(1)}, path)
    with pytest.raises(TypeError, match=r"can't save an object of type object at obj\['b'\]"):
        save({"a": mt.zeros(1), "b": object()}, path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"a": mt.zeros(1)}, path)
    assert os.listdir(tmp_path) == ["ckpt.mt"]
    assert load(path)["a"].tolist() == [1.0]


def test_object_arrays_are_refused() -> None:
    with pytest.raises(TypeError, match="dtype object"):
        save({"x": np.array([{}, None], dtype=object)}, io.BytesIO())


# --------------------------------------------------------------------------- bad files


def _assert_rejected(path: Path) -> None:
    with pytest.raises(ValueError, match=r"mt\.load: .* is not a microtensor file or is corrupt"):
        load(path)


def test_truncated_and_corrupted_files_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "good.mt"
    save({"w": mt.tensor(np.arange(1000, dtype=np.float64))}, path)
    data = path.read_bytes()
    (tmp_path / "half.mt").write_bytes(data[: len(data) // 2])
    _assert_rejected(tmp_path / "half.mt")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the array data: the zip CRC catches it
    (tmp_path / "flipped.mt").write_bytes(bytes(flipped))
    _assert_rejected(tmp_path / "flipped.mt")
    (tmp_path / "empty.mt").write_bytes(b"")
    _assert_rejected(tmp_path / "empty.mt")
    (tmp_path / "noise.mt").write_bytes(os.urandom(256))
    _assert_rejected(tmp_path / "noise.mt")


def test_foreign_files_are_rejected_without_unpickling(tmp_path: Path) -> None:
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="missing __structure__.json"):
        load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    _assert_rejected(tmp_path / "single.npy")

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > pwned.txt",))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Boom()))
    _assert_rejected(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned.txt").exists() and not Path("pwned.txt").exists()
    with zipfile.ZipFile(tmp_path / "other.mt", "w") as archive:
        archive.writestr("__structure__.json", json.dumps({"format": "else", "root": 1}))
    _assert_rejected(tmp_path / "other.mt")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.mt")
