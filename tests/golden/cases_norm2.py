"""Golden cases of the norm2 family (see ``cases.py`` for the registry and its helpers)."""

from __future__ import annotations


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
