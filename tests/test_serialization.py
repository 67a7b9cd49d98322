"""mt.save / mt.load: round trips of state dicts and nested objects, the documented format,
atomic writes, and clear errors (never unpickling) for foreign or damaged files."""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import re
import struct
import warnings
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

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


def test_a_non_zip_file_gets_no_advice_about_pickles(tmp_path: Path) -> None:
    """NumPy's own error for such a file suggests allow_pickle=True, which load never uses."""
    (tmp_path / "notes.txt").write_bytes(b"hello world, this is text\n")
    with pytest.raises(ValueError, match=r"not a ZIP archive") as error:
        load(tmp_path / "notes.txt")
    assert "pickle" not in str(error.value)
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match=r"single NumPy array \(\.npy\), not an archive"):
        load(tmp_path / "single.npy")


# --------------------------------------------------------------------------- hostile files


def _npy(shape: tuple[int, ...], descr: str = "<f8", data: bytes = b"",
         version: tuple[int, int] = (1, 0)) -> bytes:
    """A .npy member: a header that declares ``shape`` and ``descr``, then ``data``."""
    header = io.BytesIO()
    write = (np.lib.format.write_array_header_1_0 if version == (1, 0)
             else np.lib.format.write_array_header_2_0)
    write(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue() + data


def _npy_with_header_text(text: str, data: bytes) -> bytes:
    """A .npy member with the header text given verbatim (padded as np.save pads)."""
    body = (text.ljust(118) + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + data


def _structure(root: object) -> bytes:
    return json.dumps({"format": "microtensor", "version": 1, "root": root}).encode()


def _archive(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _raw_zip(data: bytes, names: list[str], *, declared: int | None = None, flags: int = 0,
             method: int = 0, version: int = 20) -> bytes:
    """A ZIP archive written byte by byte: one local entry holding ``data`` (stored), and one
    directory entry per name, all pointing at that same data (what an overlapping "zip bomb"
    does), each declaring ``declared`` bytes and the given flags, method and version."""
    crc, size = zlib.crc32(data), len(data)
    declared = size if declared is None else declared
    first = names[0].encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", version, flags, method, 0, 0, crc, size,
                        size, len(first), 0) + first + data
    directory = b"".join(
        struct.pack("<4s6H3L5H2L", b"PK\x01\x02", version, version, flags, method, 0, 0, crc,
                    declared, declared, len(name.encode()), 0, 0, 0, 0, 0, 0) + name.encode()
        for name in names)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(names), len(names), len(directory),
                      len(local), 0)
    return local + directory + end


def _rejected(data: bytes, tmp_path: Path, fragment: str) -> str:
    path = tmp_path / "hostile.mt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"^mt\.load: '.*hostile\.mt' is not a microtensor file "
                                         r"or is corrupt: ") as error:
        load(path)
    assert fragment in str(error.value)
    return str(error.value)


