"""Module machinery of issue 14: hooks (forward, full backward), lookups by dotted name,
``to``/dtype casts, state-dict details, assignment rules and ``ParameterList``/``ParameterDict``.

The expected values and messages are PyTorch's (checked against torch 2.13); a few tests also
compare with torch directly when it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn


class Scale(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


class TwoInTwoOut(nn.Module):
    """forward(x, k, y) -> (2kx, 3y): a tensor, a number, a tensor in; two tensors out."""

    def forward(self, x, k, y):
        return x * 2 * k, y * 3


# ----------------------------------------------------------------------------- forward hooks
def test_forward_pre_hooks_order_prepend_and_kwargs() -> None:
    layer, calls = nn.Linear(2, 2), []
    layer.register_forward_pre_hook(lambda m, a: calls.append("pre1"))
    layer.register_forward_pre_hook(lambda m, a: calls.append("pre0"), prepend=True)
    layer.register_forward_pre_hook(lambda m, a, k: calls.append(("prek", k)), with_kwargs=True)
    layer.register_forward_hook(lambda m, a, o: calls.append("post"))
    layer.register_forward_hook(lambda m, a, k, o: calls.append(("postk", k)), with_kwargs=True)
    layer(mt.zeros(2))
    assert calls == ["pre0", "pre1", ("prek", {}), "post", ("postk", {})]


def test_forward_pre_hook_replacements() -> None:
    module = Scale()
    module.register_forward_pre_hook(lambda m, a, kw: (a, {"scale": 3.0}), with_kwargs=True)
    assert module(mt.ones(1)).tolist() == [3.0]
    module = Scale()
    module.register_forward_pre_hook(lambda m, a: mt.zeros(1) + 7)  # one value: a 1-tuple
    assert module(mt.ones(1)).tolist() == [7.0]
    module = Scale()
    module.register_forward_pre_hook(lambda m, a, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\), but got 5"):
        module(mt.ones(1))


def test_forward_hook_with_kwargs_replaces_output() -> None:
    module = Scale()
    module.register_forward_hook(lambda m, a, kw, out: out + kw["scale"], with_kwargs=True)
    assert module(mt.ones(1), scale=2.0).tolist() == [4.0]


def test_always_call_hook_runs_when_forward_raises() -> None:
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    module = Broken()
    module.register_forward_hook(lambda m, a, out: seen.append(("always", out)), always_call=True)
    module.register_forward_hook(lambda m, a, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        module(1)
    assert seen == [("always", None)]


def test_removed_hooks_stop_and_forget_their_flags() -> None:
    module, calls = Scale(), []
    handle = module.register_forward_hook(lambda m, a, k, o: calls.append(1), with_kwargs=True)
    with module.register_forward_pre_hook(lambda m, a: calls.append(0)):
        module(mt.ones(1))
    handle.remove()
    module(mt.ones(1))
    assert calls == [0, 1]
    assert not module._hooks_with_kwargs and not module._forward_hooks


# ----------------------------------------------------------------------------- backward hooks
def test_full_backward_hooks_see_pytorchs_tuples() -> None:
    module, log = TwoInTwoOut(), []
    module.register_full_backward_pre_hook(lambda m, go: log.append(("pre", go)))
    module.register_full_backward_hook(lambda m, gi, go: log.append(("full", gi, go)))
    x = mt.ones(2, requires_grad=True)
    a, b = module(x, 5, mt.ones(2))
    a.sum().backward()
    (pre, grad_output), (full, grad_input, grad_output2) = log
    assert (pre, full) == ("pre", "full")
    assert grad_output[0].tolist() == [1.0, 1.0]
    assert grad_output2 is grad_output
    # one entry per positional argument: None for the number; the tensor y gets zeros (PyTorch
    # also gives y a zero gradient here)
    assert len(grad_input) == 3 and grad_input[1] is None
    assert grad_input[0].tolist() == [10.0, 10.0] and grad_input[2].tolist() == [0.0, 0.0]
    assert x.grad.tolist() == [10.0, 10.0]


def test_full_backward_hooks_can_replace_gradients() -> None:
    layer = nn.Linear(2, 1)
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,))
    x = mt.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0]]  # replaced grad_input
    assert layer.weight.grad.tolist() == [[10.0, 10.0]]  # parameters see the scaled grad_output


def test_full_backward_hook_without_input_gradients_runs_with_nones() -> None:
    layer, log = nn.Linear(2, 1), []
    layer.register_full_backward_hook(lambda m, gi, go: log.append((gi, go)))
    layer(mt.ones(1, 2)).sum().backward()
    (grad_input, grad_output), = log
    assert grad_input == (None,)
    assert grad_output[0].tolist() == [[1.0]]


def test_full_backward_hook_errors_and_removal() -> None:
    layer = nn.Linear(2, 1)
    handle = layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        layer(mt.ones(1, 2, requires_grad=True)).sum().backward()
    handle.remove()
    layer.register_full_backward_pre_hook(lambda m, go: 5)
    with pytest.raises(TypeError, match="tuple of grad_output"):
        layer(mt.ones(1, 2, requires_grad=True)).sum().backward()


def test_backward_hooks_leave_values_and_gradients_unchanged() -> None:
    rng = np.random.default_rng(0)
    x_values = rng.standard_normal((3, 4))
    plain, hooked = nn.Linear(4, 2).double(), nn.Linear(4, 2).double()
    hooked.load_state_dict(plain.state_dict())
    hooked.register_full_backward_hook(lambda m, gi, go: None)
    results = []
    for layer in (plain, hooked):
        x = mt.tensor(x_values, requires_grad=True)
        out = layer(x)
        (out ** 2).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy(), layer.weight.grad.numpy()))
    for ours, reference in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, reference)


def test_backward_hooks_under_no_grad_are_skipped() -> None:
    layer, log = nn.Linear(2, 1), []
    layer.register_full_backward_hook(lambda *a: log.append(a))
    with mt.no_grad():
        out = layer(mt.ones(1, 2, requires_grad=True))
    assert out.grad_fn is None and log == []


def test_backward_hooks_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    got = {}
    for lib, name in ((mt, "mt"), (torch, "torch")):
        layer = lib.nn.Linear(4, 3, bias=False).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
        seen = []
        layer.register_full_backward_hook(lambda m, gi, go, seen=seen: seen.append((gi, go)))
        inp = lib.tensor(x, requires_grad=True)
        (layer(inp).tanh().sum()).backward()
        (gi,), (go,) = seen[0]
        got[name] = (gi.detach().numpy(), go.detach().numpy())
    for ours, theirs in zip(got["mt"], got["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ----------------------------------------------------------------------------- dotted lookups
def make_tree() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


def test_get_parameter_buffer_and_submodule() -> None:
    tree = make_tree()
    assert tree.get_parameter("0.weight") is tree[0].weight
    assert tree.get_buffer("1.running_mean") is tree[1].running_mean
    assert tree.get_submodule("1") is tree[1] and tree.get_submodule("") is tree
    cases = [
        (tree.get_parameter, "0.nope", "Linear has no attribute `nope`"),
        (tree.get_parameter, "1.running_mean", "`running_mean` is not an nn.Parameter"),
        (tree.get_parameter, "5.weight", "Sequential has no attribute `5`"),
        (tree.get_buffer, "1.weight", "`weight` is not a buffer"),
        (tree.get_buffer, "0.in_features", "`in_features` is not a buffer"),
        (tree.get_submodule, "0.weight", "`weight` is not an nn.Module"),
        (tree.get_submodule, "7", "Sequential has no attribute `7`"),
    ]
    for method, target, message in cases:
        with pytest.raises(AttributeError, match=message):
            method(target)


# ----------------------------------------------------------------------------- to and casts
def test_to_accepts_cpu_devices_and_refuses_cuda() -> None:
    tree = make_tree()
    assert tree.to("cpu") is tree and tree.to(mt.device("cpu")) is tree
    assert tree.to(mt.device("cpu"), mt.float64) is tree
    assert tree[0].weight.dtype == mt.float64
    assert tree[1].num_batches_tracked.dtype == mt.int64  # integer buffers keep their dtype
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        tree.to("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        tree.to(device=mt.device("cuda", 0))
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        tree.cuda()
    with pytest.raises(TypeError, match=r"only accepts floating point or complex dtypes, but got "
                                        r"desired dtype=torch.int64"):
        tree.to(mt.int64)


def test_dtype_shortcuts_keep_parameter_identity() -> None:
    tree = make_tree()
    weight = tree[0].weight
    assert tree.half() is tree and weight.dtype == mt.float16 and tree[0].weight is weight
    assert tree[1].running_var.dtype == mt.float16
    tree.double()
    assert weight.dtype == mt.float64
    tree.to(mt.zeros(1, dtype=mt.float32))  # to(tensor): its dtype
    assert weight.dtype == mt.float32
    with pytest.raises(TypeError, match="bfloat16"):
        tree.bfloat16()


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_prefix_keep_vars_and_non_persistent_buffers() -> None:
    module = nn.Module()
    module.register_buffer("kept", mt.zeros(1))
    module.register_buffer("dropped", mt.zeros(1), persistent=False)
    module.weight = nn.Parameter(mt.zeros(2))
    assert list(module.state_dict(prefix="abc.")) == ["abc.weight", "abc.kept"]
    assert module.state_dict(keep_vars=True)["weight"] is module.weight
    assert type(module.state_dict()["weight"]) is mt.Tensor
    assert [name for name, _ in module.named_buffers()] == ["kept", "dropped"]


def test_load_state_dict_strict_message_and_named_tuple() -> None:
    tree = make_tree()
    state = dict(tree.state_dict())
    state.pop("0.bias")
    state["zzz"], state["yyy"] = mt.zeros(1), mt.zeros(1)
    with pytest.raises(RuntimeError) as error:
        tree.load_state_dict(state)
    assert str(error.value) == (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "0.bias". \n'
        '\tUnexpected key(s) in state_dict: "zzz", "yyy". '
    )
    result = tree.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["zzz", "yyy"]
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['0.bias'], "
                            "unexpected_keys=['zzz', 'yyy'])")


# ----------------------------------------------------------------------------- assignment
def test_replacing_a_parameter_or_module_keeps_its_place() -> None:
    module = nn.Module()
    module.a = nn.Parameter(mt.zeros(1))
    module.b = nn.Parameter(mt.zeros(1))
    module.a = nn.Parameter(mt.ones(1))
    assert list(module._parameters) == ["a", "b"] and module.a.tolist() == [1.0]
    module.m1, module.m2 = nn.ReLU(), nn.Tanh()
    module.m1 = nn.Sigmoid()
    assert list(module._modules) == ["m1", "m2"]


def test_assignment_moves_names_between_kinds() -> None:
    module = nn.Module()
    module.x = 1
    module.x = nn.Parameter(mt.zeros(1))  # a plain attribute becomes a parameter
    assert "x" not in module.__dict__ and list(module._parameters) == ["x"]
    module.register_buffer("b", mt.zeros(1), persistent=False)
    module.b = nn.Parameter(mt.zeros(1))  # a buffer becomes a parameter
    assert "b" not in module._buffers and "b" not in module._non_persistent_buffers
    module.register_buffer("c", mt.zeros(1))
    module.c = nn.Linear(1, 1)  # a buffer becomes a module
    assert "c" not in module._buffers and "c" in module._modules
    del module.c
    assert "c" not in module._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        del module.nope
    with pytest.raises(TypeError, match="cannot assign 'Linear' as parameter 'x'"):
        module.x = nn.Linear(1, 1)
    module.x = None  # None keeps the name registered
    assert module._parameters["x"] is None


def test_register_buffer_errors() -> None:
    module = nn.Module()
    module.foo = 3
    cases = [
        (("a", [1]), TypeError, "cannot assign 'list' object to buffer 'a'"),
        ((1, None), TypeError, "buffer name should be a string"),
        (("a.b", None), KeyError, "buffer name can.*contain"),
        (("", None), KeyError, "buffer name can.*be empty string"),
        (("foo", None), KeyError, "attribute 'foo' already exists"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            module.register_buffer(*args)


def test_named_modules_and_parameters_with_duplicates() -> None:
    shared = nn.Linear(1, 1)
    tree = nn.Sequential(shared, shared)
    assert [n for n, _ in tree.named_modules()] == ["", "0"]
    assert [n for n, _ in tree.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert [n for n, _ in tree.named_modules(prefix="p")] == ["p", "p.0"]
    assert [n for n, _ in tree.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "1.weight", "1.bias"]


def test_zero_grad_apply_and_requires_grad() -> None:
    layer = nn.Linear(2, 1)
    layer(mt.ones(1, 2)).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad.tolist() == [[0.0, 0.0]]
    layer.zero_grad()
    assert layer.weight.grad is None
    assert layer.requires_grad_(False) is layer and not layer.weight.requires_grad
    visited = []
    nn.Sequential(nn.ReLU(), nn.Tanh()).apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["ReLU", "Tanh", "Sequential"]
    assert nn.Linear(2, 3).extra_repr() == "in_features=2, out_features=3, bias=True"


def test_clip_grad_norm_accepts_foreach() -> None:
    layer = nn.Linear(2, 1)
    layer(mt.ones(1, 2)).sum().backward()
    total = nn.utils.clip_grad_norm_(layer.parameters(), 0.5, foreach=True)
    assert np.isclose(float(total), np.sqrt(3.0))
    vector = nn.utils.parameters_to_vector(layer.parameters())
    assert vector.shape == (3,)


# ----------------------------------------------------------------------------- ParameterList
def test_parameter_list_registers_wraps_and_reprs() -> None:
    params = nn.ParameterList([nn.Parameter(mt.zeros(2, 3)), mt.ones(4)])
    params.append(mt.zeros(1, dtype=mt.float64))
    params.extend([nn.Parameter(mt.zeros(2))])
    params.append(5)
    assert repr(params) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
        "    (1): Parameter containing: [torch.float32 of size 4]\n"
        "    (2): Parameter containing: [torch.float64 of size 1]\n"
        "    (3): Parameter containing: [torch.float32 of size 2]\n"
        "    (4): Object of type: int\n"
        ")"
    )
    assert list(params.state_dict()) == ["0", "1", "2", "3"]
    assert isinstance(params[1], nn.Parameter) and params[1].requires_grad
    assert len(params) == 5 and params[-1] == 5
    assert isinstance(params[1:3], nn.ParameterList) and len(params[1:3]) == 2
    params[0] = mt.ones(1)
    assert isinstance(params[0], nn.Parameter)
    assert [n for n, _ in params.named_parameters()] == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="index 10 is out of range"):
        params[10]
    with pytest.raises(TypeError, match="extend should be called with an iterable, but got int"):
        params.extend(5)
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_list_in_a_model_is_trained() -> None:
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([mt.ones(2), mt.ones(2)])

        def forward(self, x):
            return sum(w * x for w in self.weights)

    model = Model()
    assert len(list(model.parameters())) == 2
    model(mt.ones(2)).sum().backward()
    assert model.weights[0].grad.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- ParameterDict
def test_parameter_dict_behaves_like_a_dict() -> None:
    params = nn.ParameterDict({"b": mt.ones(3), "a": nn.Parameter(mt.zeros(2))})  # sorted
    params["c"] = mt.zeros(1)
    params.update({"d": mt.zeros(2)})
    params.update([("e", mt.zeros(2))])
    assert repr(params) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [torch.FloatTensor of size 2]\n"
        "    (b): Parameter containing: [torch.FloatTensor of size 3]\n"
        "    (c): Parameter containing: [torch.FloatTensor of size 1]\n"
        "    (d): Parameter containing: [torch.FloatTensor of size 2]\n"
        "    (e): Parameter containing: [torch.FloatTensor of size 2]\n"
        ")"
    )
    assert list(params.state_dict()) == ["a", "b", "c", "d", "e"]
    assert list(params.keys()) == ["a", "b", "c", "d", "e"] and "a" in params
    assert isinstance(params.pop("e"), nn.Parameter) and list(params) == ["a", "b", "c", "d"]
    assert params.get("q", 3) == 3
    assert params.setdefault("f", mt.zeros(1)).shape == (1,)
    copied = params.copy()
    assert list(copied) == ["a", "b", "c", "d", "f"] and copied["a"] is params["a"]
    del params["a"]
    assert list(params) == ["b", "c", "d", "f"] and list(reversed(params)) == ["f", "d", "c", "b"]
    joined = params | {"z": mt.zeros(1)}
    assert list(joined) == ["b", "c", "d", "f", "z"] and "z" not in params
    assert list(params.fromkeys(["p", "q"], mt.zeros(1))) == ["p", "q"]
    other = nn.ParameterDict()
    other["x"] = 3
    assert repr(other) == "ParameterDict(  (x): Object of type: int)"
    assert other.popitem() == ("x", 3) and len(other) == 0


def test_parameter_dict_errors() -> None:
    params = nn.ParameterDict({"a": mt.zeros(1)})
    with pytest.raises(AttributeError, match="'ParameterDict' object has no attribute 'zz'"):
        params["zz"]
    with pytest.raises(TypeError, match="iterable of key/value pairs, but got int"):
        params.update(5)
    with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
        params.update([("a",)])
    with pytest.raises(TypeError, match="not a string \\(type is 'int'\\)"):
        nn.ParameterDict({1: mt.zeros(1)})
    with pytest.raises(KeyError, match="parameter name can.*contain"):
        params["a.b"] = mt.zeros(1)


def test_parameter_containers_match_pytorch_repr() -> None:
    torch = pytest.importorskip("torch")
    ours = nn.ParameterList([mt.zeros(2, 3), mt.zeros(1, dtype=mt.float64)])
    theirs = torch.nn.ParameterList([torch.zeros(2, 3), torch.zeros(1, dtype=torch.float64)])
    assert repr(ours) == repr(theirs)
    ours_dict = nn.ParameterDict({"w": mt.zeros(2), "n": 3})
    theirs_dict = torch.nn.ParameterDict({"w": torch.zeros(2), "n": 3})
    assert repr(ours_dict) == repr(theirs_dict)
    assert list(ours_dict.state_dict()) == list(theirs_dict.state_dict())


def test_load_state_dict_assign_stores_the_given_tensors() -> None:
    layer = nn.Linear(2, 1)
    new_weight = mt.ones(1, 2, dtype=mt.float64)
    layer.load_state_dict({"weight": new_weight, "bias": mt.zeros(1)}, assign=True)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    assert layer.weight.dtype == mt.float64  # assigned, not copied into the float32 weight
    new_weight.data[0, 0] = 5.0  # shares memory with the given tensor, as in PyTorch
    assert layer.weight.tolist() == [[5.0, 1.0]]


def test_backward_hooks_support_double_backward() -> None:
    class Cube(nn.Module):
        def forward(self, x):
            return x ** 3

    module, recorded = Cube(), []
    module.register_full_backward_hook(lambda m, gi, go: recorded.append(gi[0].grad_fn))
    x = mt.tensor([2.0], requires_grad=True)
    (grad,) = mt.autograd.grad(module(x).sum(), x, create_graph=True)
    assert grad.tolist() == [12.0] and recorded[0] is not None
    grad.sum().backward()
    assert x.grad.tolist() == [12.0]  # d(3x^2)/dx = 6x
