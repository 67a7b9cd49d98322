"""The differentiable primitives, grouped by kind. Each is an ``Op`` subclass (see
``microtensor/autograd/function.py``) with its forward and backward side by side, plus the public
function that calls it.

This ``__init__`` imports nothing at run time: the submodules import ``microtensor.tensor`` (they
make Tensors), and ``Tensor``'s methods reach them as ``ops.elementwise.mul`` etc. once
``microtensor/__init__.py`` has loaded them. The imports below are for type checkers and IDEs.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microtensor.ops import activations, elementwise, linalg, reduce, shape
