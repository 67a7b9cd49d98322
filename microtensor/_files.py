"""Writing files atomically: whoever reads the file sees the old content or the new, never half.

Every file microtensor writes (checkpoints from ``mt.save``, IDX files from
``datasets.write_idx``, pictures from ``viz``) goes through :func:`atomic_write`:

1. the bytes go to a new temporary file in the target's own folder (same file system, so the
   rename below is atomic), named ``.<name>.<pid>.<random>.tmp``, opened with ``"xb"`` so that
   an existing file is never reused; it gets the permissions of any new file (``0o666`` minus
   the umask), not the owner-only ``0o600`` of ``tempfile.mkstemp``;
2. the file is flushed and ``fsync``-ed, so its content is on disk before it gets the name;
3. ``os.replace`` renames it over the target (atomic on POSIX and on Windows), and the folder
   is ``fsync``-ed so that the rename itself survives a power cut (where the OS allows it);
4. if anything fails before the rename (an exception while writing, a full disk, Ctrl-C), the
   temporary file is deleted and the target is left as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["PathLike", "atomic_write", "write_bytes_atomically"]

PathLike = str | os.PathLike[str]


@contextmanager
def atomic_write(path: PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file for writing bytes; when the ``with`` block ends without an
    exception, it replaces ``path`` in one step.

        with atomic_write("model.mt") as file:
            file.write(header)
            file.write(payload)

    The folder of ``path`` must exist. If the block raises, the temporary file is deleted, the
    exception propagates, and ``path`` keeps its old content (or stays absent).
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    created = False
    try:
        with open(temporary, "xb") as file:  # "x": fails rather than reuse an existing file
            created = True
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if created:  # never delete a file this call did not make
            temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def write_bytes_atomically(path: PathLike, content: bytes) -> None:
    """Write ``content`` to ``path`` through :func:`atomic_write`: all of it or nothing."""
    with atomic_write(path) as file:
        file.write(content)


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
