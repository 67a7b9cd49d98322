"""Golden parity with PyTorch, checked without PyTorch.

* ``cases.py``    the registry: every golden case (a function written against ``lib``, which is
                  ``microtensor`` or ``torch``, and the specs of its inputs), and ``XFAIL``, the one
                  list of cases where microtensor still differs from PyTorch;
* ``harness.py``  what both sides run: inputs as tensors of ``lib``, the forward pass, the first
                  derivatives (backward of Σ output·w) and the second ones (backward of
                  Σ first_grad·v), and the comparison rules;
* ``store.py``    the golden files: one ``<group>.npz`` per group of cases (arrays only, loaded
                  with ``allow_pickle=False``) and ``golden.json`` (versions, date, and per case
                  what PyTorch did: outputs, which derivatives exist, or the exception it raised).

``python tests/make_golden.py`` (with PyTorch installed) writes the files; ``tests/test_golden.py``
compares microtensor with them in CI, where PyTorch is not installed.
"""