@pytest.fixture
def nothing_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if load opens any member: the ZIP directory alone must condemn the file."""
    open_member = zipfile.ZipFile.open

    def refuse(archive: zipfile.ZipFile, name: object, mode: str = "r", *args: object,
               **kwargs: object) -> object:
        if mode == "r":
            raise AssertionError(f"the member {name} was read")
        return open_member(archive, name, mode, *args, **kwargs)  # the test's own archive

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


TENSOR_0 = {"kind": "tensor", "key": 0, "requires_grad": False}


def test_a_huge_declared_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    """Was MemoryError: np.load allocated what the header declared (8 TiB)."""
    for version in ((1, 0), (2, 0)):
        data = _archive([("__structure__.json", _structure(TENSOR_0)),
                         ("tensors/0.npy", _npy((2**40,), version=version, data=bytes(16)))])
        message = _rejected(data, tmp_path, "tensors/0.npy declares shape (1099511627776,) of "
                                            "float64 (8796093022208 bytes) but holds 16 bytes")
        assert "MemoryError" not in message


def test_a_member_with_more_data_than_its_header_declares_is_refused(tmp_path: Path) -> None:
    data = _archive([("__structure__.json", _structure(TENSOR_0)),
                     ("tensors/0.npy", _npy((2,), data=bytes(24)))])
    _rejected(data, tmp_path, "declares shape (2,) of float64 (16 bytes) but holds 24 bytes")


def test_an_archive_that_inflates_is_refused(tmp_path: Path, nothing_is_read: None) -> None:
    """A compressed member (here 2 MB of zeros in 2 kB) is refused before it is inflated:
    mt.save stores members uncompressed, so a file never needs more memory than its size."""
    data = _archive([("__structure__.json", _structure(TENSOR_0)),
                     ("tensors/0.npy", _npy((2_000_000,), "|u1", bytes(2_000_000)))],
                    compression=zipfile.ZIP_DEFLATED)
    assert len(data) < 10_000
    _rejected(data, tmp_path, "is compressed (method 8); mt.save stores members uncompressed")


def test_sizes_declared_beyond_the_files_size_are_refused(tmp_path: Path,
                                                         nothing_is_read: None) -> None:
    """A 1 MB file whose directory lists 2,300 members that all point at the same 1 MB (an
    overlapping "zip bomb"), or one member that claims 2.3 GB: refused from the directory."""
    megabyte = _npy((1_000_000,), "|u1", bytes(1_000_000))
    names = ["__structure__.json"] + [f"tensors/{k}.npy" for k in range(2_299)]
    bomb = _raw_zip(megabyte, names)
    assert len(bomb) < 1_200_000
    _rejected(bomb, tmp_path, "declare 2300")
    _rejected(_raw_zip(megabyte, ["tensors/0.npy", "__structure__.json"],
                       declared=2_300_000_000), tmp_path, "declare 4600000000 bytes in all, "
                                                          "more than the file's")


def test_duplicate_and_path_like_member_names_are_refused(tmp_path: Path,
                                                          nothing_is_read: None) -> None:
    member = _npy((1,), data=bytes(8))
    duplicate = _archive([("__structure__.json", _structure(TENSOR_0)),
                          ("tensors/0.npy", member), ("tensors/0.npy", _npy((2,), data=bytes(16)))])
    _rejected(duplicate, tmp_path, "the member 'tensors/0.npy' appears twice")
    twice = _archive([("__structure__.json", _structure(1)), ("__structure__.json", _structure(2))])
    _rejected(twice, tmp_path, "the member '__structure__.json' appears twice")
    for name in ["../evil.npy", "/etc/evil.npy", "tensors/../0.npy", "tensors\\0.npy",
                 "tensors/00.npy", "tensors/-1.npy", "tensors/0.npy/", "C:/tensors/0.npy",
                 "tensors/0.NPY", "readme.txt"]:
        data = _archive([("__structure__.json", _structure(1)), (name, member)])
        _rejected(data, tmp_path, f"unexpected member {name!r}")
    # a name that zipfile would cut at the NUL byte, to 'tensors/0.npy'
    _rejected(_raw_zip(_structure(1), ["__structure__.json", "tensors/0.npy\x00.txt"]), tmp_path,
              "unexpected member 'tensors/0.npy\\x00.txt'")


def test_encrypted_unsupported_and_future_zip_features_are_refused(tmp_path: Path) -> None:
    """Were RuntimeError ("File is encrypted, password required") and NotImplementedError
    ("That compression method is not supported", "zip file version 9.9")."""
    names = ["__structure__.json"]
    _rejected(_raw_zip(_structure(1), names, flags=0x1), tmp_path, "encrypted or uses an "
                                                                    "unsupported ZIP feature")
    _rejected(_raw_zip(_structure(1), names, flags=0x40), tmp_path, "(flags 0x0040)")
    _rejected(_raw_zip(_structure(1), names, method=99), tmp_path, "is compressed (method 99)")
    _rejected(_raw_zip(_structure(1), names, version=99), tmp_path, "zip file version 9.9")
    assert load(io.BytesIO(_raw_zip(_structure([1, "a"]), names))) == [1, "a"]  # the control


def test_deep_nesting_is_refused_never_a_recursion_error(tmp_path: Path) -> None:
    """Was RecursionError (json's parser, 100,000 levels). The format's limit is MAX_DEPTH."""
    deep = b'{"format": "microtensor", "version": 1, "root": ' + b"[" * 100_000 \
        + b"]" * 100_000 + b"}"
    _rejected(_archive([("__structure__.json", deep)]), tmp_path,
              "nests deeper than a file of containers nested 100 deep can")
    lists = json.loads("[" * 101 + "]" * 101)
    _rejected(_archive([("__structure__.json", _structure(lists))]), tmp_path,
              "containers nest more than 100 deep")
    ok = load(io.BytesIO(_archive([("__structure__.json",
                                    _structure(json.loads("[" * 100 + "]" * 100)))])))
    for _ in range(99):
        (ok,) = ok
    assert ok == []


def test_save_refuses_nesting_beyond_the_limit_and_cycles() -> None:
    """Was RecursionError for a 5,000-deep list."""
    deep: list = []
    inner = deep
    for _ in range(4_999):
        inner.append([])
        inner = inner[0]
    with pytest.raises(ValueError, match=r"mt\.save: containers nest more than 100 deep at "
                                         r"obj\[0\]\[0\].*\.\.\..*\[0\]; the format's limit"):
        save(deep, io.BytesIO())
    nested: dict = {}
    inner_dict = nested
    for _ in range(100):
        inner_dict["a"] = {}
        inner_dict = inner_dict["a"]
    with pytest.raises(ValueError, match="nest more than 100 deep"):
        save(nested, io.BytesIO())
    cycle: list = [1]
    cycle.append(cycle)
    with pytest.raises(ValueError, match=r"mt\.save: obj\[1\] contains itself \(a reference "
                                         r"cycle\)"):
        save(cycle, io.BytesIO())
    loop: dict = {}
    loop["self"] = {"again": loop}
    with pytest.raises(ValueError, match=r"obj\['self'\]\['again'\] contains itself"):
        save(loop, io.BytesIO())


def test_the_deepest_allowed_object_round_trips() -> None:
    """100 nested dicts, the innermost holding a tensor and a float node: the deepest JSON a
    save can write, which load must accept. A container that appears twice is not a cycle."""
    root: dict = {}
    inner = root
    for _ in range(99):
        inner["k"] = {}
        inner = inner["k"]
    inner.update(t=mt.tensor([1.0, 2.0]), nan=float("nan"))
    root["shared"] = [[1]] * 2
    buffer = io.BytesIO()
    save(root, buffer)
    buffer.seek(0)
    back = load(buffer)
    assert back["shared"] == [[1], [1]]
    for _ in range(99):
        back = back["k"]
    assert back["t"].tolist() == [1.0, 2.0] and np.isnan(back["nan"])


@pytest.mark.parametrize("descr", ["<U3", "|S2", "|O", "<M8[D]", "|V8"])
def test_arrays_of_strings_or_objects_are_refused_by_load(tmp_path: Path, descr: str) -> None:
    """Were loaded (strings) or refused by NumPy's pickle check with its own advice (objects)."""
    data = _archive([("__structure__.json", _structure({"kind": "ndarray", "key": 0})),
                     ("tensors/0.npy", _npy((2,), descr, bytes(2 * np.dtype("<U3").itemsize)))])
    _rejected(data, tmp_path, f"an array has dtype {descr!r}; a microtensor file holds arrays "
                              "of booleans and numbers only")


def test_arrays_and_dtypes_of_strings_are_refused_by_save() -> None:
    for bad in (np.array(["a", "b"]), np.bytes_(b"x"), np.array(["2024-01-01"], "M8[D]")):
        with pytest.raises(TypeError, match=r"mt\.save: can't save an array of dtype .* at "
                                            r"obj\['x'\]; the format holds arrays of booleans"):
            save({"x": bad}, io.BytesIO())
    with pytest.raises(TypeError, match=r"can't save the dtype <U3 at obj\[0\]"):
        save([np.dtype("U3")], io.BytesIO())
    for name in ("str96", "O", "a", "(3,)f8"):
        node = {"kind": "dtype", "name": name}
        with pytest.raises(ValueError, match=f"a dtype node names {re.escape(repr(name))}"):
            load(io.BytesIO(_archive([("__structure__.json", _structure(node))])))


def test_npy_headers_that_break_numpys_parser_are_refused(tmp_path: Path) -> None:
    """Headers that np.load fails on with tokenize.TokenError or by evaluating Python."""
    for text in ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }'''",
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (2,( }",
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (1+1,), }",
                 "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }"]:
        data = _archive([("__structure__.json", _structure(TENSOR_0)),
                         ("tensors/0.npy", _npy_with_header_text(text, bytes(16)))])
        _rejected(data, tmp_path, "a .npy header is not one np.save writes")


def test_npy_headers_np_save_writes_are_all_read() -> None:
    """Fortran order, big-endian data, format version 2.0, zero-size and 0-d arrays."""
    arrays = [np.arange(6.0).reshape(2, 3).T, np.arange(3, dtype=">f8"), np.zeros((0, 4), bool),
              np.array(7, np.uint16), np.array([1 + 2j], np.complex64)]
    members = []
    for key, array in enumerate(arrays):
        member = io.BytesIO()
        np.lib.format.write_array(member, array, version=(2, 0) if key == 1 else None)
        members.append((f"tensors/{key}.npy", member.getvalue()))
    root = [{"kind": "ndarray", "key": key} for key in range(len(arrays))]
    back = load(io.BytesIO(_archive([("__structure__.json", _structure(root)), *members])))
    for ours, original in zip(back, arrays):
        assert ours.dtype == original.dtype and ours.shape == original.shape
        np.testing.assert_array_equal(ours, original)
    assert back[0].flags.f_contiguous and back[0].flags.writeable


def test_integer_tensors_marked_requires_grad_are_refused(tmp_path: Path) -> None:
    """Was RuntimeError from Parameter. As in PyTorch, an integer Parameter that does not
    require grad is fine: it round-trips."""
    for node, what in [({"kind": "tensor", "key": 0, "requires_grad": True, "parameter": True},
                        "a Parameter of dtype"),
                       ({"kind": "tensor", "key": 0, "parameter": True}, "a Parameter of dtype"),
                       ({"kind": "tensor", "key": 0, "requires_grad": True}, "a tensor of dtype")]:
        data = _archive([("__structure__.json", _structure(node)),
                         ("tensors/0.npy", _npy((2,), "<i8", bytes(16)))])
        _rejected(data, tmp_path, f"{what} int64 is marked requires_grad, but only floating "
                                  "point tensors can require gradients")
    steps = nn.Parameter(mt.tensor([1, 2]), requires_grad=False)
    buffer = io.BytesIO()
    save({"steps": steps}, buffer)
    buffer.seek(0)
    back = load(buffer)["steps"]
    assert isinstance(back, nn.Parameter) and back.dtype == mt.int64
    assert not back.requires_grad and back.tolist() == [1, 2]


def test_malformed_structures_are_refused(tmp_path: Path) -> None:
    member = ("tensors/0.npy", _npy((2,), "<f4", bytes(8)))
    for root, fragment in [
        ({"kind": "tensor", "key": True}, "the array key True is not a non-negative integer"),
        ({"kind": "ndarray", "key": -1}, "the array key -1"),
        ({"kind": "ndarray", "key": 5}, "missing array member tensors/5.npy"),
        ({"kind": "scalar", "key": 0}, "a scalar node refers to an array of shape (2,)"),
        ({"kind": "tensor", "key": 0, "requires_grad": "yes"}, "flags are not true/false"),
        ({"kind": "float", "value": "1e999"}, "not nan, inf or -inf"),
        ({"kind": "tuple", "items": "abc"}, "a tuple node has no list of items"),
        ({"kind": "dict", "items": [[1, 2, 3]]}, "is not a [key, value] pair"),
        ({"kind": "dict", "items": [[[[1]], 2]]}, "unhashable type: 'list'"),
        ({"kind": "dict", "items": [[TENSOR_0, 2]]}, "a dict key is a Tensor"),
        ({"kind": "weights"}, "unknown node kind 'weights'"),
    ]:
        _rejected(_archive([("__structure__.json", _structure(root)), member]), tmp_path,
                  fragment)
    for structure, fragment in [(b'{"format": "microtensor", "version": "1", "root": 1}',
                                 "format version '1' is not an integer"),
                                (b'{"format": "microtensor", "version": 2, "root": 1}',
                                 "format version 2 is newer than this microtensor can read"),
                                (b'{"format": "microtensor", "version": 1}', "has no root"),
                                (b'\xff{"format": "microtensor"}', "can't decode byte 0xff"),
                                (b'{"format": "microtensor", "version": 1, "root": [}',
                                 "Expecting value")]:
        _rejected(_archive([("__structure__.json", structure)]), tmp_path, fragment)


# --------------------------------------------------------------------------- fuzzing


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, all the way down (nan equal to nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, mt.Tensor):
        return (a.dtype == b.dtype and a.requires_grad == b.requires_grad
                and np.array_equal(a.detach().numpy(), b.detach().numpy()))
    if isinstance(a, np.ndarray | np.generic):
        return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and np.isnan(a):
        return bool(np.isnan(b))
    return a == b


def _fuzz_object() -> dict:
    mt.manual_seed(0)
    return {"model": OrderedDict([("w", mt.randn(3, 4)), ("steps", mt.zeros(4, dtype=mt.int64))]),
            "p": nn.Parameter(mt.ones(2)), "t": (1, 2.5, "x", None, float("nan")),
            "arr": np.arange(6, dtype=np.int32).reshape(2, 3).T, "s": np.float32(1.5),
            "dt": mt.float64, 0: [True, False]}


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random bit flips, truncations, insertions, overwrites or deletions."""
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3])):
        where, operation = rng.randrange(len(out) + 1), rng.randrange(5)
        if operation == 0 and where < len(out):
            out[where] ^= 1 << rng.randrange(8)
        elif operation == 1:
            out = out[:where] if rng.random() < 0.7 else out[where:]
        elif operation == 2:
            out[where:where] = bytes(rng.choice(b'[]{}",:0123456789.-e\\tfn\'() \x00\xff')
                                     for _ in range(rng.randint(1, 8)))
        elif operation == 3 and where < len(out):
            out[where] = rng.randrange(256)
        else:
            del out[where:where + rng.randint(1, 16)]
    return bytes(out)


PREFIX = "mt.load: '<file object>' is not a microtensor file or is corrupt: "


def test_fuzzed_files_load_right_or_raise_the_promised_value_error() -> None:
    """Random damage anywhere in a valid file: every load either gives back exactly the saved
    object (the damage hit bytes that do not matter, such as a date) or raises ValueError with
    the promised prefix. Never MemoryError, RecursionError, RuntimeError, NotImplementedError,
    tokenize.TokenError, ..."""
    original = _fuzz_object()
    buffer = io.BytesIO()
    save(original, buffer)
    good = buffer.getvalue()
    rng = random.Random(1234)
    outcomes = {"same": 0, "refused": 0}
    for _ in range(3000):
        damaged = _mutate(good, rng)
        try:
            back = load(io.BytesIO(damaged))
        except ValueError as error:
            assert str(error).startswith(PREFIX), str(error)
            outcomes["refused"] += 1
            continue
        assert _same(back, original), damaged
        outcomes["same"] += 1
    assert outcomes["refused"] > 2500 and outcomes["same"] > 50  # both outcomes were exercised


def test_fuzzed_members_with_valid_checksums_raise_only_the_promised_value_error() -> None:
    """The same damage inside one member of an archive rebuilt around it (so the CRC holds and
    the JSON and .npy parsers see the damage): a load gives an object of the documented types
    (not necessarily the saved one: the damage may be a valid change) or the ValueError."""
    buffer = io.BytesIO()
    save(_fuzz_object(), buffer)
    with zipfile.ZipFile(buffer) as archive:
        members = [(name, archive.read(name)) for name in archive.namelist()]
    rng = random.Random(99)
    refused = 0
    for _ in range(1000):
        target = rng.randrange(len(members))
        damaged = [(name, _mutate(data, rng) if k == target else data)
                   for k, (name, data) in enumerate(members)]
        try:
            back = load(io.BytesIO(_archive(damaged)))
        except ValueError as error:
            assert str(error).startswith(PREFIX), str(error)
            refused += 1
            continue
        assert _only_supported(back)
    assert refused > 800


def _only_supported(obj: object) -> bool:
    """Whether ``obj`` is made only of the types the format documents (numeric arrays)."""
    if isinstance(obj, dict):
        return all(_only_supported(k) and _only_supported(v) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return all(_only_supported(v) for v in obj)
    if isinstance(obj, np.dtype):
        return obj.kind in "biufc"
    if isinstance(obj, mt.Tensor | np.ndarray | np.generic):
        return obj.dtype.kind in "biufc"
    return obj is None or isinstance(obj, bool | int | float | str)


# --------------------------------------------------------------------------- load_state_dict


def test_load_state_dict_refuses_lists_and_numbers_as_pytorch_does() -> None:
    """Was accepted through np.asarray. PyTorch raises RuntimeError for any value that is not
    a tensor; microtensor also accepts NumPy arrays of numbers (its tensors' data)."""
    model = nn.Linear(2, 2)
    before = model.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict({"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": 3.0, "extra": 1})
    assert str(error.value) == (
        "Error(s) in loading state_dict for Linear:\n\t"
        'Unexpected key(s) in state_dict: "extra". \n\t'
        'While copying the parameter named "weight", expected Tensor or Tensor-like object '
        "from checkpoint but received <class 'list'>\n\t"
        'While copying the parameter named "bias", expected Tensor or Tensor-like object '
        "from checkpoint but received <class 'float'>"
    )
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)
    with pytest.raises(RuntimeError, match=r"received <class 'NoneType'>"):
        model.load_state_dict({"weight": mt.eye(2), "bias": None}, strict=False)
    with pytest.raises(RuntimeError, match=r"received <class 'numpy.ndarray'> of dtype <U1"):
        model.load_state_dict({"weight": mt.eye(2), "bias": np.array(["a", "b"])})
    model.load_state_dict({"weight": np.eye(2), "bias": mt.tensor([1, 2])})
    assert model.bias.dtype == mt.float32 and model.bias.tolist() == [1.0, 2.0]


def test_load_state_dict_errors_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    state = {"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": 3.0, "extra": 1}
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(2, 2).load_state_dict(state)
    with pytest.raises(RuntimeError) as ours:
        nn.Linear(2, 2).load_state_dict(state)
    assert str(ours.value) == str(theirs.value).replace("torch.Tensor", "Tensor")


def test_a_pytorch_checkpoint_gets_a_hint(tmp_path: Path) -> None:
    """torch.save writes a ZIP archive too, around a pickle: load names it and says what to do."""
    data = _archive([("model/data.pkl", b"\x80\x02}q\x00."), ("model/version", b"3\n")])
    _rejected(data, tmp_path, "missing __structure__.json (a PyTorch checkpoint? Load it with "
                              "torch.load and convert its tensors with .numpy())")


def test_a_real_pytorch_checkpoint_gets_the_hint(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "hostile.mt")
    with pytest.raises(ValueError, match=r"is corrupt: missing __structure__\.json \(a PyTorch "):
        load(tmp_path / "hostile.mt")
