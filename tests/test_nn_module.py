"""nn.Module and nn.Parameter: registration, traversal, modes, hooks, repr, state dicts."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn


class Block(nn.Module):
    """Parameters, a buffer and sub-modules assigned in a deliberately mixed order."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(mt.ones(3))
        self.fc = nn.Linear(4, 3)
        self.register_buffer("count", mt.zeros(1))
        self.act = nn.ReLU()
        self.register_buffer("cache", mt.zeros(2), persistent=False)
        self.offset = nn.Parameter(mt.zeros(3))
        self.plain = mt.ones(2)  # a plain tensor attribute: not state

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale + self.offset


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Linear(3, 2), nn.Tanh())

    def forward(self, x):
        return self.head(self.block(x))


# --------------------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_tensor_that_requires_grad() -> None:
    p = nn.Parameter(mt.tensor([1.0, 2.0]))
    assert isinstance(p, mt.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(mt.zeros(2), requires_grad=False).requires_grad
    assert type(p * 2) is mt.Tensor  # arithmetic gives plain tensors
    assert nn.Parameter().shape == (0,)


def test_parameter_shares_memory_and_detaches_history() -> None:
    t = mt.zeros(3)
    p = nn.Parameter(t)
    with mt.no_grad():
        p.add_(1.0)
    assert t.tolist() == [1.0, 1.0, 1.0]
    x = mt.ones(2, requires_grad=True)
    q = nn.Parameter(x * 2)
    assert q.is_leaf and q.grad_fn is None
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(mt.tensor([1, 2]))


def test_parameter_deepcopy_keeps_type_values_and_grad() -> None:
    p = nn.Parameter(mt.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q is not p
    assert q.tolist() == [1.0, 2.0] and q.grad.tolist() == [2.0, 4.0]
    with mt.no_grad():
        q.mul_(0)
    assert p.tolist() == [1.0, 2.0]


# --------------------------------------------------------------------------- registration


def test_registration_follows_definition_order_with_dotted_names() -> None:
    net = Net()
    assert [name for name, _ in net.named_parameters()] == [
        "block.scale", "block.offset", "block.fc.weight", "block.fc.bias",
        "head.0.weight", "head.0.bias"]
    assert [name for name, _ in net.named_buffers()] == ["block.count", "block.cache"]
    assert [name for name, _ in net.named_modules()] == [
        "", "block", "block.fc", "block.act", "head", "head.0", "head.1"]
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    assert list(net.children()) == [net.block, net.head]
    assert len(list(net.parameters())) == 6
    assert len(list(net.block.parameters(recurse=False))) == 2


def test_state_dict_holds_parameters_and_persistent_buffers_in_order() -> None:
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["block.scale", "block.offset", "block.count", "block.fc.weight",
                           "block.fc.bias", "head.0.weight", "head.0.bias"]
    value = state["block.fc.weight"]
    assert not value.requires_grad and value.grad_fn is None
    assert np.shares_memory(value.numpy(), net.block.fc.weight.detach().numpy())
    assert net.state_dict(keep_vars=True)["block.scale"] is net.block.scale


def test_shared_parameters_are_listed_once() -> None:
    a = nn.Linear(3, 3)
    model = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    tied = nn.Module()
    tied.first = nn.Linear(2, 2)
    tied.second = nn.Linear(2, 2)
    tied.second.weight = tied.first.weight
    assert len(list(tied.parameters())) == 3


def test_assignment_rules_and_errors() -> None:
    block = Block()
    block.offset = None  # a parameter slot may be emptied
    assert "offset" not in dict(block.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        block.scale = mt.ones(3)
    with pytest.raises(TypeError, match="as child module 'fc'"):
        block.fc = mt.ones(3)
    with pytest.raises(TypeError, match="as buffer 'count'"):
        block.count = 3
    block.count = mt.ones(1)  # a tensor may replace a buffer
    assert block.state_dict()["count"].tolist() == [1.0]
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        _ = block.missing
    with pytest.raises(KeyError, match="attribute 'fc' already exists"):
        block.register_buffer("fc", mt.zeros(1))
    with pytest.raises(KeyError, match=r'contain "\."'):
        block.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="Parameter or None required"):
        block.register_parameter("p", mt.zeros(1))
    del block.fc
    assert "fc" not in dict(block.named_children())


def test_assigning_before_init_is_an_error() -> None:
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mt.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()

    class Forgetful(nn.Module):
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match=r"forget to call super\(\).__init__\(\)"):
        Forgetful()(mt.zeros(1))


def test_forward_is_required() -> None:
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(mt.zeros(1))


def test_get_submodule() -> None:
    net = Net()
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match="no submodule `nope`"):
        net.get_submodule("block.nope")


