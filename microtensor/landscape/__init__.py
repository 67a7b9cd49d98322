"""The optimization lab: test functions, critical points, Hessian spectra, optimizer
trajectories, loss-landscape slices and the learning-rate finder. Beyond PyTorch.

* ``TEST_FUNCTIONS``, ``rosenbrock``, ``himmelblau``, ...: 2-D test functions with their known
  minima, maxima and saddles (:mod:`.functions`).
* ``classify_critical_point``: minimum / maximum / saddle / degenerate from the Hessian's
  eigenvalues; ``find_critical_point``: Newton's method on ∇f = 0 (:mod:`.critical`).
* ``hessian_eigs``, ``hvp_operator``: the extreme Hessian eigenvalues of a model's loss from
  Hessian-vector products only, by Lanczos or power iteration (:mod:`.hessian`).
* ``trajectory``: run an ``mt.optim`` optimizer on a 2-D function and record its path
  (:mod:`.trajectory`).
* ``loss_landscape``, ``interpolate``: 1-D/2-D filter-normalised slices of a network's loss,
  and the loss on the segment between two networks (:mod:`.surface`).
* ``lr_range_test``: the learning-rate finder (:mod:`.lr_finder`).

Plots for all of these are in :mod:`microtensor.viz.landscape_plots`.
"""

from microtensor.landscape.critical import (
    CriticalPoint,
    classify_critical_point,
    find_critical_point,
)
from microtensor.landscape.functions import (
    TEST_FUNCTIONS,
    Function2D,
    Quadratic,
    beale,
    himmelblau,
    monkey_saddle,
    quadratic,
    rosenbrock,
    saddle,
)
from microtensor.landscape.hessian import HessianEigs, hessian_eigs, hvp_operator
from microtensor.landscape.lr_finder import LRFinderResult, lr_range_test
from microtensor.landscape.surface import (
    Interpolation,
    Landscape,
    interpolate,
    loss_landscape,
    random_direction,
)
from microtensor.landscape.trajectory import Trajectory, trajectory

__all__ = [
    "TEST_FUNCTIONS",
    "CriticalPoint",
    "Function2D",
    "HessianEigs",
    "Interpolation",
    "LRFinderResult",
    "Landscape",
    "Quadratic",
    "Trajectory",
    "beale",
    "classify_critical_point",
    "find_critical_point",
    "hessian_eigs",
    "himmelblau",
    "hvp_operator",
    "interpolate",
    "loss_landscape",
    "lr_range_test",
    "monkey_saddle",
    "quadratic",
    "random_direction",
    "rosenbrock",
    "saddle",
    "trajectory",
]
