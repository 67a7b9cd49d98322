"""PyTorch's beginner tutorials, as a new user runs them: each script in tests/tutorials/ runs
in a fresh Python process (``python script.py`` in an empty folder) and what it prints is checked.

The scripts are PyTorch code with two changes only: the import lines (``import microtensor as
torch``...) and the 8x8 scikit-learn digits where a tutorial downloads (Fashion)MNIST or CIFAR10.
``tests/tutorials/run_with_pytorch.py`` runs them with real PyTorch, by hand (CI has no PyTorch);
``test_scripts_name_microtensor_only_in_import_lines`` holds the first promise here.

A script that stops because microtensor lacks a call PyTorch has is a strict xfail whose reason
names the call: when the call is added, the xfail passes, the test fails, and the mark goes.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tests" / "tutorials"
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
needs_digits = pytest.mark.skipif(not HAS_SKLEARN, reason="scikit-learn is not installed")


def run_script(name: str, folder: Path) -> str:
    """Run tests/tutorials/<name>.py in `folder`; assert it ran to the end; return its output."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    result = subprocess.run([sys.executable, str(TUTORIALS / f"{name}.py")], cwd=folder,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{name}.py failed:\n{result.stderr[-4000:]}"
    assert "Warning" not in result.stderr or name == "recipe_defining_nn", result.stderr
    return result.stdout


def numbers_after(label: str, output: str) -> list[float]:
    """Every number that follows `label` on a line of `output`, in order."""
    pattern = re.escape(label) + r"\s*(-?[0-9.]+(?:e-?[0-9]+)?)"
    return [float(value) for value in re.findall(pattern, output)]


def assert_decreasing_overall(values: list[float], what: str) -> None:
    assert len(values) >= 2, f"no {what} printed"
    assert values[-1] < values[0], f"{what} did not decrease: {values}"


# ------------------------------------------------------------------------ the beginner basics

@needs_digits
def test_quickstart(tmp_path: Path) -> None:
    out = run_script("quickstart", tmp_path)
    assert "Shape of X [N, C, H, W]:" in out and "64, 1, 8, 8" in out
    assert "Using cpu device" in out
    assert "(linear_relu_stack): Sequential(" in out
    assert_decreasing_overall(numbers_after("loss:", out), "training loss")
    accuracies = numbers_after("Accuracy:", out)
    assert len(accuracies) == 5 and accuracies[-1] > 50, accuracies  # chance is 10%
    assert_decreasing_overall(numbers_after("Avg loss:", out), "test loss")
    assert "Done!" in out and "Saved PyTorch Model State to model.pth" in out
    assert (tmp_path / "model.pth").is_file()
    assert re.search(r'Predicted: "\d", Actual: "\d"', out)


def test_tensors(tmp_path: Path) -> None:
    out = run_script("tensors", tmp_path)
    assert out.startswith("tensor([[1, 2],\n        [3, 4]])\ntensor([[1, 2],\n        [3, 4]])\n")
    assert "Ones Tensor: \n tensor([[1, 1],\n        [1, 1]]) \n" in out
    assert "Zeros Tensor: \n tensor([[0., 0., 0.],\n        [0., 0., 0.]])" in out
    assert "Device tensor is stored on: cpu" in out
    assert "First row: tensor([1., 1., 1., 1.])" in out
    assert "Last column: tensor([1., 1., 1., 1.])" in out
    assert "tensor([[1., 0., 1., 1.],\n        [1., 0., 1., 1.]," in out  # tensor[:, 1] = 0
    assert "True True\nTrue True\n12.0 <class 'float'>\n" in out  # matmul/mul with out=, item()
    assert "tensor([[6., 5., 6., 6.]," in out  # add_(5)
    assert "t: tensor([2., 2., 2., 2., 2.])\nn: [2. 2. 2. 2. 2.]" in out  # shared memory
    assert "n: [2. 2. 2. 2. 2.]\ntensors: done" in out
    assert "tensor([[2., 2.],\n        [2., 2.]])" in out  # copy_, t_, mul_, sub_


