"""Devices: where a tensor lives. microtensor computes on the CPU only, with NumPy.

PyTorch code names devices everywhere (``x.to(device)``, ``torch.zeros(3, device="cuda")``,
``torch.cuda.is_available()``); this module gives that code the answers a CPU-only PyTorch
build gives, so a tutorial runs unchanged:

* ``device("cpu")``, ``device("cpu", 0)``, ``device("cuda:1")``: a device *name*, made and
  compared as in PyTorch. Any device type PyTorch knows can be named; only ``cpu`` can hold
  tensors. Placing a tensor on ``cuda`` raises PyTorch's own error (``AssertionError: Torch not
  compiled with CUDA enabled``); ``mps`` and the others raise a RuntimeError.
* ``cuda``, ``backends``, ``accelerator``: the queries tutorials make ("is a GPU there?"), all
  answering no, and the settings they make (``backends.cudnn.deterministic = True``), accepted.
* ``set_default_device`` / ``get_default_device``.

``check_device(device)`` is what factories and ``Tensor.to`` call on their ``device=`` argument.
"""

from __future__ import annotations

import builtins
from typing import Any

# the device types PyTorch accepts in a device string, in the order its message lists them
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
CUDA_ERROR = "Torch not compiled with CUDA enabled"
NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class device:
    """A device name: ``type`` ("cpu", "cuda", ...) and an optional ``index``.

    ``device("cuda:1")`` and ``device("cuda", 1)`` are equal; ``device("cpu")`` (no index) and
    ``device("cpu", 0)`` are not (as in PyTorch). A device also equals its string
    (``x.device == "cpu"``, ``device("cuda", 1) == "cuda:1"``): here microtensor differs from
    PyTorch on purpose, where a device never equals a string, so that this common test does
    what it says (portable code compares ``x.device.type == "cpu"``).
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, builtins.int):
            raise RuntimeError(NO_ACCELERATOR)  # an int names an accelerator: none here
        if not isinstance(type, str):
            raise TypeError(f"device(): argument 'type' must be str, not {builtins.type(type)}")
        kind, _, index_text = type.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        if index_text:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not index_text.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = builtins.int(index_text)
        if index is not None:
            if not isinstance(index, builtins.int) or isinstance(index, builtins.bool):
                raise TypeError("device(): argument 'index' (position 2) must be int, not "
                                f"{builtins.type(index).__name__}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, str):
            return str(self) == other
        return (isinstance(other, device) and self.type == other.type
                and self.index == other.index)

    def __hash__(self) -> builtins.int:
        return hash(str(self))  # equal to its string, so hashed as it

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(target: Any) -> device:
    """The device ``target`` names, if tensors can live there (only the CPU); else PyTorch's
    error for a CPU-only build (an AssertionError for CUDA, a RuntimeError for the others)."""
    if target is None or target is CPU or target == "cpu":
        return CPU
    named = target if isinstance(target, device) else device(target)
    if named.type == "cpu":
        return CPU
    if named.type == "cuda":
        raise AssertionError(CUDA_ERROR)
    raise RuntimeError(f"PyTorch is not linked with support for {named.type} devices "
                       "(microtensor computes on the CPU only)")


# --------------------------------------------------------------------------- default device

_default_device: device | None = None


def set_default_device(device: Any) -> None:
    """Set the device of new tensors. As in PyTorch, naming CUDA here is accepted and the error
    comes when a tensor is made (``get_default_device`` raises it too); ``None`` means CPU."""
    global _default_device
    if device is None:
        _default_device = None
        return
    named = device_type(device)
    _default_device = None if named.type == "cpu" else named


def device_type(target: Any) -> device:
    return target if isinstance(target, device) else device(target)


def get_default_device() -> device:
    """The device new tensors go to: the CPU (or PyTorch's error if a GPU was set)."""
    return check_device(_default_device)


def factory_device(target: Any) -> None:
    """Check a factory's ``device=`` argument (and the default device if it is None)."""
    if target is None:
        if _default_device is not None:
            check_device(_default_device)
        return
    if target is not CPU and target != "cpu":
        check_device(target)


# --------------------------------------------------------------------------- torch.cuda & co


class _Namespace:
    """A plain object holding functions and flags (``cuda``, ``backends.mps``)."""

    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)

    def __repr__(self) -> str:
        return f"<microtensor namespace {sorted(self.__dict__)}>"


def _false() -> builtins.bool:
    """False: microtensor computes on the CPU only (no CUDA, MPS or other accelerator), like a
    CPU-only PyTorch build."""
    return False


def _zero() -> builtins.int:
    """0: there are no GPU or accelerator devices (microtensor computes on the CPU only)."""
    return 0


def _nothing(*args: Any, **kwargs: Any) -> None:
    """Does nothing: there is no CUDA generator to seed or cache to empty, as in a CPU-only
    PyTorch build (seed the CPU generator with ``mt.manual_seed``)."""
    return None


def _none(*args: Any, **kwargs: Any) -> None:
    """``accelerator.current_accelerator()``: there is none."""
    return None


def _no_cuda(*args: Any, **kwargs: Any) -> Any:
    """Raises AssertionError ("Torch not compiled with CUDA enabled"), as a CPU-only PyTorch
    build does: there is no CUDA device."""
    raise AssertionError(CUDA_ERROR)


cuda = _Namespace(
    is_available=_false,  # microtensor never has a GPU
    device_count=_zero,
    is_initialized=_false,
    manual_seed=_nothing,  # no CUDA generator to seed: a no-op, as in CPU-only PyTorch
    manual_seed_all=_nothing,
    seed=_nothing,
    seed_all=_nothing,
    empty_cache=_nothing,
    synchronize=_no_cuda,
    current_device=_no_cuda,
    get_device_name=_no_cuda,
    set_device=_no_cuda,
)
cuda.__doc__ = "torch.cuda for a CPU-only build: no devices; seeding is a no-op."

backends = _Namespace(
    mps=_Namespace(is_available=_false, is_built=_false),
    # flags that tutorials set for reproducibility or speed: stored, and without effect
    cudnn=_Namespace(is_available=_false, enabled=True, deterministic=False, benchmark=False,
                     allow_tf32=True),
    cuda=_Namespace(is_built=_false, matmul=_Namespace(allow_tf32=False)),
)

accelerator = _Namespace(
    is_available=_false,
    current_accelerator=_none,
    device_count=_zero,
)
