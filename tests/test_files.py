"""The one atomic file writer (microtensor/_files.py) that save, write_idx and viz go through:
the target holds the old content or the new one, never part of either, and no temporary file
is left behind, whatever fails."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor import _files
from microtensor._files import atomic_write, write_bytes_atomically
from microtensor.datasets import read_idx, write_idx

OLD = b"old content " * 100
NEW = b"new content " * 1000


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_the_content_and_leaves_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    write_bytes_atomically(target, OLD)
    write_bytes_atomically(str(target), NEW)  # str paths work too, and replace the file
    assert target.read_bytes() == NEW
    assert _names(tmp_path) == ["data.bin"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_while_writing_keeps_the_old_file(tmp_path: Path, error: BaseException
                                                    ) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)
    with pytest.raises(type(error)):
        with atomic_write(target) as file:
            file.write(NEW[: len(NEW) // 2])  # half of the new content is on disk...
            raise error  # ...when the writer fails
    assert target.read_bytes() == OLD
    assert _names(tmp_path) == ["data.bin"]


def test_a_failure_while_writing_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad value"):
        with atomic_write(tmp_path / "new.bin") as file:
            file.write(NEW)
            raise ValueError("bad value")
    assert _names(tmp_path) == []


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_fsync_or_rename_keeps_the_old_file(tmp_path: Path, step: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)

    def crash(*args: object) -> None:
        raise OSError(f"{step} failed")

    monkeypatch.setattr(os, step, crash)
    with pytest.raises(OSError, match=f"{step} failed"):
        write_bytes_atomically(target, NEW)
    assert target.read_bytes() == OLD
    assert _names(tmp_path) == ["data.bin"]


def test_a_file_it_did_not_create_is_never_deleted(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """If the temporary name is taken (it never is in practice: 64 random bits), the writer
    fails instead of writing into, or deleting, a file that belongs to someone else."""
    monkeypatch.setattr(_files.secrets, "token_hex", lambda n: "f" * (2 * n))
    target = tmp_path / "data.bin"
    taken = tmp_path / f".data.bin.{os.getpid()}.{'f' * 16}.tmp"
    taken.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        write_bytes_atomically(target, NEW)
    assert taken.read_bytes() == b"someone else's"
    assert not target.exists()


def test_a_missing_folder_is_an_error_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_bytes_atomically(tmp_path / "missing" / "data.bin", NEW)
    assert _names(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_new_files_get_the_usual_permissions_not_owner_only(tmp_path: Path) -> None:
    """Every writer makes files as ``open(path, "w")`` would (0o666 minus the umask), not the
    0o600 of ``tempfile.mkstemp``: a checkpoint others may read stays readable."""
    previous = os.umask(0o022)
    try:
        mt.save({"w": mt.ones(2)}, tmp_path / "model.mt")
        write_idx(tmp_path / "labels.idx", np.arange(5, dtype=np.uint8))
        write_bytes_atomically(tmp_path / "raw.bin", NEW)
    finally:
        os.umask(previous)
    for name in ("model.mt", "labels.idx", "raw.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert read_idx(tmp_path / "labels.idx").tolist() == [0, 1, 2, 3, 4]


def test_write_idx_failing_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    target = tmp_path / "labels.idx"
    write_idx(target, np.arange(3, dtype=np.uint8))

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_idx(target, np.arange(100, dtype=np.uint8))
    assert read_idx(target).tolist() == [0, 1, 2]
    assert _names(tmp_path) == ["labels.idx"]
