"""Layers: forward values against NumPy references, default initialisation, train/eval
behaviour, containers, and parity with PyTorch given the same weights."""

from __future__ import annotations

import math
import re
from collections import OrderedDict

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn


def _x(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _conv_reference(x, w, b, stride=(1, 1), pad=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Direct cross-correlation with explicit loops (pad: top, bottom, left, right)."""
    x = np.pad(x, ((0, 0), (0, 0), pad[:2], pad[2:]))
    n, c_in, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c_out, ho, wo))
    per_out = c_out // groups
    for o in range(c_out):
        g = o // per_out
        for i in range(ho):
            for j in range(wo):
                rows = i * stride[0] + dilation[0] * np.arange(kh)
                cols = j * stride[1] + dilation[1] * np.arange(kw)
                patch = x[:, g * c_per_group:(g + 1) * c_per_group][:, :, rows][:, :, :, cols]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return out + (0 if b is None else b[None, :, None, None])


# --------------------------------------------------------------------------- Linear


def test_linear_forward_and_attributes() -> None:
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    x = _x((2, 5, 4)).astype(np.float32)
    expected = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(mt.tensor(x)).detach().numpy(), expected, rtol=1e-5)
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=mt.float64).weight.dtype == mt.float64
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"


def test_linear_default_init_is_uniform_on_one_over_sqrt_fan_in() -> None:
    mt.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)  # uniform: std = b/√3
    assert abs(w.mean()) < 0.01 * bound
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.4 * bound


def test_init_is_repeatable_with_manual_seed() -> None:
    mt.manual_seed(3)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    mt.manual_seed(3)
    b = nn.Linear(5, 5).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- Conv2d and pooling


@pytest.mark.parametrize("kwargs, pad", [
    ({}, (0, 0, 0, 0)),
    ({"stride": 2, "padding": 1}, (1, 1, 1, 1)),
    ({"padding": (2, 1), "dilation": 2}, (2, 2, 1, 1)),
    ({"padding": "same"}, (1, 1, 1, 1)),
    ({"padding": "valid", "bias": False}, (0, 0, 0, 0)),
])
def test_conv2d_matches_direct_convolution(kwargs, pad) -> None:
    layer = nn.Conv2d(4, 6, 3, groups=2, dtype=mt.float64, **kwargs)
    x = _x((2, 4, 7, 6))
    out = layer(mt.tensor(x)).detach().numpy()
    bias = None if layer.bias is None else layer.bias.detach().numpy()
    stride = layer.stride
    expected = _conv_reference(x, layer.weight.detach().numpy(), bias, stride, pad,
                               layer.dilation, groups=2)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_conv2d_same_padding_with_an_even_kernel_and_padding_modes() -> None:
    x = _x((1, 2, 5, 6))
    same = nn.Conv2d(2, 3, (2, 4), padding="same", dtype=mt.float64)
    assert same(mt.tensor(x)).shape == (1, 3, 5, 6)
    reflect = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect", dtype=mt.float64)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode="reflect")
    expected = _conv_reference(padded, reflect.weight.detach().numpy(),
                               reflect.bias.detach().numpy())
    np.testing.assert_allclose(reflect(mt.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    circular = nn.Conv2d(2, 3, 3, padding="same", padding_mode="circular", dtype=mt.float64)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="wrap")
    expected = _conv_reference(padded, circular.weight.detach().numpy(),
                               circular.bias.detach().numpy())
    np.testing.assert_allclose(circular(mt.tensor(x)).detach().numpy(), expected, rtol=1e-10)


def test_conv2d_init_and_argument_errors() -> None:
    mt.manual_seed(1)
    layer = nn.Conv2d(8, 16, 5, groups=2)
    fan_in = 4 * 25
    w = layer.weight.detach().numpy()
    assert w.shape == (16, 4, 5, 5)
    assert np.abs(w).max() <= 1 / math.sqrt(fan_in)
    assert w.std() == pytest.approx(1 / math.sqrt(3 * fan_in), rel=0.05)
    assert np.abs(layer.bias.detach().numpy()).max() <= 1 / math.sqrt(fan_in)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    assert repr(nn.Conv2d(3, 4, 3, padding=1, bias=False)) == (
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")


def test_conv2d_checks_its_sizes_when_built() -> None:
    """The same rules as F.conv2d, reported at construction rather than at the first batch."""
    assert nn.Conv2d(1, 2, [3], stride=(2,)).kernel_size == (3, 3)
    assert nn.Conv2d(1, 2, (3, 1), stride=np.int64(2)).stride == (2, 2)
    with pytest.raises(TypeError, match="Conv2d: kernel_size must be an int or a pair of ints"):
        nn.Conv2d(1, 2, (3, 3, 3))
    with pytest.raises(TypeError, match="Conv2d: stride must be an int or a pair of ints"):
        nn.Conv2d(1, 2, 3, stride=1.5)
    with pytest.raises(RuntimeError, match="Conv2d: kernel_size must be positive"):
        nn.Conv2d(1, 2, 0)
    with pytest.raises(RuntimeError, match="Conv2d: padding must be non-negative"):
        nn.Conv2d(1, 2, 3, padding=(1, -1))


def test_layers_without_inputs_get_a_zero_bias() -> None:
    """fan_in = 0 leaves no range to draw from: the bias is zeros (not uninitialised memory)."""
    for layer in (nn.Linear(0, 4), nn.Conv2d(0, 4, 3)):
        assert layer.bias.tolist() == [0.0] * 4, layer


def test_pooling_modules_match_numpy() -> None:
    x = _x((2, 3, 6, 4))
    windows = x.reshape(2, 3, 3, 2, 2, 2)
    np.testing.assert_allclose(nn.MaxPool2d(2)(mt.tensor(x)).numpy(), windows.max(axis=(3, 5)))
    np.testing.assert_allclose(nn.AvgPool2d(2)(mt.tensor(x)).numpy(), windows.mean(axis=(3, 5)))
    padded = nn.AvgPool2d(3, stride=1, padding=1)(mt.tensor(x)).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    assert padded[0, 0, 0, 0] == pytest.approx(xp[0, 0, :3, :3].sum() / 9)
    out, indices = nn.MaxPool2d(2, return_indices=True)(mt.tensor(x))
    assert indices.shape == out.shape
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert nn.AdaptiveAvgPool2d(1)(mt.tensor(x)).shape == (2, 3, 1, 1)


# --------------------------------------------------------------------------- BatchNorm


def test_batchnorm2d_train_normalises_and_tracks_running_statistics() -> None:
    bn = nn.BatchNorm2d(3, momentum=0.2, dtype=mt.float64)
    batches = [_x((4, 3, 2, 5), seed, 2.0) + seed for seed in range(3)]
    mean_ref, var_ref = np.zeros(3), np.ones(3)
    for x in batches:
        out = bn(mt.tensor(x)).detach().numpy()
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        expected = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
        n = x.size // 3
        mean_ref = 0.8 * mean_ref + 0.2 * mean
        var_ref = 0.8 * var_ref + 0.2 * var * n / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean_ref, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var_ref, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    x = batches[0]
    expected = (x - mean_ref[:, None, None]) / np.sqrt(var_ref[:, None, None] + 1e-5)
    np.testing.assert_allclose(bn(mt.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    assert bn.num_batches_tracked.item() == 3  # eval does not count


def test_batchnorm_cumulative_average_when_momentum_is_none() -> None:
    bn = nn.BatchNorm1d(2, momentum=None, dtype=mt.float64)
    batches = [_x((6, 2), seed) for seed in range(4)]
    for x in batches:
        bn(mt.tensor(x))
    expected = np.mean([x.mean(axis=0) for x in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-12)


def test_batchnorm1d_accepts_2d_and_3d_and_checks_dims() -> None:
    bn = nn.BatchNorm1d(3)
    assert bn(mt.randn(4, 3)).shape == (4, 3)
    assert bn(mt.randn(4, 3, 7)).shape == (4, 3, 7)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(mt.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(mt.randn(4, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(mt.randn(1, 3))


def test_batchnorm_options_and_state() -> None:
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == mt.int64
    assert repr(bn) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    plain = nn.BatchNorm1d(3, affine=False)
    assert list(plain.parameters()) == [] and plain.weight is None
    untracked = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert untracked.running_mean is None
    x = _x((5, 3))
    out = untracked(mt.tensor(x, dtype=mt.float32)).detach().numpy()  # batch stats even in eval
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-6)
    assert nn.BatchNorm1d(3, bias=False).bias is None


# --------------------------------------------------------------------------- Dropout


def test_dropout_module_train_and_eval() -> None:
    mt.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = mt.ones(200, 50)
    out = drop(x).numpy()
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs(out.mean() - 1) < 0.05  # inverted dropout keeps the mean
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"


# --------------------------------------------------------------------------- simple layers


def test_flatten_unflatten_identity() -> None:
    x = mt.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (12, 5))(nn.Flatten(2)(x).reshape(2, 60)).shape == (2, 12, 5)
    assert nn.Identity(54, unused=1)(x) is x


@pytest.mark.parametrize("module, function", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.3), lambda x: np.where(x > 0, x, 0.3 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.GELU(approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
    (nn.Softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
])
def test_activation_modules(module, function) -> None:
    x = _x((3, 4), scale=2.0)
    np.testing.assert_allclose(module(mt.tensor(x)).numpy(), function(x), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- containers


def test_sequential_indexing_slicing_and_growth() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    model.append(nn.Sigmoid())
    assert list(dict(model.named_children())) == ["0", "1", "2", "3"]
    del model[1]
    assert list(dict(model.named_children())) == ["0", "1", "2"]
    model[1] = nn.Linear(3, 2)
    assert model(mt.randn(5, 2)).shape == (5, 2)
    with pytest.raises(IndexError):
        model[7]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert named.fc is named[0] and list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list_registers_its_modules() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.Linear(2, 3))
    layers.extend([nn.ReLU()])
    layers.insert(0, nn.Identity())
    assert len(layers) == 5 and isinstance(layers[0], nn.Identity)
    assert len(list(layers.parameters())) == 6
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    x = mt.randn(1, 2)
    for layer in layers:
        x = layer(x)
    assert x.shape == (1, 3)


def test_module_dict() -> None:
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.Tanh()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [k for k, _ in heads.items()] == ["a", "b", "c"]
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads.pop("a")
    assert list(heads.keys()) == ["b", "c"]


# --------------------------------------------------------------------------- non-Tensor inputs


def test_linear_refuses_a_list_as_pytorch_does() -> None:
    with pytest.raises(TypeError, match=r"^linear\(\): argument 'input' \(position 1\) must be "
                       r"Tensor, not list"):
        nn.Linear(3, 2)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"must be Tensor, not numpy.ndarray"):
        nn.Linear(3, 2)(np.ones(3, np.float32))


@pytest.mark.parametrize("layer, function", [
    (nn.Conv2d(1, 1, 1), "conv2d"),
    (nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), "conv2d"),
    (nn.MaxPool2d(2), "max_pool2d"),
    (nn.AvgPool2d(2), "avg_pool2d"),
    (nn.AdaptiveAvgPool2d(1), "adaptive_avg_pool2d"),
    (nn.ReLU(), "relu"),
    (nn.Softmax(dim=1), "softmax"),
    (nn.Dropout(), "dropout"),
    (nn.Dropout().eval(), "dropout"),
])
@pytest.mark.parametrize("value, kind", [([[[[1.0, 2.0], [3.0, 4.0]]]], "list"),
                                         (np.ones((1, 1, 2, 2), np.float32), "numpy.ndarray")])
def test_layers_refuse_non_tensors(layer, function, value, kind) -> None:
    with pytest.raises(TypeError, match=rf"^{function}\(\): argument 'input' \(position 1\) "
                       rf"must be Tensor, not {kind}"):
        layer(value)


# --------------------------------------------------------------------------- PyTorch parity


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _copy_into_torch(torch, ours, theirs) -> None:
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            theirs.state_dict()[name].copy_(torch.from_numpy(value.numpy().copy()))


def _run_both(torch, ours, theirs, x, steps=1):
    """Forward and backward in both for ``steps`` batches; compare outputs and gradients."""
    _copy_into_torch(torch, ours, theirs)
    for step in range(steps):
        batch = x + step
        out = ours(mt.tensor(batch))
        expected = theirs(torch.tensor(batch))
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(),
                                   rtol=1e-11, atol=1e-12)
        seed = np.random.default_rng(step).standard_normal(tuple(expected.shape))
        ours.zero_grad()
        theirs.zero_grad()
        out.backward(mt.tensor(seed))
        expected.backward(torch.tensor(seed))
        ours_grads = dict(ours.named_parameters())
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(ours_grads[name].grad.numpy(), p.grad.numpy(),
                                       rtol=1e-10, atol=1e-11, err_msg=name)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-12,
                                   err_msg=name)


def test_cnn_matches_torch_given_the_same_weights(torch) -> None:
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(3, 8, 3, padding=1), lib.BatchNorm2d(8), lib.ReLU(), lib.MaxPool2d(2),
            lib.Conv2d(8, 8, 3, padding="valid", groups=2, bias=False),
            lib.GELU(), lib.Conv2d(8, 4, 2, padding="same", padding_mode="replicate"),
            lib.AvgPool2d(2, stride=1), lib.Flatten(), lib.Linear(4, 5), lib.BatchNorm1d(5),
            lib.LeakyReLU(0.1), lib.Linear(5, 3),
        ).double()

    ours, theirs = build(nn), build(torch.nn)
    _run_both(torch, ours, theirs, _x((4, 3, 8, 8)), steps=2)
    ours.eval()
    theirs.eval()
    _run_both(torch, ours, theirs, _x((2, 3, 8, 8), 1))


def test_mlp_with_dropout_in_eval_and_momentum_none_matches_torch(torch) -> None:
    def build(lib):
        return lib.Sequential(lib.Linear(6, 8), lib.BatchNorm1d(8, momentum=None), lib.Tanh(),
                              lib.Dropout(0.5), lib.Linear(8, 4), lib.ELU(),
                              lib.Softplus(beta=2.0), lib.LogSoftmax(dim=1)).double()

    ours, theirs = build(nn), build(torch.nn)
    ours[3].eval()
    theirs[3].eval()
    _run_both(torch, ours, theirs, _x((5, 6)), steps=3)


def test_float32_layers_match_torch(torch) -> None:
    mt.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 6 * 6, 3))
    _copy_into_torch(torch, ours, theirs)
    x = _x((2, 1, 8, 8)).astype(np.float32)
    out = ours(mt.tensor(x))
    assert out.dtype == mt.float32
    np.testing.assert_allclose(out.detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_hessian_vector_product_through_a_network_matches_torch(torch) -> None:
    """Double backward through Linear, GELU, BatchNorm and cross-entropy (what Hessian tools
    such as mt.landscape need)."""
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    w1, b1 = rng.standard_normal((4, 3)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((3, 4)), rng.standard_normal(3)
    v = [rng.standard_normal(a.shape) for a in (w1, b1, w2, b2)]

    def loss_of(lib, functional, tensor, target):
        def loss(w1, b1, w2, b2):
            h = functional.linear(tensor, w1, b1)
            h = functional.batch_norm(h, None, None, training=True)
            h = functional.gelu(h)
            out = functional.linear(h, w2, b2)
            return functional.cross_entropy(out, target, label_smoothing=0.1)
        return loss

    import torch.nn.functional as TF

    import microtensor.nn.functional as F

    params = [w1, b1, w2, b2]
    _, ours = mt.autograd.functional.hvp(
        loss_of(mt, F, mt.tensor(x), mt.tensor(t)),
        tuple(mt.tensor(p, dtype=mt.float64) for p in params),
        tuple(mt.tensor(a, dtype=mt.float64) for a in v))
    _, theirs = torch.autograd.functional.hvp(
        loss_of(torch, TF, torch.tensor(x), torch.tensor(t)),
        tuple(torch.tensor(p) for p in params), tuple(torch.tensor(a) for a in v))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("value", [[1.0, 2.0, 3.0], np.ones(3, np.float32)])
def test_linear_layer_type_error_matches_torch(torch, value) -> None:
    with pytest.raises(TypeError) as expected:
        torch.nn.Linear(3, 2)(value)
    with pytest.raises(TypeError, match=re.escape(str(expected.value))):
        nn.Linear(3, 2)(value)
