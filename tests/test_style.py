"""The code base stays ruff-clean (the rules are in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_reports_nothing() -> None:
    folders = [str(ROOT / name) for name in ("microtensor", "tests", "examples", "benchmarks")
               if (ROOT / name).exists()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
