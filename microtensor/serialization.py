"""``mt.save`` / ``mt.load``: checkpoints in a documented, code-free file format.

Format
------
A file is a ZIP archive (the ``.npz`` container of NumPy; ``np.load`` opens it too) holding

* ``__structure__.json``: UTF-8 JSON ``{"format": "microtensor", "version": 1, "root": NODE}``
  describing the saved object;
* ``tensors/<k>.npy``: one NumPy ``.npy`` member per array, ``k`` = 0, 1, 2, ...

Members are stored uncompressed (``ZIP_STORED``). A NODE is plain JSON for ``None``,
``True``/``False``, ``int``, ``str``, finite ``float`` (a float is written with a decimal point
or exponent, so it comes back a float) and for ``list`` (a JSON array of NODEs). Anything else
is a JSON object with a ``"kind"``:

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
``dtype``      ``name``: the name of a dtype, such as "float32"
=============  =====================================================================

A tensor or array that appears several times in the object (tied weights) is stored once and
loads as one object.

Limits (where microtensor differs from ``torch.save``, which pickles anything)
-------------------------------------------------------------------------------
* Arrays hold booleans or numbers (bool, signed and unsigned integers, floating point,
  complex). Arrays of strings, bytes, dates, records or Python objects are refused by
  ``save`` and by ``load``: nothing in a file is ever unpickled.
* Containers (list, tuple, dict, OrderedDict; a tuple used as a dict key counts) nest at most
  ``MAX_DEPTH`` = 100 deep, and an object that contains itself (a reference cycle) cannot be
  saved: ``save`` raises ``ValueError`` for both, and ``load`` refuses a file whose structure
  nests deeper. (``torch.save`` keeps cycles, and fails with ``RecursionError`` for lists
  nested some 500 deep; a state dict nests two to four deep.)
* A ``dtype`` in the object must be one of those of booleans and numbers (``mt.float32``,
  ``np.dtype("int64")``, ...).
* Only floating point and complex tensors can require gradients, as in PyTorch: a file that
  marks an integer tensor or ``Parameter`` ``requires_grad`` is refused.

Safety
------
``save`` to a path writes to a temporary file in the target's directory, flushes and fsyncs it,
then renames it over the target (``os.replace``, atomic; see ``microtensor/_files.py``), so a
crash never leaves a half-written checkpoint. A save that is killed (SIGKILL, out of memory)
leaves its temporary file ``.<name>.microtensor-<pid>-<16 hex digits>.tmp``; the next save or
load in that directory removes it once its process is gone and nobody has written to it for
``STALE_AFTER_SECONDS`` (10 s); the rules are in ``microtensor/_files.py``. The file gets the
permissions of any new file (``0o666`` minus the umask), or keeps those of the file it
replaces.

``load`` never trusts a size or a name it has not checked: before reading any data it checks
the ZIP directory (only the member names above, each once; stored, not compressed, not
encrypted; together no larger than the file), and before reading an array it checks its
``.npy`` header (a numeric dtype, shape x itemsize equal to the member's size). So a load needs
memory of about the file's size, never more. Every file that is not such an archive
(truncated, corrupt, hostile or foreign) raises ``ValueError("mt.load: '<file>' is not a
microtensor file or is corrupt: <reason>")``; a missing or unreadable path raises its
``OSError`` (``FileNotFoundError``, ``PermissionError``) as ``torch.load`` does.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import IO, Any

import numpy as np

from microtensor._files import PathLike, atomic_write, remove_stale_temporaries
from microtensor.tensor import Tensor

__all__ = ["save", "load", "MAX_DEPTH"]

FORMAT_NAME = "microtensor"
FORMAT_VERSION = 1
STRUCTURE = "__structure__.json"

MAX_DEPTH = 100
"""How deep containers may nest in a saved object (the root container is at depth 1)."""

# A container at depth d opens at most 3 JSON levels (a dict: its object, its "items" array, a
# [key, value] pair) below the one of depth d - 1; the file's top object and a leaf node
# (a tensor's {"kind": ...}) add one level each.
_MAX_JSON_DEPTH = 3 * MAX_DEPTH + 2

_ARRAY_KINDS = "biufc"  # bool, int, unsigned int, float, complex: what an array may hold
# the names of those dtypes ("bool", "int64", "float32", ...): what a dtype node may name
_DTYPE_NAMES = frozenset(np.dtype(code).name for code in "?bBhHiIlLqQefdgFDG")
_SUPPORTED = ("Tensor, nn.Parameter, numpy arrays and scalars, dtypes, dict, OrderedDict, list, "
              "tuple, str, int, float, bool and None")


def _array_member(key: int) -> str:
    return f"tensors/{key}.npy"


# --------------------------------------------------------------------------- writing


class _Encoder:
    """Turns an object into a JSON tree, collecting the arrays it references."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._key_of: dict[int, int] = {}  # id(tensor or array) -> key, for shared tensors
        self._keep_alive: list[Any] = []  # so that ids stay unique while encoding
        self._open: set[int] = set()  # ids of the containers being encoded (to find cycles)

    def _store(self, owner: Any, array: np.ndarray, where: str) -> int:
        if id(owner) in self._key_of:
            return self._key_of[id(owner)]
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"mt.save: can't save an array of dtype {array.dtype} at {_short(where)}; the "
                "format holds arrays of booleans and numbers only (bool, int, uint, float, "
                "complex)"
            )
        key = len(self.arrays)
        self.arrays.append(array)
        self._key_of[id(owner)] = key
        self._keep_alive.append(owner)
        return key

    def encode(self, obj: Any, where: str = "obj", depth: int = 0) -> Any:
        """The NODE of ``obj``, found at ``where`` inside ``depth`` containers."""
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
            if obj.name not in _DTYPE_NAMES:
                raise TypeError(f"mt.save: can't save the dtype {obj} at {_short(where)}; the "
                                "format holds the dtypes of booleans and numbers only")
            return {"kind": "dtype", "name": obj.name}
        if isinstance(obj, list | tuple | dict):
            return self._container(obj, where, depth + 1)
        if callable(getattr(obj, "state_dict", None)):  # a Module, an optimizer, a scheduler
            raise TypeError(_whole_object_error(obj, where))
        raise TypeError(
            f"mt.save: can't save an object of type {type(obj).__name__} at {_short(where)}; "
            f"supported: {_SUPPORTED}"
        )

    def _container(self, obj: list | tuple | dict, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(
                f"mt.save: containers nest more than {MAX_DEPTH} deep at {_short(where)}; the "
                f"format's limit is {MAX_DEPTH} (see microtensor.serialization.MAX_DEPTH): "
                "flatten the object"
            )
        if id(obj) in self._open:
            raise ValueError(
                f"mt.save: {_short(where)} contains itself (a reference cycle); the format "
                "stores trees: remove the cycle"
            )
        self._open.add(id(obj))
        try:
            if isinstance(obj, list):
                return [self.encode(v, f"{where}[{i}]", depth) for i, v in enumerate(obj)]
            if isinstance(obj, tuple):
                return {"kind": "tuple",
                        "items": [self.encode(v, f"{where}[{i}]", depth)
                                  for i, v in enumerate(obj)]}
            node: dict[str, Any] = {
                "kind": "dict",
                "items": [[self._encode_key(k, where, depth),
                           self.encode(v, f"{where}[{k!r}]", depth)] for k, v in obj.items()],
            }
            if isinstance(obj, OrderedDict):
                node["ordered"] = True
            return node
        finally:
            self._open.discard(id(obj))

    def _encode_key(self, key: Any, where: str, depth: int) -> Any:
        if isinstance(key, Tensor | np.ndarray | list | dict):
            raise TypeError(f"mt.save: dict key {key!r} at {_short(where)} is not a number, "
                            "string, bool, None or tuple of those")
        return self.encode(key, f"{where} (a key)", depth)


def _whole_object_error(obj: Any, where: str) -> str:
    """``mt.save(model)``: PyTorch would pickle the whole object; microtensor never pickles."""
    kind = type(obj).__name__
    return (f"mt.save: can't save a whole {kind} object (at {_short(where)}): microtensor saves "
            "data, never pickled objects (loading a pickle can run any code). Save its state "
            "dict instead, mt.save(obj.state_dict(), path), and restore it into a new object "
            "with obj.load_state_dict(mt.load(path))")


def _short(where: str) -> str:
    """A location such as ``obj['state'][0]``, shortened in the middle when very long."""
    return where if len(where) <= 100 else f"{where[:60]}...{where[-30:]}"


def _write_archive(file: IO[bytes], structure: dict[str, Any], arrays: list[np.ndarray]) -> None:
    text = json.dumps(structure, allow_nan=False, ensure_ascii=False)
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(STRUCTURE, text.encode("utf-8"))
        for key, array in enumerate(arrays):
            with zf.open(_array_member(key), mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(obj: Any, f: PathLike | IO[bytes]) -> None:
    """Save ``obj`` (a state dict, an optimizer state, nested containers of tensors and
    numbers) to the path or binary file object ``f``. See the module docstring for the format
    and its limits.

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

# What reading a damaged file can raise, from zipfile, json and the checks below; load turns
# each into its one ValueError. (MemoryError and RecursionError cannot happen: sizes and the
# nesting depth are checked before anything is allocated or parsed.)
_DAMAGE = (ValueError, TypeError, KeyError, EOFError, OSError, zipfile.BadZipFile, struct.error)

_ARRAY_MEMBER = re.compile(r"tensors/(?:0|[1-9][0-9]{0,9})\.npy")
_ALLOWED_FLAGS = 0x08 | 0x800  # sizes in a data descriptor after the data; UTF-8 names

_NPY_MAGIC = b"\x93NUMPY"
_NPY_MAX_HEADER = 10_000  # the limit np.load applies
# the header np.lib.format writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
_NPY_HEADER = re.compile(
    r"\{\s*'descr'\s*:\s*'(?P<descr>[^']{1,40})'\s*,"
    r"\s*'fortran_order'\s*:\s*(?P<fortran>True|False)\s*,"
    r"\s*'shape'\s*:\s*\((?P<shape>(?:\s*[0-9]{1,19}\s*,)*(?:\s*[0-9]{1,19}\s*)?)\)\s*,?\s*\}\s*"
)
_NPY_DESCR = re.compile(r"[<>|=]?[biufc][0-9]{1,2}")  # '<f4', '|b1', '<i8', '<c16', ...
_CHUNK = 1 << 22  # arrays are read 4 MiB at a time, straight into their final memory

# a JSON string, to be skipped when counting how deep brackets nest
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def load(f: PathLike | IO[bytes], map_location: Any = None, weights_only: bool = True) -> Any:
    """Load an object saved by ``mt.save`` from a path or binary file object.

    ``map_location`` and ``weights_only`` are accepted for compatibility with ``torch.load``
    and ignored: microtensor runs on the CPU and never executes code from a file.

    A file that is not a microtensor file, or is damaged, raises ``ValueError`` (see the module
    docstring for what is checked); a missing or unreadable path raises its ``OSError``.
    """
    if hasattr(f, "read"):
        return _load_archive(f, getattr(f, "name", "<file object>"))  # type: ignore[arg-type]
    path = os.fspath(f)
    remove_stale_temporaries(Path(path).parent)
    with open(path, "rb") as file:  # FileNotFoundError, PermissionError, ... as they are
        return _load_archive(file, path)


def _load_archive(file: IO[bytes], name: Any) -> Any:
    try:
        archive = _open_archive(file)
    except _DAMAGE as error:
        raise _not_ours(name, error) from None
    with archive:
        try:
            structure = _read_structure(archive)
            return _Decoder(archive).decode(structure["root"])
        except _DAMAGE as error:
            raise _not_ours(name, error) from None


def _open_archive(file: IO[bytes]) -> zipfile.ZipFile:
    """Open the ZIP archive and check its directory before any member is read."""
    start = file.tell()
    size = file.seek(0, os.SEEK_END) - start
    file.seek(start)
    head = file.read(len(_NPY_MAGIC))
    file.seek(start)
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        if head == _NPY_MAGIC:
            raise ValueError("it holds a single NumPy array (.npy), not an archive") from None
        raise ValueError("it is not a ZIP archive (mt.save writes a ZIP archive of a JSON "
                         "structure and .npy arrays)") from None
    except NotImplementedError as error:  # e.g. "zip file version 16.3"
        raise ValueError(f"it needs a ZIP feature mt.save never uses ({error})") from None
    try:
        _check_directory(archive.infolist(), size)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_directory(members: list[zipfile.ZipInfo], file_size: int) -> None:
    """Names, flags, compression and declared sizes of all members, from the ZIP directory."""
    names = [member.orig_filename for member in members]
    if STRUCTURE not in names:
        hint = (" (a PyTorch checkpoint? Load it with torch.load and convert its tensors with "
                ".numpy())" if any(n.endswith("data.pkl") for n in names) else "")
        raise ValueError(f"missing {STRUCTURE}{hint}")
    seen: set[str] = set()
    for member, name in zip(members, names):
        if name in seen:
            raise ValueError(f"the member {name!r} appears twice")
        seen.add(name)
        if name != STRUCTURE and not _ARRAY_MEMBER.fullmatch(name):
            raise ValueError(f"unexpected member {name!r}; a microtensor file holds only "
                             f"{STRUCTURE} and tensors/<k>.npy")
        if member.flag_bits & ~_ALLOWED_FLAGS:
            raise ValueError(f"the member {name!r} is encrypted or uses an unsupported ZIP "
                             f"feature (flags 0x{member.flag_bits:04x})")
        if member.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"the member {name!r} is compressed (method "
                             f"{member.compress_type}); mt.save stores members uncompressed")
        if member.compress_size != member.file_size:
            raise ValueError(f"the member {name!r} declares {member.file_size} bytes but "
                             f"stores {member.compress_size}")
    declared = sum(member.file_size for member in members)
    if declared > file_size:
        raise ValueError(f"its members declare {declared} bytes in all, more than the file's "
                         f"{file_size} bytes")


def _read_structure(archive: zipfile.ZipFile) -> dict[str, Any]:
    text = archive.read(STRUCTURE).decode("utf-8")
    if _json_depth(text) > _MAX_JSON_DEPTH:
        raise ValueError(f"{STRUCTURE} nests deeper than a file of containers nested "
                         f"{MAX_DEPTH} deep can (the format's limit, MAX_DEPTH)")
    structure = json.loads(text)
    if not isinstance(structure, dict) or structure.get("format") != FORMAT_NAME:
        raise ValueError("the structure does not declare the microtensor format")
    version = structure.get("version")
    if type(version) is not int:
        raise ValueError(f"the structure's format version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise ValueError(f"format version {version} is newer than this microtensor can read "
                         f"({FORMAT_VERSION}); upgrade microtensor")
    if "root" not in structure:
        raise ValueError("the structure has no root")
    return structure


def _json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), without parsing it."""
    brackets = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8"), dtype=np.uint8)
    steps = ((brackets == ord("[")) | (brackets == ord("{"))).astype(np.int32)
    steps -= (brackets == ord("]")) | (brackets == ord("}"))
    return int(np.cumsum(steps).max(initial=0))


def _read_npy(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    """The array of the member ``name``, its header checked before its data is read."""
    info = archive.getinfo(name)
    with archive.open(info) as member:
        dtype, shape, fortran_order, header_size = _read_npy_header(member, info.file_size)
        count = math.prod(shape)
        if count * dtype.itemsize != info.file_size - header_size:
            raise ValueError(
                f"{name} declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
                f"but holds {info.file_size - header_size} bytes of data"
            )
        array = np.empty(count, dtype=dtype)
        _read_into(member, array.view(np.uint8), name)
        if member.read(1):  # also where zipfile checks the CRC of the whole member
            raise ValueError(f"{name} is longer than its header says")
    return array.reshape(shape, order="F" if fortran_order else "C")


def _read_npy_header(member: IO[bytes], size: int) -> tuple[np.dtype, tuple[int, ...], bool,
                                                              int]:
    """Parse an ``.npy`` header (format versions 1.0, 2.0, 3.0) without evaluating it."""
    prefix = member.read(len(_NPY_MAGIC) + 2)
    if len(prefix) < len(_NPY_MAGIC) + 2 or not prefix.startswith(_NPY_MAGIC):
        raise ValueError("an array member is not a .npy array")
    version = (prefix[-2], prefix[-1])
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
    length_size = 2 if version == (1, 0) else 4
    header_length = int.from_bytes(member.read(length_size), "little")
    header_size = len(prefix) + length_size + header_length
    if header_length > _NPY_MAX_HEADER or header_size > size:
        raise ValueError(f"a .npy header declares {header_length} bytes")
    header = member.read(header_length).decode("latin1" if version < (3, 0) else "utf-8")
    fields = _NPY_HEADER.fullmatch(header)
    if fields is None:
        raise ValueError(f"a .npy header is not one np.save writes: {header[:200]!r}")
    if not _NPY_DESCR.fullmatch(fields["descr"]):
        raise ValueError(f"an array has dtype {fields['descr']!r}; a microtensor file holds "
                         "arrays of booleans and numbers only (no strings, records or objects)")
    dtype = np.dtype(fields["descr"])  # TypeError for a descr like '<f3'
    shape = tuple(int(n) for n in re.findall(r"[0-9]+", fields["shape"]))
    return dtype, shape, fields["fortran"] == "True", header_size


def _read_into(member: IO[bytes], buffer: np.ndarray, name: str) -> None:
    filled = 0
    while filled < buffer.size:
        chunk = member.read(min(_CHUNK, buffer.size - filled))
        if not chunk:
            raise ValueError(f"{name} ends early")
        buffer[filled:filled + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        filled += len(chunk)


class _Decoder:
    """Turns the JSON tree back into the object, each array member read at most once."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self._arrays: dict[int, np.ndarray] = {}
        self._tensors: dict[int, Tensor] = {}

    def decode(self, node: Any, depth: int = 0) -> Any:
        """The object of ``node``, found inside ``depth`` containers."""
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            inner = _deeper(depth)
            return [self.decode(v, inner) for v in node]
        if not isinstance(node, dict):
            raise ValueError(f"unexpected node in the structure: {node!r}")
        kind = node.get("kind")
        if kind == "tensor":
            return self._tensor(node)
        if kind == "ndarray":
            return self._array(node)
        if kind == "scalar":
            return self._scalar(node)
        if kind == "float":
            return self._float(node)
        if kind == "tuple":
            inner = _deeper(depth)
            return tuple([self.decode(v, inner) for v in _items(node)])
        if kind == "dict":
            return self._dict(node, _deeper(depth))
        if kind == "dtype":
            if node.get("name") not in _DTYPE_NAMES:
                raise ValueError(f"a dtype node names {node.get('name')!r}, not the dtype of "
                                 "booleans or numbers")
            return np.dtype(node["name"])
        raise ValueError(f"unknown node kind {kind!r} in the structure")

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        key = _key(node)
        if key not in self._arrays:
            name = _array_member(key)
            if name not in self.archive.NameToInfo:
                raise ValueError(f"the structure refers to a missing array member {name}")
            self._arrays[key] = _read_npy(self.archive, name)
        return self._arrays[key]

    def _scalar(self, node: dict[str, Any]) -> np.generic:
        array = self._array(node)
        if array.ndim != 0:
            raise ValueError(f"a scalar node refers to an array of shape {array.shape}")
        return array[()]

    def _tensor(self, node: dict[str, Any]) -> Tensor:
        key = _key(node)
        if key in self._tensors:
            return self._tensors[key]
        array = self._array(node)
        is_parameter = node.get("parameter", False)
        requires_grad = node.get("requires_grad", is_parameter)
        if type(is_parameter) is not bool or type(requires_grad) is not bool:
            raise ValueError(f"a tensor node's flags are not true/false: {node!r}")
        if requires_grad and array.dtype.kind not in "fc":
            raise ValueError(
                f"a {'Parameter' if is_parameter else 'tensor'} of dtype {array.dtype} is marked "
                "requires_grad, but only floating point tensors can require gradients"
            )
        if is_parameter:
            from microtensor.nn.module import Parameter

            tensor: Tensor = Parameter(array, requires_grad=requires_grad)
        else:
            tensor = Tensor._make(array, requires_grad=requires_grad)
        self._tensors[key] = tensor
        return tensor

    @staticmethod
    def _float(node: dict[str, Any]) -> float:
        if node.get("value") not in ("nan", "inf", "-inf"):
            raise ValueError(f"a float node holds {node.get('value')!r}, not nan, inf or -inf")
        return float(node["value"])

    def _dict(self, node: dict[str, Any], depth: int) -> dict[Any, Any]:
        pairs = []
        for pair in _items(node):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"a dict item is not a [key, value] pair: {pair!r}")
            key = self.decode(pair[0], depth)
            if isinstance(key, list):
                key = tuple(key)
            if isinstance(key, Tensor | np.ndarray | dict):
                raise ValueError(f"a dict key is a {type(key).__name__}")
            hash(key)  # TypeError for a tuple holding a list
            pairs.append((key, self.decode(pair[1], depth)))
        return OrderedDict(pairs) if node.get("ordered") else dict(pairs)


def _key(node: dict[str, Any]) -> int:
    key = node.get("key")
    if type(key) is not int or key < 0:
        raise ValueError(f"the array key {key!r} is not a non-negative integer")
    return key


def _items(node: dict[str, Any]) -> list[Any]:
    items = node.get("items")
    if not isinstance(items, list):
        raise ValueError(f"a {node.get('kind')} node has no list of items")
    return items


def _deeper(depth: int) -> int:
    if depth >= MAX_DEPTH:
        raise ValueError(f"containers nest more than {MAX_DEPTH} deep (the format's limit, "
                         "MAX_DEPTH)")
    return depth + 1


def _not_ours(name: Any, reason: Any) -> ValueError:
    return ValueError(
        f"mt.load: {str(name)!r} is not a microtensor file or is corrupt: {reason}"
    )
