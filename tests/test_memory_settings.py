"""microtensor/_memory.py: glibc told to keep freed memory, unless the user chose otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from microtensor import _memory

ON_GLIBC = _memory._glibc() is not None

# Run in a fresh interpreter: after importing microtensor, allocate an 8 MB NumPy array and
# report whether the import changed glibc's settings and how many blocks glibc serves by mmap
# now (mallinfo2's hblks: 0 when the array came from the heap, as the settings ask).
PROBE = """
import ctypes, json
import microtensor as mt
import numpy as np
from microtensor import _memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
mmapped = None
if hasattr(libc, "mallinfo2"):
    libc.mallinfo2.restype = MallInfo2
    before = libc.mallinfo2().hblks
    array = np.ones(2 << 20, np.float32)  # 8 MB
    mmapped = libc.mallinfo2().hblks - before
print(json.dumps({"applied": _memory.applied, "mmapped": mmapped}))
"""


def _probe(**environ: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in _memory._GLIBC_VARIABLES and k != _memory.OPT_OUT_VARIABLE}
    env.update(environ)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_user_choice_wins():
    assert _memory.wanted({})
    assert _memory.wanted({"MICROTENSOR_KEEP_MALLOC": "0", "PATH": "/bin"})
    assert not _memory.wanted({"MICROTENSOR_KEEP_MALLOC": "1"})
    assert not _memory.wanted({"MALLOC_TRIM_THRESHOLD_": "1000"})
    assert not _memory.wanted({"MALLOC_MMAP_THRESHOLD_": "131072"})
    assert not _memory.wanted({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"})


def test_import_applies_the_settings_under_glibc():
    report = _probe()
    assert report["applied"] is ON_GLIBC
    if ON_GLIBC and report["mmapped"] is not None:
        assert report["mmapped"] == 0  # the 8 MB array came from the heap, not fresh pages


def test_opting_out_keeps_glibcs_defaults():
    report = _probe(MICROTENSOR_KEEP_MALLOC="1")
    assert report["applied"] is False
    if ON_GLIBC and report["mmapped"] is not None:
        assert report["mmapped"] == 1  # glibc's default: a block this size is mmapped


@pytest.mark.parametrize("name", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"])
def test_a_glibc_variable_set_by_the_user_is_left_alone(name):
    assert _probe(**{name: "134217728"})["applied"] is False