def test_autograd(tmp_path: Path) -> None:
    out = run_script("autograd", tmp_path)
    assert "Gradient function for z = <AddBackward" in out
    assert "b.grad matches sigmoid(z) - y over 3: True" in out
    assert "True\nFalse\nFalse\n" in out  # requires_grad, under no_grad, detach
    first = "tensor([[4., 2., 2., 2., 2.],\n        [2., 4., 2., 2., 2.],"
    second = "tensor([[8., 4., 4., 4., 4.],\n        [4., 8., 4., 4., 4.],"
    assert f"First call\n{first}" in out and f"Second call\n{second}" in out
    assert f"Call after zeroing gradients\n{first}" in out
    assert "x.grad / v is one power of two: True" in out
    assert "dy/dx = 12.0, d2y/dx2 = 12.0" in out
    assert "second backward:" in out and "a second time" in out
    assert "frozen grads: [True, True]\nnew layer grads: [True, True]\nFalse\n" in out
    assert out.endswith("autograd: done\n")


def test_build_model(tmp_path: Path) -> None:
    out = run_script("build_model", tmp_path)
    assert "Using cpu device\nThe cuda idiom picks cpu\n" in out
    assert "(0): Linear(in_features=784, out_features=512, bias=True)" in out
    assert re.search(r"Predicted class: tensor\(\[\d\]\)", out)
    assert "rows sum to one: True" in out
    assert "Layer: linear_relu_stack.4.bias | Size:" in out
    assert "parameters: 669706 trainable: 669706" in out  # 784*512+512 + 512*512+512 + 512*10+10
    assert "['linear_relu_stack.0.weight', 'linear_relu_stack.0.bias'," in out
    assert "['flatten', 'linear_relu_stack']\n8\n" in out
    assert out.endswith("build_model: done\n")


@needs_digits
def test_optimization(tmp_path: Path) -> None:
    out = run_script("optimization", tmp_path)
    assert_decreasing_overall(numbers_after("loss:", out), "training loss")
    accuracies = numbers_after("Accuracy:", out)
    assert len(accuracies) == 6 and accuracies[-1] > 60, accuracies
    assert out.endswith("Done!\n")


@needs_digits
def test_data(tmp_path: Path) -> None:
    out = run_script("data", tmp_path)
    samples = r"sample \d+: label \d, image \(1, 8, 8\), \S*float32, max 1.000"
    assert len(re.findall(samples, out)) == 3
    assert "Feature batch shape:" in out and "64, 1, 8, 8" in out
    assert re.search(r"Label: (tensor\()?\d\)?, image \(8, 8\)", out)
    assert "one epoch: 1500 samples in 24 batches" in out
    assert out.endswith("data: done\n")


@needs_digits
def test_transforms(tmp_path: Path) -> None:
    out = run_script("transforms_tutorial", tmp_path)
    assert "image: (1, 8, 8)" in out and "values in [0.0, 0.9]" in out
    assert "target of sample 0 (a 0): tensor([1., 0., 0., 0., 0., 0., 0., 0., 0., 0.])" in out
    assert "one-hot batch: (4, 10), rows sum to tensor([1., 1., 1., 1.])" in out
    assert "classes: tensor([0, 1, 2, 3]) vs labels [0 1 2 3]" in out


def test_save_load(tmp_path: Path) -> None:
    out = run_script("save_load", tmp_path)
    assert "same outputs after loading: True" in out
    assert "0.weight \t" in out and "3.bias \t" in out
    assert "['0.bias', '0.weight', '3.bias', '3.weight']" in out
    assert (tmp_path / "model_weights.pth").is_file()


# ------------------------------------------------------------------- learning PyTorch with examples

def test_pytorch_with_examples(tmp_path: Path) -> None:
    out = run_script("pytorch_with_examples", tmp_path)
    losses = [float(value) for value in re.findall(r"^(?:249|499|749|999) (\S+)$", out, re.M)]
    assert len(losses) == 8 * 4
    for way in range(7):  # the dynamic net's random depth makes its curve bumpy: skipped
        curve = losses[4 * way: 4 * way + 4]
        assert curve[-1] < 0.5 * curve[0] and curve[-1] < 150, (way, curve)
    for name in ("NumPy", "Tensor", "Autograd", "Function", "nn", "optim", "Module", "Dynamic"):
        assert f"{name} result: y = " in out
    # the custom Function starts from fixed values: its fit is the same number in PyTorch
    fit = re.search(r"Function result: y = \S+ \+ (\S+) \* P3\(\S+ \+ (\S+) x\)", out)
    assert fit is not None
    assert float(fit.group(1)) == pytest.approx(-2.0573454, abs=1e-5)
    assert float(fit.group(2)) == pytest.approx(0.2543964, abs=1e-5)