# --------------------------------------------------------------------------- modes and bulk changes


def test_train_and_eval_reach_every_module() -> None:
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_to_none_or_zero_and_requires_grad_() -> None:
    net = Net()
    net(mt.randn(2, 4)).sum().backward()
    grad = net.block.fc.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.block.fc.weight.grad is grad and (grad.numpy() == 0).all()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.block.requires_grad_(False)
    assert not net.block.fc.weight.requires_grad and net.head[0].weight.requires_grad


def test_apply_visits_children_first() -> None:
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Block", "Linear", "Tanh", "Sequential", "Net"]


def test_double_casts_in_place_keeping_identity() -> None:
    net = Net()
    weight = net.block.fc.weight
    assert net.double() is net
    assert weight.dtype == mt.float64 and net.block.fc.weight is weight
    assert net.block.count.dtype == mt.float64
    assert net(mt.randn(2, 4, dtype=mt.float64)).dtype == mt.float64
    net.float()
    assert weight.dtype == mt.float32
    assert net.to("cpu") is net


def test_deepcopy_of_a_module_is_independent() -> None:
    net = Net()
    clone = copy.deepcopy(net)
    with mt.no_grad():
        clone.block.fc.weight.fill_(0.0)
    assert not (net.block.fc.weight.detach().numpy() == 0).all()
    x = mt.randn(2, 4)
    assert clone(x).shape == (2, 2)


# --------------------------------------------------------------------------- hooks


def test_forward_hooks_can_change_inputs_and_outputs() -> None:
    layer = nn.Identity()
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.tolist()) or out + 1)
    assert layer(mt.tensor([1.0])).tolist() == [3.0]
    assert calls == [[2.0]]
    pre.remove()
    post.remove()
    assert layer(mt.tensor([1.0])).tolist() == [1.0]


# --------------------------------------------------------------------------- repr


def test_repr_is_a_tree_like_pytorch() -> None:
    assert repr(Net()) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=4, out_features=3, bias=True)\n"
        "    (act): ReLU()\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=2, bias=True)\n"
        "    (1): Tanh()\n"
        "  )\n"
        ")"
    )

    class Multi(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n  (inner): ReLU()\n)"


def test_repr_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(inplace=True), nn.Dropout(0.2),
                         nn.ModuleList([nn.Sigmoid(), nn.LogSoftmax(dim=1)]))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3, bias=False), torch.nn.ReLU(inplace=True),
                                 torch.nn.Dropout(0.2),
                                 torch.nn.ModuleList([torch.nn.Sigmoid(),
                                                      torch.nn.LogSoftmax(dim=1)]))
    assert repr(ours) == repr(theirs)


# --------------------------------------------------------------------------- load_state_dict


def test_load_state_dict_copies_in_place_without_recording() -> None:
    source, target = Net(), Net()
    weight = target.block.fc.weight
    version = weight._version
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.block.fc.weight is weight and weight.grad_fn is None
    assert weight._version > version
    x = mt.randn(3, 4)
    np.testing.assert_array_equal(target(x).detach().numpy(), source(x).detach().numpy())
    # values are copies: changing the source later does not change the target
    with mt.no_grad():
        source.block.fc.weight.fill_(7.0)
    assert not (target.block.fc.weight.detach().numpy() == 7.0).any()


def test_load_state_dict_casts_and_accepts_arrays() -> None:
    model = nn.Linear(2, 2)
    state = {"weight": np.eye(2), "bias": mt.tensor([1.0, 2.0], dtype=mt.float64)}
    model.load_state_dict(state)
    assert model.weight.dtype == mt.float32 and model.bias.tolist() == [1.0, 2.0]


def test_load_state_dict_reports_every_problem_by_name() -> None:
    model = Net()
    state = model.state_dict()
    del state["block.scale"]
    del state["head.0.bias"]
    state["block.extra"] = mt.zeros(1)
    state["block.fc.weight"] = mt.zeros(5, 4)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert message.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "block.scale", "head.0.bias".' in message
    assert 'Unexpected key(s) in state_dict: "block.extra".' in message
    assert ("size mismatch for block.fc.weight: copying a param with shape (5, 4) from "
            "checkpoint, the shape in current model is (3, 4).") in message


def test_load_state_dict_non_strict_returns_the_key_lists() -> None:
    model = Net()
    state = model.state_dict()
    del state["block.count"]
    state["surplus"] = mt.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["block.count"]
    assert result.unexpected_keys == ["surplus"]
    assert result == (["block.count"], ["surplus"])
    state["block.fc.bias"] = mt.zeros(4)
    with pytest.raises(RuntimeError, match="size mismatch for block.fc.bias"):
        model.load_state_dict(state, strict=False)


