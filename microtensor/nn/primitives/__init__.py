"""The differentiable primitives behind ``mt.nn.functional``: ``Op`` subclasses with forward and
backward side by side (see ``microtensor/autograd/function.py``), grouped by kind.

The public functions that validate arguments and call them are in ``microtensor/nn/functional.py``.
"""