@needs_digits
def test_nn_tutorial(tmp_path: Path) -> None:
    out = run_script("nn_tutorial", tmp_path)
    assert "tensor(0) tensor(9)" in out
    assert "tensor(0.0938)" in out  # the accuracy of the untrained model on the first batch
    validation = [float(value) for value in re.findall(r"^\d (\d\.\d+)$", out, re.M)]
    assert len(validation) == 2 + 2 + 2 + 3  # four calls of fit()
    assert validation[1] < validation[0]  # the logistic regression with fit()
    accuracy = numbers_after("validation accuracy:", out)
    assert accuracy and accuracy[0] > 0.2, accuracy  # chance is 0.1


# ------------------------------------------------------------------------------------- recipes

def test_recipe_defining_a_neural_network(tmp_path: Path) -> None:
    out = run_script("recipe_defining_nn", tmp_path)
    assert "(dropout1): Dropout2d(p=0.25, inplace=False)" in out
    assert "(fc1): Linear(in_features=9216, out_features=128, bias=True)" in out
    total = numbers_after("log-probabilities sum to", out)
    assert total and total[0] == pytest.approx(1.0, abs=1e-5)
    assert "\n10\n" in out  # LeNet has ten parameter tensors
    assert "True\nTrue\nconv1.bias.grad before backward\nNone\n" in out
    losses = [float(value) for value in re.search(r"losses: (.*)", out).group(1).split()]
    assert len(losses) == 5 and losses == sorted(losses, reverse=True)


@needs_digits
def test_recipe_zeroing_gradients(tmp_path: Path) -> None:
    out = run_script("recipe_zeroing_gradients", tmp_path)
    losses = [float(value) for value in re.findall(r"^\[\d, +\d+\] loss: (\S+)$", out, re.M)]
    assert len(losses) == 4 and losses[-1] < losses[0] - 0.5, losses
    assert "Finished Training" in out
    assert "accumulated twice: True\nafter zero_grad: None\n" in out


def test_recipe_saving_a_general_checkpoint(tmp_path: Path) -> None:
    out = run_script("recipe_checkpoint", tmp_path)
    assert "(pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)" \
        in out
    assert "epoch 5, loss 0.4\noptimizer state entries: 10\n0.001 0.9\nsame outputs: True\n" in out
    assert (tmp_path / "model.pt").is_file()


def test_recipe_warmstarting(tmp_path: Path) -> None:
    out = run_script("recipe_warmstart", tmp_path)
    assert "missing: ['fc4.weight', 'fc4.bias']\nunexpected: []\nconv1 copied: True\n" in out
    assert "strict load: Error(s) in loading state_dict for NetB:" in out
    assert "head copied: True" in out
    assert "unexpected after renaming: ['conv1.bias', 'conv1.weight'," in out


# ------------------------------------------------------------------------- the scripts themselves

def test_every_script_has_a_test() -> None:
    scripts = {path.stem for path in TUTORIALS.glob("*.py")} - {"__init__", "run_with_pytorch"}
    tested = {"quickstart", "tensors", "autograd", "build_model", "optimization", "data",
              "transforms_tutorial", "save_load", "pytorch_with_examples", "nn_tutorial",
              "recipe_defining_nn", "recipe_zeroing_gradients", "recipe_checkpoint",
              "recipe_warmstart"}
    assert scripts == tested


def test_scripts_name_microtensor_only_in_import_lines() -> None:
    """Outside its docstring, a script names microtensor only in its import lines: swapping
    those back (run_with_pytorch.py does) makes it PyTorch code."""
    for path in TUTORIALS.glob("*.py"):
        if path.stem == "run_with_pytorch":
            continue
        source = path.read_text()
        body = source.split('"""', 2)[2] if source.startswith('"""') else source
        for line in body.splitlines():
            if "microtensor" in line:
                assert re.fullmatch(r"(import microtensor(\.[\w.]+)? as \w+|"
                                    r"from microtensor(\.[\w.]+)? import [\w, ]+)", line), \
                    f"{path.name}: {line}"
