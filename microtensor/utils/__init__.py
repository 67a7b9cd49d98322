"""Utilities: ``utils.data`` (datasets and loaders) and ``EarlyStopping``."""

from microtensor.utils import data
from microtensor.utils.early_stopping import EarlyStopping

__all__ = ["EarlyStopping", "data"]
