"""``mt.save`` / ``mt.load``: checkpoints in a documented, code-free file format.

Format
------
A file is a ZIP archive (the ``.npz`` container of NumPy) holding

* ``__structure__.json``: UTF-8 JSON ``{"format": "microtensor", "version": 1, "root": NODE}``
  describing the saved object;
* ``tensors/<k>.npy``: one NumPy ``.npy`` member per array, ``k`` = 0, 1, 2, ...

A NODE is plain JSON for ``None``, ``True``/``False``, ``int``, ``str``, finite ``float`` (a
float is written with a decimal point or exponent, so it comes back a float) and for ``list``
(a JSON array of NODEs). Anything else is a JSON object with a ``"kind"``:

=============  =====================================================================
kind           fields
=============  =====================================================================
``tensor``     ``key`` (the member ``tensors/<key>.npy``), ``requires_grad``;
               ``parameter: true`` for an ``nn.Parameter``
``ndarray``    ``key``: a NumPy array
``scalar``     ``key``: a NumPy scalar (np.int64(3), np.float32(...)), stored 0-d
``float``      ``value``: "nan", "inf" or "-inf"
``tuple``      ``items``: a list of NODEs
``dict``       ``items``: a list of ``[KEY, NODE]`` pairs, in order; ``ordered: true``
               for an OrderedDict. KEY is itself a NODE, so the key ``0`` (an int, as
               in optimizer states) and ``"0"`` stay different after loading.
``dtype``      ``name``: a dtype such as "float32"
=============  =====================================================================

A tensor that appears several times in the object (tied weights) is stored once and loads as
one tensor. Arrays of dtype object are refused: nothing in a file is ever unpickled.

Safety: ``save`` writes to a temporary file in the target's directory, flushes and fsyncs it,
then renames it over the target (``os.replace``, atomic; see ``microtensor/_files.py``), so a
crash never leaves a half-written checkpoint. ``load`` reads with
``np.load(allow_pickle=False)``, and any file that is not such an archive (truncated, corrupt,
foreign) raises a ``ValueError`` that says so.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from microtensor._files import PathLike, atomic_write
from microtensor.tensor import Tensor

__all__ = ["save", "load"]

FORMAT_NAME = "microtensor"
FORMAT_VERSION = 1
STRUCTURE = "__structure__.json"

_SUPPORTED = ("Tensor, nn.Parameter, numpy arrays and scalars, dtypes, dict, OrderedDict, list, "
              "tuple, str, int, float, bool and None")


# --------------------------------------------------------------------------- writing


class _Encoder:
    """Turns an object into a JSON tree, collecting the arrays it references."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._key_of: dict[int, int] = {}  # id(tensor or array) -> key, for shared tensors
        self._keep_alive: list[Any] = []  # so that ids stay unique while encoding

    def _store(self, owner: Any, array: np.ndarray, where: str) -> int:
        if id(owner) in self._key_of:
            return self._key_of[id(owner)]
        if array.dtype.hasobject:
            raise TypeError(f"mt.save: can't save an array of dtype object at {where}")
        key = len(self.arrays)
        self.arrays.append(array)
        self._key_of[id(owner)] = key
        self._keep_alive.append(owner)
        return key

    def encode(self, obj: Any, where: str = "obj") -> Any:
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float) and not isinstance(obj, np.floating):
            return obj if math.isfinite(obj) else {"kind": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            from microtensor.nn.module import Parameter

            node = {"kind": "tensor", "key": self._store(obj, obj._data, where),
                    "requires_grad": obj.requires_grad}
            if isinstance(obj, Parameter):
                node["parameter"] = True
            return node
        if isinstance(obj, np.ndarray):
            return {"kind": "ndarray", "key": self._store(obj, obj, where)}
        if isinstance(obj, np.generic):
            return {"kind": "scalar", "key": self._store(obj, np.asarray(obj), where)}
        if isinstance(obj, np.dtype):
            return {"kind": "dtype", "name": obj.name}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"kind": "tuple",
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            node: dict[str, Any] = {
                "kind": "dict",
                "items": [[self._encode_key(k, where), self.encode(v, f"{where}[{k!r}]")]
                          for k, v in obj.items()],
            }
            if isinstance(obj, OrderedDict):
                node["ordered"] = True
            return node
        raise TypeError(
            f"mt.save: can't save an object of type {type(obj).__name__} at {where}; "
            f"supported: {_SUPPORTED}"
        )

    def _encode_key(self, key: Any, where: str) -> Any:
        if isinstance(key, Tensor | np.ndarray | list | dict):
            raise TypeError(f"mt.save: dict key {key!r} at {where} is not a number, string, "
                            "bool, None or tuple of those")
        return self.encode(key, f"{where} (a key)")


def _write_archive(file: IO[bytes], structure: dict[str, Any], arrays: list[np.ndarray]) -> None:
    text = json.dumps(structure, allow_nan=False, ensure_ascii=False)
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(STRUCTURE, text.encode("utf-8"))
        for key, array in enumerate(arrays):
            with zf.open(f"tensors/{key}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(obj: Any, f: PathLike | IO[bytes]) -> None:
    """Save ``obj`` (a state dict, an optimizer state, nested containers of tensors and
    numbers) to the path or binary file object ``f``. See the module docstring for the format.

    Writing to a path is atomic: the file appears complete or not at all.
    """
    encoder = _Encoder()
    structure = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": encoder.encode(obj)}
    if hasattr(f, "write"):
        _write_archive(f, structure, encoder.arrays)  # type: ignore[arg-type]
        return
    with atomic_write(f) as out:  # type: ignore[arg-type]
        _write_archive(out, structure, encoder.arrays)


# --------------------------------------------------------------------------- reading


class _Decoder:
    def __init__(self, archive: Any) -> None:
        self.archive = archive
        self._loaded: dict[int, Any] = {}

    def _array(self, key: Any) -> np.ndarray:
        member = f"tensors/{int(key)}"
        if member not in self.archive.files:
            raise ValueError(f"the structure refers to a missing array member {member}.npy")
        return self.archive[member]

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "kind" not in node:
            raise ValueError(f"unexpected node in the structure: {node!r}")
        kind = node["kind"]
        if kind in ("tensor", "ndarray", "scalar"):
            key = int(node["key"])
            if kind == "tensor" and key in self._loaded:
                return self._loaded[key]
            array = self._array(key)
            if kind == "ndarray":
                return array
            if kind == "scalar":
                return array[()]
            value = self._tensor(array, node)
            self._loaded[key] = value
            return value
        if kind == "float":
            return float(node["value"])
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "dict":
            pairs = [(self._key(k), self.decode(v)) for k, v in node["items"]]
            return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
        if kind == "dtype":
            return np.dtype(node["name"])
        raise ValueError(f"unknown node kind {kind!r} in the structure")

    def _key(self, node: Any) -> Any:
        key = self.decode(node)
        return tuple(key) if isinstance(key, list) else key

    @staticmethod
    def _tensor(array: np.ndarray, node: dict[str, Any]) -> Tensor:
        if node.get("parameter"):
            from microtensor.nn.module import Parameter

            return Parameter(array, requires_grad=bool(node.get("requires_grad", True)))
        tensor = Tensor._make(array)
        if node.get("requires_grad"):
            tensor.requires_grad = True
        return tensor


def load(f: PathLike | IO[bytes], map_location: Any = None, weights_only: bool = True) -> Any:
    """Load an object saved by ``mt.save`` from a path or binary file object.

    ``map_location`` and ``weights_only`` are accepted for compatibility with ``torch.load``
    and ignored: microtensor runs on the CPU and never executes code from a file.
    """
    name = os.fspath(f) if not hasattr(f, "read") else getattr(f, "name", "<file object>")
    try:
        archive = np.load(f, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise _not_ours(name, error) from None
    if not hasattr(archive, "files"):  # a bare .npy file: an array, not an archive
        raise _not_ours(name, "it holds a single array, not a microtensor archive")
    with archive:
        try:
            if STRUCTURE not in archive.files:
                raise ValueError(f"missing {STRUCTURE}")
            raw = archive[STRUCTURE]
            text = raw.decode("utf-8") if isinstance(raw, bytes) else bytes(raw).decode("utf-8")
            structure = json.loads(text)
            if not isinstance(structure, dict) or structure.get("format") != FORMAT_NAME:
                raise ValueError("the structure does not declare the microtensor format")
            if structure.get("version", 0) > FORMAT_VERSION:
                raise ValueError(
                    f"format version {structure.get('version')} is newer than this microtensor "
                    f"can read ({FORMAT_VERSION}); upgrade microtensor"
                )
            return _Decoder(archive).decode(structure["root"])
        except (ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile,
                UnicodeDecodeError, OSError) as error:
            raise _not_ours(name, error) from None


def _not_ours(name: Any, reason: Any) -> ValueError:
    return ValueError(
        f"mt.load: {str(name)!r} is not a microtensor file or is corrupt: {reason}"
    )
