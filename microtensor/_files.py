"""Writing files atomically: whoever reads the file sees the old content or the new, never half.

Every file microtensor writes (checkpoints from ``mt.save``, IDX files from
``datasets.write_idx``, pictures from ``viz``) goes through :func:`atomic_write`:

1. the bytes go to a new temporary file in the target's own folder (same file system, so the
   rename below is atomic), named ``.<name>.microtensor-<pid>-<16 hex digits>.tmp``, opened
   with ``"xb"`` so that an existing file is never reused; it gets the permissions of any new
   file (``0o666`` minus the umask), not the owner-only ``0o600`` of ``tempfile.mkstemp``, and
   when it replaces an existing file it keeps that file's permission bits, as writing the file
   in place (``open(path, "wb")``) would;
2. the file is flushed and ``fsync``-ed, so its content is on disk before it gets the name;
3. ``os.replace`` renames it over the target (atomic on POSIX and on Windows), and the folder
   is ``fsync``-ed so that the rename itself survives a power cut (where the OS allows it);
4. if anything fails before the rename (an exception while writing, a full disk, Ctrl-C), the
   temporary file is deleted and the target is left as it was.

A process killed in the middle of step 1 or 2 (SIGKILL, the out-of-memory killer, a power cut)
cannot delete its temporary file. So every write, and every ``mt.load`` of a path, first calls
:func:`remove_stale_temporaries` on its folder, which deletes the temporary files of earlier
killed writes. A file is deleted only if all of these hold:

* its name matches the writer's pattern above exactly (a user's file never does);
* it is a regular file that nobody has written to for ``STALE_AFTER_SECONDS`` seconds;
* the process named in it is gone: on POSIX, no process with that pid exists
  (``os.kill(pid, 0)``); if the pid is this process's own, the file is not one this process
  is writing now (a leftover of an earlier process that had the same pid). Where the check is
  not possible (Windows), only this process's own leftovers are deleted.

A write in progress in another live process on this machine is therefore never touched. The
check cannot see processes of other machines or other pid namespaces (containers) sharing
the folder: a write there that stalls for ``STALE_AFTER_SECONDS`` while its pid happens not to
exist here could lose its temporary file, and would then fail at the rename (its target keeps
the old content; nothing is ever half-written).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["PathLike", "atomic_write", "write_bytes_atomically", "remove_stale_temporaries",
           "STALE_AFTER_SECONDS"]

PathLike = str | os.PathLike[str]

STALE_AFTER_SECONDS = 10.0
"""How long a temporary file must have gone unwritten before it can count as a leftover."""

# ".<target name>.microtensor-<pid>-<16 hex digits>.tmp", the names atomic_write makes
_TEMPORARY_NAME = re.compile(r"\..+\.microtensor-(?P<pid>[1-9][0-9]{0,9})-[0-9a-f]{16}\.tmp",
                             re.DOTALL)

# names of the temporary files this process is writing now (other threads' saves included)
_writing_now: set[str] = set()
_writing_now_lock = threading.Lock()


@contextmanager
def atomic_write(path: PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file for writing bytes; when the ``with`` block ends without an
    exception, it replaces ``path`` in one step.

        with atomic_write("model.mt") as file:
            file.write(header)
            file.write(payload)

    The folder of ``path`` must exist. If the block raises, the temporary file is deleted, the
    exception propagates, and ``path`` keeps its old content (or stays absent). Stale
    temporary files of earlier killed writes in the folder are removed first.
    """
    target = Path(path)
    remove_stale_temporaries(target.parent)
    name = f".{target.name}.microtensor-{os.getpid()}-{secrets.token_hex(8)}.tmp"
    temporary = target.with_name(name)
    created = False
    with _writing_now_lock:
        _writing_now.add(name)
    try:
        with open(temporary, "xb") as file:  # "x": fails rather than reuse an existing file
            created = True
            _keep_permissions_of(target, temporary)
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if created:  # never delete a file this call did not make
            temporary.unlink(missing_ok=True)
        raise
    finally:
        with _writing_now_lock:
            _writing_now.discard(name)
    _fsync_directory(target.parent)


def write_bytes_atomically(path: PathLike, content: bytes) -> None:
    """Write ``content`` to ``path`` through :func:`atomic_write`: all of it or nothing."""
    with atomic_write(path) as file:
        file.write(content)


def remove_stale_temporaries(directory: PathLike) -> list[str]:
    """Delete the temporary files that killed writes left in ``directory`` (the rules are in
    the module docstring) and return their names. Best effort: a folder that cannot be listed
    or a file that cannot be deleted is skipped, never an error."""
    now = time.time()
    removed = []
    try:
        with os.scandir(directory) as entries:
            stale = [entry for entry in entries if _is_stale(entry, now)]
    except OSError:
        return removed
    for entry in stale:
        try:
            os.unlink(entry.path)
        except OSError:  # deleted meanwhile by another process's clean-up, or not permitted
            continue
        removed.append(entry.name)
    return removed


def _is_stale(entry: os.DirEntry[str], now: float) -> bool:
    match = _TEMPORARY_NAME.fullmatch(entry.name)
    if match is None:
        return False
    try:
        if not entry.is_file(follow_symlinks=False):
            return False
        if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_SECONDS:
            return False
    except OSError:
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        with _writing_now_lock:
            return entry.name not in _writing_now
    return not _process_exists(pid)


def _process_exists(pid: int) -> bool:
    """Whether a process with this pid exists on this machine; True when it cannot be told."""
    if os.name != "posix":  # on Windows os.kill(pid, 0) would send Ctrl-C or kill the process
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it exists, under another user
        return True
    return True


def _keep_permissions_of(target: Path, temporary: Path) -> None:
    """Give ``temporary`` the permission bits of the file it will replace, if there is one."""
    try:
        mode = os.stat(target).st_mode
    except OSError:  # no such file yet: the new file keeps 0o666 minus the umask
        return
    if stat.S_ISREG(mode):
        os.chmod(temporary, stat.S_IMODE(mode) & 0o777)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX); skipped where a folder cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
