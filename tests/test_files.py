"""The one atomic file writer (microtensor/_files.py) that save, write_idx and viz go through:
the target holds the old content or the new one, never part of either, and no temporary file
is left behind, whatever fails."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
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
    taken = tmp_path / f".data.bin.microtensor-{os.getpid()}-{'f' * 16}.tmp"
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


# --------------------------------------------------------------------------- permissions


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
@pytest.mark.parametrize(("umask", "mode"), [(0o077, 0o600), (0o002, 0o664), (0o027, 0o640)])
def test_new_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        mt.save({"w": mt.ones(2)}, tmp_path / "model.mt")
        write_bytes_atomically(tmp_path / "raw.bin", NEW)
    finally:
        os.umask(previous)
    for name in ("model.mt", "raw.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    """As writing in place (``open(path, "wb")``, what ``torch.save`` does) would: a checkpoint
    made private with chmod 600 stays private when it is saved again."""
    target = tmp_path / "model.mt"
    mt.save({"w": mt.ones(2)}, target)
    target.chmod(0o600)
    previous = os.umask(0o022)
    try:
        mt.save({"w": mt.zeros(2)}, target)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert mt.load(target)["w"].tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- killed writes

_TEMPORARY = re.compile(r"\.data\.bin\.microtensor-(\d+)-[0-9a-f]{16}\.tmp")


def _age(path: Path, seconds: float = 3600.0) -> None:
    """Pretend nobody has written to ``path`` for ``seconds``."""
    old = time.time() - seconds
    os.utime(path, (old, old))


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped), so no process has it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _leftover(folder: Path, pid: int, name: str = "data.bin") -> Path:
    """A temporary file exactly as a write killed half-way leaves it."""
    path = folder / f".{name}.microtensor-{pid}-{os.urandom(8).hex()}.tmp"
    path.write_bytes(NEW[: len(NEW) // 2])
    return path


def test_the_temporary_file_has_the_recognisable_name(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "data.bin") as file:
        file.write(NEW)
        (name,) = _names(tmp_path)
        match = _TEMPORARY.fullmatch(name)
        assert match is not None and int(match[1]) == os.getpid()
    assert _names(tmp_path) == ["data.bin"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and pids are POSIX")
def test_a_killed_save_is_cleaned_up_by_the_next_save(tmp_path: Path) -> None:
    """A process killed (SIGKILL) in the middle of mt.save leaves its temporary file; the next
    save in that folder deletes it once nobody has written to it for STALE_AFTER_SECONDS."""
    script = (
        "import os, signal, sys\n"
        "import microtensor as mt\n"
        "from microtensor._files import atomic_write\n"
        "with atomic_write(sys.argv[1]) as file:\n"
        "    file.write(b'half a checkpoint' * 1000)\n"
        "    file.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run([sys.executable, "-c", script, str(tmp_path / "data.bin")],
                           timeout=60)
    assert child.returncode == -signal.SIGKILL
    (name,) = _names(tmp_path)
    match = _TEMPORARY.fullmatch(name)
    assert match is not None and int(match[1]) != os.getpid()
    mt.save([1], tmp_path / "other.mt")  # written just now: kept (it might still be written)
    assert _names(tmp_path) == sorted([name, "other.mt"])
    _age(tmp_path / name, _files.STALE_AFTER_SECONDS + 1)
    mt.save([2], tmp_path / "other.mt")
    assert _names(tmp_path) == ["other.mt"]
    assert not (tmp_path / "data.bin").exists() and mt.load(tmp_path / "other.mt") == [2]


@pytest.mark.skipif(sys.platform == "win32", reason="pids are checked on POSIX only")
def test_twenty_killed_saves_are_all_removed_by_the_next_load(tmp_path: Path) -> None:
    mt.save({"w": mt.ones(3)}, tmp_path / "model.mt")
    leftovers = [_leftover(tmp_path, _dead_pid(), "model.mt") for _ in range(20)]
    for path in leftovers:
        _age(path)
    assert mt.load(tmp_path / "model.mt")["w"].tolist() == [1.0, 1.0, 1.0]
    assert _names(tmp_path) == ["model.mt"]


@pytest.mark.skipif(sys.platform == "win32", reason="pids are checked on POSIX only")
def test_a_write_in_progress_in_a_live_process_is_never_touched(tmp_path: Path) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = _leftover(tmp_path, alive.pid)
        _age(busy)  # even a write that has stalled for an hour
        write_bytes_atomically(tmp_path / "data.bin", NEW)
        assert busy.exists() and busy.read_bytes() == NEW[: len(NEW) // 2]
    finally:
        alive.kill()
        alive.wait()
    assert _files.remove_stale_temporaries(tmp_path) == [busy.name]  # its process is gone now


def test_a_write_in_progress_in_this_process_is_never_touched(tmp_path: Path) -> None:
    """Another thread's save, say: its file carries this process's pid."""
    with atomic_write(tmp_path / "data.bin") as file:
        file.write(NEW)
        (name,) = _names(tmp_path)
        _age(tmp_path / name)
        assert _files.remove_stale_temporaries(tmp_path) == []
        write_bytes_atomically(tmp_path / "other.bin", OLD)  # a second write meanwhile
        assert (tmp_path / name).exists()
    assert (tmp_path / "data.bin").read_bytes() == NEW
    assert _names(tmp_path) == ["data.bin", "other.bin"]


def test_a_leftover_of_an_earlier_process_with_this_pid_is_removed(tmp_path: Path) -> None:
    """In a container the same script often runs with the same pid every time."""
    leftover = _leftover(tmp_path, os.getpid())
    assert _files.remove_stale_temporaries(tmp_path) == []  # written just now: kept
    _age(leftover)
    assert _files.remove_stale_temporaries(tmp_path) == [leftover.name]
    assert _names(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="pids are checked on POSIX only")
def test_the_users_files_are_never_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    names = [
        ".data.bin.tmp",  # another program's temporary file
        f".data.bin.{dead}.{'a' * 16}.tmp",  # the old naming, or anybody's
        f".data.bin.microtensor-{dead}-{'a' * 15}.tmp",  # one hex digit short
        f".data.bin.microtensor-{dead}-{'A' * 16}.tmp",  # not the writer's lower-case hex
        f"data.bin.microtensor-{dead}-{'a' * 16}.tmp",  # no leading dot
        f".data.bin.microtensor-{dead}-{'a' * 16}.tmp.bak",
        "notes.tmp",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"mine")
        _age(tmp_path / name)
    folder = tmp_path / f".x.microtensor-{dead}-{'b' * 16}.tmp"  # a folder, not a file
    folder.mkdir()
    _age(folder)
    link = tmp_path / f".y.microtensor-{dead}-{'c' * 16}.tmp"  # a symbolic link
    link.symlink_to(tmp_path / "notes.tmp")
    assert _files.remove_stale_temporaries(tmp_path) == []
    mt.save([1], tmp_path / "model.mt")
    mt.load(tmp_path / "model.mt")
    assert _names(tmp_path) == sorted([*names, folder.name, link.name, "model.mt"])
    assert all((tmp_path / name).read_bytes() == b"mine" for name in names)


def test_clean_up_of_a_folder_that_cannot_be_listed_is_skipped(tmp_path: Path) -> None:
    assert _files.remove_stale_temporaries(tmp_path / "missing") == []
