"""Run the tutorial scripts with real PyTorch, to prove they are PyTorch code.

    python tests/tutorials/run_with_pytorch.py               # every script, PyTorch vs microtensor
    python tests/tutorials/run_with_pytorch.py quickstart    # one script
    python tests/tutorials/run_with_pytorch.py --diff quickstart   # and show what prints differ

Each script is read, its import lines are swapped back (``import microtensor as torch`` ->
``import torch``, ``microtensor.transforms`` -> ``torchvision.transforms``, any other
``microtensor`` -> ``torch``) and the result runs in a fresh process in a temporary folder.
Nothing else in the script changes. When torchvision is not installed, a stand-in module gives
the two transforms the scripts use (``ToTensor`` for NumPy arrays and ``Lambda``), written
from torchvision's documented behaviour. Needs PyTorch; not part of the test suite (CI has no
PyTorch).
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(path.stem for path in HERE.glob("*.py")
                 if path.stem not in {"__init__", "run_with_pytorch"})

TORCHVISION_STAND_IN = '''
import sys, types, importlib.util
if importlib.util.find_spec("torchvision") is None:
    import numpy as np
    import torch

    class ToTensor:
        """An (H, W) or (H, W, C) array -> a (C, H, W) tensor; uint8 is scaled to [0, 1]."""
        def __call__(self, pic):
            array = pic[:, :, None] if pic.ndim == 2 else pic
            image = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
            if image.dtype == torch.uint8:
                return image.to(torch.get_default_dtype()).div(255)
            return image

    class Lambda:
        def __init__(self, lambd):
            self.lambd = lambd
        def __call__(self, img):
            return self.lambd(img)

    transforms = types.ModuleType("torchvision.transforms")
    transforms.ToTensor, transforms.Lambda = ToTensor, Lambda
    torchvision = types.ModuleType("torchvision")
    torchvision.transforms = transforms
    sys.modules["torchvision"] = torchvision
    sys.modules["torchvision.transforms"] = transforms
'''


def to_pytorch(source: str) -> str:
    """The script with its import lines naming PyTorch (and torchvision) instead."""
    source = source.replace("import microtensor as torch", "import torch")
    source = source.replace("microtensor.transforms", "torchvision.transforms")
    return re.sub(r"\bmicrotensor\b", "torch", source)


def run(name: str, library: str) -> tuple[int, str]:
    """Run tests/tutorials/<name>.py with "torch" or "microtensor"; (exit code, output)."""
    source = (HERE / f"{name}.py").read_text()
    if library == "torch":
        source = TORCHVISION_STAND_IN + "\n" + to_pytorch(source)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / f"{name}.py"
        script.write_text(source)
        result = subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True,
                                text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def main(argv: list[str]) -> int:
    show_diff = "--diff" in argv
    names = [arg for arg in argv if not arg.startswith("--")] or SCRIPTS
    failures = 0
    for name in names:
        code, output = run(name, "torch")
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:40s} PyTorch: {status}")
        if code != 0:
            failures += 1
            print(output[-3000:])
        if show_diff:
            _, ours = run(name, "microtensor")
            diff = difflib.unified_diff(output.splitlines(), ours.splitlines(), "pytorch",
                                        "microtensor", lineterm="", n=0)
            print("\n".join(diff))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
