"""The differentiable primitives, grouped by kind. Each is an ``Op`` subclass (see
``microtensor/autograd/function.py``) with its forward and backward side by side, plus the public
function that calls it."""