def test_load_state_dict_from_torch_model() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3),
                                 torch.nn.Linear(3, 2)).double().eval()
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2)).double().eval()
    with torch.no_grad():
        theirs[1].running_mean.uniform_(-1, 1)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(ours(mt.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-13)


# --------------------------------------------------------------------------- training end to end


def test_a_small_network_learns() -> None:
    mt.manual_seed(0)
    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((64, 2)), dtype=mt.float32)
    y = mt.tensor((x.numpy()[:, 0] * x.numpy()[:, 1] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(200):
        loss = loss_fn(model(x), y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with mt.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.3 * first


# --------------------------------------------------------------------------- nn.utils


def _with_grads() -> nn.Module:
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    for i, p in enumerate(model.parameters()):
        p.grad = mt.tensor(np.random.default_rng(i).standard_normal(p.shape) * 3,
                           dtype=mt.float32)
    return model


def test_clip_grad_norm_scales_all_gradients_together() -> None:
    model = _with_grads()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert isinstance(total, mt.Tensor) and total.item() == pytest.approx(norm, rel=1e-6)
    clipped = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum()
                          for p in model.parameters()))
    assert clipped == pytest.approx(1.0, rel=1e-5)
    for p, g in zip(model.parameters(), grads):  # same direction
        np.testing.assert_allclose(p.grad.numpy() * norm, g, rtol=1e-4)
    small = nn.utils.clip_grad_norm_(model.parameters(), max_norm=100.0)
    assert small.item() == pytest.approx(1.0, rel=1e-5)
    model = _with_grads()
    inf_norm = nn.utils.clip_grad_norm_(model[0].weight, 0.5, norm_type="inf")
    assert np.abs(model[0].weight.grad.numpy()).max() == pytest.approx(0.5, rel=1e-5)
    assert inf_norm.item() > 0.5


def test_clip_grad_norm_nonfinite_and_clip_grad_value() -> None:
    model = _with_grads()
    model[0].bias.grad._data[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    model = _with_grads()
    nn.utils.clip_grad_value_(model.parameters(), 0.1)
    assert all(np.abs(p.grad.numpy()).max() <= 0.1 for p in model.parameters())
    assert nn.utils.clip_grad_norm_([nn.Parameter(mt.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    model = _with_grads()
    tensors = [torch.tensor(p.detach().numpy(), requires_grad=True)
               for p in model.parameters()]
    for t, p in zip(tensors, model.parameters()):
        t.grad = torch.tensor(p.grad.numpy().copy())
    for norm_type in (2.0, 1.0, float("inf")):
        ours = nn.utils.clip_grad_norm_(model.parameters(), 0.7, norm_type=norm_type)
        theirs = torch.nn.utils.clip_grad_norm_(tensors, 0.7, norm_type=norm_type)
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
        for t, p in zip(tensors, model.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5)


def test_parameters_to_vector_and_back() -> None:
    model = nn.Linear(3, 2)
    vector = nn.utils.parameters_to_vector(model.parameters())
    assert vector.shape == (8,) and vector.requires_grad
    nn.utils.vector_to_parameters(mt.arange(8.0), model.parameters())
    assert model.weight.tolist() == [[0, 1, 2], [3, 4, 5]] and model.bias.tolist() == [6, 7]
    with pytest.raises(ValueError, match="8"):
        nn.utils.vector_to_parameters(mt.arange(5.0), model.parameters())


def test_l2_penalty_gradient_is_weight_decay_times_weight() -> None:
    model = nn.Linear(3, 2)
    penalty = nn.utils.l2_penalty(model, weight_decay=0.1)
    expected = 0.05 * sum((p.detach().numpy() ** 2).sum() for p in model.parameters())
    assert penalty.item() == pytest.approx(expected, rel=1e-6)
    penalty.backward()
    np.testing.assert_allclose(model.weight.grad.numpy(), 0.1 * model.weight.detach().numpy(),
                               rtol=1e-6)
    model.zero_grad()
    nn.utils.l2_penalty(model, 0.1, skip_bias=True).backward()
    assert model.bias.grad is None


def test_l1_penalty_gradient_is_sign() -> None:
    w = nn.Parameter(mt.tensor([[-2.0, 0.5], [1.0, -0.1]]))
    b = nn.Parameter(mt.tensor([3.0, -4.0]))
    penalty = nn.utils.l1_penalty([w, b], weight=0.5, skip_bias=True)
    assert penalty.item() == pytest.approx(0.5 * 3.6)
    penalty.backward()
    assert w.grad.tolist() == [[-0.5, 0.5], [0.5, -0.5]] and b.grad is None
