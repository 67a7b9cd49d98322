"""The golden files: ``<group>.npz`` (arrays) and ``golden.json`` (versions and per-case facts).

Array names inside a group's npz are ``<case>/<what><k>``, ``what`` being

    in   the k-th input                    w   the weight of output k in Σ output·w
    out  the k-th output                   v   the weight of first derivative k in Σ g·v
    g    the first derivative wrt the k-th input that requires grad
    gg   the second derivative wrt the k-th input that requires grad

The arrays are plain (numeric and bool) and read with ``allow_pickle=False``: loading executes
nothing. The npz files are written with fixed timestamps and sorted names, so regenerating them
from the same PyTorch gives the same bytes.
"""

from __future__ import annotations

import fcntl
import json
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DIRECTORY = Path(__file__).resolve().parent
METADATA = DIRECTORY / "golden.json"


def key(case: str, what: str, k: int) -> str:
    return f"{case}/{what}{k}"


def write(arrays_by_group: dict[str, dict[str, np.ndarray]], metadata: dict[str, Any]) -> None:
    """Write every group's npz and the metadata (the old group files are replaced)."""
    for old in DIRECTORY.glob("*.npz"):
        if old.stem not in arrays_by_group:
            old.unlink()
    for group, arrays in arrays_by_group.items():
        _write_npz(DIRECTORY / f"{group}.npz", arrays)
    METADATA.write_text(json.dumps(metadata, indent=1, sort_keys=True) + "\n")


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """What ``np.savez_compressed`` writes, without the current time in the zip entries."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arrays[name]),
                                          allow_pickle=False)


def update(arrays_by_group: dict[str, dict[str, np.ndarray]], versions: dict[str, Any],
           cases: dict[str, Any]) -> None:
    """Replace only the given groups: their npz files and their cases in ``golden.json``.

    The versions must be the ones the other groups were made with (one PyTorch for all). A lock
    file serialises concurrent updates, so two groups regenerated at once both land.
    """
    with open(DIRECTORY / ".golden.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = json.loads(METADATA.read_text()) if METADATA.exists() else {"cases": {}}
        if old.get("torch_version", versions["torch_version"]) != versions["torch_version"]:
            raise SystemExit(f"golden.json was made with PyTorch {old['torch_version']}, this is "
                             f"{versions['torch_version']}: regenerate every group (no --groups)")
        kept = {name: facts for name, facts in old["cases"].items()
                if facts["group"] not in arrays_by_group}
        for group, arrays in arrays_by_group.items():
            _write_npz(DIRECTORY / f"{group}.npz", arrays)
        merged = {**old, **versions, "cases": {**kept, **cases}}
        METADATA.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")


@cache
def metadata() -> dict[str, Any]:
    if not METADATA.exists():
        return {"cases": {}}
    return json.loads(METADATA.read_text())


@cache
def _group(group: str) -> dict[str, np.ndarray]:
    with np.load(DIRECTORY / f"{group}.npz", allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def array(group: str, case: str, what: str, k: int) -> np.ndarray:
    return _group(group)[key(case, what, k)]


def arrays(group: str, case: str, what: str, count: int) -> list[np.ndarray]:
    return [array(group, case, what, k) for k in range(count)]
