"""1-d, transposed and resampling convolution ops and layers (issue 14, part 3).

Forward values against plain NumPy references (here and in ``GRADCHECK_CASES``), gradients by
gradcheck (and gradgradcheck for the ops built from differentiable compositions), layers'
shapes, state_dict keys (recorded from PyTorch 2.13), initialisation and errors. Parity with
PyTorch is in the golden groups ``conv2*`` (tests/golden/cases_conv2.py); the few direct
comparisons here use ``pytest.importorskip("torch")``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from microtensor.ops import conv_plain as P
from tests.gradcheck_cases import Case

# --------------------------------------------------------------------------- NumPy references


def conv_transpose2d_reference(x, w, b=None, stride=(1, 1), padding=(0, 0),
                               output_padding=(0, 0), groups=1, dilation=(1, 1)):
    """Every input pixel times the whole kernel, added into the output (one offset a time)."""
    n, c_in, h, wd = x.shape
    _, c_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    out_h = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    out_w = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    full = np.zeros((n, c_group * groups, out_h + 2 * ph + sh, out_w + 2 * pw + sw))
    in_group = c_in // groups
    for g in range(groups):
        xs = x[:, g * in_group:(g + 1) * in_group]
        ws = w[g * in_group:(g + 1) * in_group]
        for i in range(kh):
            for j in range(kw):
                contribution = np.einsum("nchw,co->nohw", xs, ws[:, :, i, j])
                full[:, g * c_group:(g + 1) * c_group,
                     i * dh: i * dh + sh * h: sh, j * dw: j * dw + sw * wd: sw] += contribution
    out = full[:, :, ph: ph + out_h, pw: pw + out_w]
    return out if b is None else out + b[:, None, None]


def unfold_reference(x, k, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    xpad = P.pad(x, (padding[0], padding[0], padding[1], padding[1]))
    cols = P.im2col(xpad, k, stride, dilation)  # (C, kH, kW, N, Ho, Wo)
    c, kh, kw, n, ho, wo = cols.shape
    return cols.reshape(c * kh * kw, n, ho * wo).transpose(1, 0, 2)


def fold_reference(cols, size, k, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    n, rows, _ = cols.shape
    c = rows // (k[0] * k[1])
    padded = (n, c, size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    ho = P.output_size(padded[2], k[0], stride[0], dilation[0])
    wo = P.output_size(padded[3], k[1], stride[1], dilation[1])
    grad_cols = cols.reshape(n, c, k[0], k[1], ho, wo).transpose(1, 2, 3, 0, 4, 5)
    xpad = P.col2im(grad_cols, padded, stride, dilation)
    return P.unpad(xpad, (padding[0], padding[0], padding[1], padding[1]))


def linear_reference(x, out, align_corners):
    """Linear interpolation of the last dim, from the textbook formula."""
    n = x.shape[-1]
    dst = np.arange(out)
    if align_corners:
        src = dst * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        src = np.maximum((dst + 0.5) * n / out - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(int), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    return x[..., i0] * (1 - lam) + x[..., i1] * lam


def adaptive_reference(x, out, reduce):
    n = x.shape[-1]
    parts = [reduce(x[..., (i * n) // out: -((-(i + 1) * n) // out)], axis=-1)
             for i in range(out)]
    return np.stack(parts, axis=-1)


def pixel_shuffle_reference(x, r):
    n, c, h, w = x.shape
    out = np.empty((n, c // (r * r), h * r, w * r))
    for i in range(r):
        for j in range(r):
            out[:, :, i::r, j::r] = x[:, i * r + j::r * r]
    return out


def pixel_unshuffle_reference(x, r):
    n, c, h, w = x.shape
    out = np.empty((n, c * r * r, h // r, w // r))
    for i in range(r):
        for j in range(r):
            out[:, i * r + j::r * r] = x[:, :, i::r, j::r]
    return out


def unpool_reference(x, index, size):
    n, c = x.shape[:2]
    out = np.zeros((n, c, size[0] * size[1]))
    np.put_along_axis(out, index.reshape(n, c, -1), x.reshape(n, c, -1), axis=-1)
    return out.reshape(n, c, *size)


INDEX = mt.tensor([[[[0, 3], [9, 14]], [[1, 2], [12, 15]]]])  # (1, 2, 2, 2) in a 4x4 plane

GRADCHECK_CASES = [
    Case("conv_transpose2d_all_args",
         lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2, (1, 2)),
         [(2, 4, 3, 4), (4, 2, 3, 2), (4,)], double=False,
         reference=lambda x, w, b: conv_transpose2d_reference(x, w, b, (2, 2), (1, 1), (1, 1), 2,
                                                               (1, 2))),
    Case("conv_transpose2d_outpad_by_dilation",
         lambda x, w: F.conv_transpose2d(x, w, stride=1, dilation=3, output_padding=2),
         [(1, 2, 3, 3), (2, 3, 2, 2)], double=False,
         reference=lambda x, w: conv_transpose2d_reference(x, w, None, (1, 1), (0, 0), (2, 2), 1,
                                                            (3, 3))),
    Case("conv_transpose1d_unbatched", lambda x, w: F.conv_transpose1d(x, w, stride=3),
         [(2, 4), (2, 3, 2)], double=False,
         reference=lambda x, w: conv_transpose2d_reference(
             x[None, :, None], w[:, :, None], stride=(1, 3))[0, :, 0]),
    Case("conv1d_groups_dilation", lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2),
         [(2, 4, 9), (4, 2, 3), (4,)], double=False,
         reference=lambda x, w, b: P.conv2d_forward(x[:, :, None], w[:, :, None], b, (1, 2),
                                                    (0, 0, 1, 1), (1, 2), 2)[:, :, 0]),
    Case("unfold_all_args", lambda x: F.unfold(x, (2, 3), (2, 1), 1, (2, 1)), [(2, 2, 5, 6)],
         reference=lambda x: unfold_reference(x, (2, 3), (2, 1), (1, 1), (2, 1))),
    Case("fold_overlapping", lambda c: F.fold(c, (5, 6), (2, 3), padding=1, stride=(2, 1)),
         [(2, 12, 18)],
         reference=lambda c: fold_reference(c, (5, 6), (2, 3), padding=(1, 1), stride=(2, 1))),
    Case("max_pool1d_overlapping", lambda x: F.max_pool1d(x, 3, 2, 1), [(2, 2, 9)],
         double=False, distinct=True,
         reference=lambda x: P.max_pool2d_forward(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0]),
    Case("avg_pool1d_exclude_pad", lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
         [(2, 2, 8)], double=False,
         reference=lambda x: P.avg_pool2d_forward(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                                  count_include_pad=False)[:, :, 0]),
    Case("adaptive_avg_pool1d_uneven", lambda x: F.adaptive_avg_pool1d(x, 4), [(2, 3, 7)],
         reference=lambda x: adaptive_reference(x, 4, np.mean)),
    Case("adaptive_max_pool1d_uneven", lambda x: F.adaptive_max_pool1d(x, 3), [(2, 3, 7)],
         distinct=True, reference=lambda x: adaptive_reference(x, 3, np.max)),
    Case("adaptive_max_pool2d_uneven", lambda x: F.adaptive_max_pool2d(x, (2, 3)),
         [(1, 2, 5, 7)], distinct=True,
         reference=lambda x: adaptive_reference(
             adaptive_reference(x.swapaxes(-1, -2), 2, np.max).swapaxes(-1, -2), 3, np.max)),
    Case("interpolate_linear", lambda x: F.interpolate(x, size=11, mode="linear"), [(2, 3, 6)],
         reference=lambda x: linear_reference(x, 11, False)),
    Case("interpolate_bilinear_aligned",
         lambda x: F.interpolate(x, size=(4, 7), mode="bilinear", align_corners=True),
         [(1, 2, 3, 5)],
         reference=lambda x: linear_reference(
             linear_reference(x, 7, True).swapaxes(-1, -2), 4, True).swapaxes(-1, -2)),
    Case("interpolate_nearest", lambda x: F.interpolate(x, scale_factor=2), [(1, 2, 3, 2)],
         reference=lambda x: x.repeat(2, axis=-1).repeat(2, axis=-2)),
    Case("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), [(2, 8, 2, 3)],
         reference=lambda x: pixel_shuffle_reference(x, 2)),
    Case("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), [(1, 2, 4, 6)],
         reference=lambda x: pixel_unshuffle_reference(x, 2)),
    Case("max_unpool2d", lambda x: F.max_unpool2d(x, INDEX, 2), [(1, 2, 2, 2)],
         reference=lambda x: unpool_reference(x, INDEX.numpy(), (4, 4))),
]


# --------------------------------------------------------------------------- functional forms


def _random(*shape, seed=0):
    return mt.tensor(np.random.default_rng(seed).standard_normal(shape))


def test_conv1d_is_conv2d_on_a_height_one_image():
    x, w, b = _random(2, 3, 10), _random(4, 3, 3, seed=1), _random(4, seed=2)
    ours = F.conv1d(x, w, b, stride=2, padding=1)
    image = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), b, stride=(1, 2), padding=(0, 1))
    np.testing.assert_allclose(ours.numpy(), image.squeeze(2).numpy(), rtol=1e-14)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv2d(y, w), x> = <y, conv_transpose2d(x, w)> for every x and y."""
    x, w, y = _random(2, 4, 4, 5), _random(4, 3, 3, 3, seed=1), _random(2, 3, 7, 9, seed=2)
    forward = F.conv2d(y, w, stride=2, padding=1)
    backward = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=(0, 0))
    assert backward.shape == y.shape
    np.testing.assert_allclose((forward * x).sum().item(), (y * backward).sum().item(),
                               rtol=1e-12)


def test_fold_is_the_adjoint_of_unfold():
    x, c = _random(2, 3, 5, 6), _random(2, 3 * 4, 12, seed=1)
    lhs = (F.unfold(x, 2, padding=1, stride=2) * c).sum().item()
    rhs = (x * F.fold(c, (5, 6), 2, padding=1, stride=2)).sum().item()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_fold_of_unfold_counts_the_blocks_covering_each_pixel():
    ones = mt.ones(1, 1, 3, 3, dtype=mt.float64)
    counts = F.fold(F.unfold(ones, 2), (3, 3), 2)
    np.testing.assert_array_equal(counts.numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_unfold_and_fold_support_double_backward():
    x = _random(1, 2, 4, 4).requires_grad_()
    assert mt.autograd.gradgradcheck(lambda t: F.unfold(t, 2, stride=2) ** 3, (x,))


def test_transposed_conv_refuses_double_backward_clearly():
    x = _random(1, 2, 3, 3).requires_grad_()
    w = _random(2, 2, 2, 2, seed=1).requires_grad_()
    with pytest.raises(NotImplementedError, match="first-order gradients only"):
        mt.autograd.grad(F.conv_transpose2d(x, w).sum(), (x,), create_graph=True)


def test_interpolate_nearest_uses_float32_source_indices():
    # 1/3.3 in float32: output 9 of 33 reads floor(9 * 0.3030303) = 2
    x = mt.tensor(np.arange(10.0).reshape(1, 1, 10))
    out = F.interpolate(x, scale_factor=3.3).numpy()[0, 0]
    assert out.shape == (33,)
    assert out[9] == 2.0 and out[-1] == 9.0


def test_interpolate_area_is_adaptive_average():
    x = _random(2, 3, 7, 9)
    np.testing.assert_allclose(F.interpolate(x, size=(3, 4), mode="area").numpy(),
                               F.adaptive_avg_pool2d(x, (3, 4)).numpy(), rtol=1e-13)


def test_adaptive_avg_pool_keeps_an_infinity_in_its_own_window():
    x = mt.tensor([[[1.0, np.inf, 2.0, 3.0, 4.0]]])
    out = F.adaptive_avg_pool1d(x, 2).numpy()  # windows [0, 3) and [2, 5)
    assert out[0, 0, 0] == np.inf and out[0, 0, 1] == 3.0


def test_adaptive_max_pool2d_indices_point_at_the_maxima():
    x = _random(2, 3, 7, 5)
    values, indices = F.adaptive_max_pool2d(x, (3, 2), return_indices=True)
    assert indices.dtype == mt.int64 and indices.shape == (2, 3, 3, 2)
    flat = x.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.numpy().reshape(2, 3, -1),
                                                     -1).reshape(2, 3, 3, 2), values.numpy())


def test_max_unpool_puts_values_back_after_max_pool():
    x = _random(2, 3, 4, 6)
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    restored = F.max_unpool2d(values, indices, 2)
    kept = restored.numpy() != 0
    np.testing.assert_array_equal(restored.numpy()[kept], x.numpy()[kept])
    assert kept.sum() == values.numel()


def test_pixel_unshuffle_undoes_pixel_shuffle():
    x = _random(2, 3, 8, 6)
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2).numpy(),
                                  x.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.conv1d(_random(5), _random(4, 1, 3)), RuntimeError, "2D"),
    (lambda: F.conv1d(_random(1, 2, 5), _random(4, 2, 3), stride=(1, 2)), RuntimeError,
     "single integer"),
    (lambda: F.conv_transpose2d(_random(1, 2, 5, 5), _random(2, 3, 3, 3), padding="same"),
     TypeError, "padding"),
    (lambda: F.conv_transpose2d(_random(1, 2, 5, 5), _random(2, 3, 3, 3), stride=2,
                                output_padding=2), RuntimeError, "output padding"),
    (lambda: F.fold(_random(1, 7, 16), (5, 5), 2), RuntimeError, "divisible"),
    (lambda: F.unfold(mt.ones(1, 2, 4, 4, dtype=mt.int64), 2), NotImplementedError, "int64"),
    (lambda: F.interpolate(_random(1, 2, 5, 5), size=3, mode="bicubic"), NotImplementedError,
     "bicubic"),
    (lambda: F.interpolate(_random(1, 2, 5, 5), size=3, antialias=True), NotImplementedError,
     "antialias"),
    (lambda: F.max_unpool2d(_random(1, 1, 2, 2), mt.tensor([[[[0, 1], [2, 16]]]]), 2),
     RuntimeError, "invalid max index: 16"),
    (lambda: F.pixel_shuffle(_random(1, 6, 2, 2), 2), RuntimeError, "divisible"),
    (lambda: F.adaptive_max_pool1d(_random(1, 2, 5), (2, 2)), RuntimeError, "one int"),
    (lambda: F.dropout1d(_random(1, 2, 3, 4), 0.5), RuntimeError, "2D or 3D"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- layers

# recorded from PyTorch 2.13: {name: (state_dict keys, shapes)}
PYTORCH_STATE = {
    "ConvTranspose2d(4, 6, 3, groups=2)": (["weight", "bias"], [(4, 3, 3, 3), (6,)]),
    "Conv1d(4, 6, 3, groups=2)": (["weight", "bias"], [(6, 2, 3), (6,)]),
    "ConvTranspose1d(4, 6, 3, bias=False)": (["weight"], [(4, 6, 3)]),
}


@pytest.mark.parametrize("spec", sorted(PYTORCH_STATE))
def test_state_dict_keys_and_shapes_match_pytorch(spec):
    layer = eval("nn." + spec)
    keys, shapes = PYTORCH_STATE[spec]
    state = layer.state_dict()
    assert list(state) == keys
    assert [tuple(v.shape) for v in state.values()] == shapes


@pytest.mark.parametrize("layer", [nn.Unfold(2), nn.Fold((4, 4), 2), nn.MaxPool1d(3),
                                   nn.AvgPool1d(3), nn.AdaptiveMaxPool2d(3),
                                   nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(3),
                                   nn.MaxUnpool2d(2), nn.PixelShuffle(2), nn.PixelUnshuffle(2),
                                   nn.Upsample(scale_factor=2), nn.Dropout1d(), nn.Dropout2d(),
                                   nn.AlphaDropout(), nn.FeatureAlphaDropout()],
                         ids=lambda m: type(m).__name__)
def test_layers_without_parameters_have_an_empty_state(layer):
    assert layer.state_dict() == {} and list(layer.parameters()) == []


def test_reprs_match_pytorch():
    assert repr(nn.ConvTranspose2d(4, 6, 3, groups=2)) == (
        "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1), groups=2)")
    assert repr(nn.Conv1d(4, 6, 3, groups=2)) == (
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), groups=2)")
    assert repr(nn.ConvTranspose1d(4, 6, 3, bias=False)) == (
        "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,), bias=False)")
    assert repr(nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, padding_mode="circular")) \
        == ("Conv1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), "
            "padding_mode=circular)")
    assert repr(nn.MaxPool1d(3)) == (
        "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.MaxUnpool2d(2)) == (
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))")
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=3, mode="bilinear", align_corners=True)) == (
        "Upsample(size=3, mode='bilinear')")
    assert repr(nn.Dropout2d(0.2)) == "Dropout2d(p=0.2, inplace=False)"
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"


def test_transposed_layer_initialisation_uses_fan_in_of_weight_dim_1():
    mt.manual_seed(0)
    layer = nn.ConvTranspose2d(8, 4, 3, groups=2)  # weight (8, 2, 3, 3): fan_in = 2·9 = 18
    bound = 1 / math.sqrt(18)
    assert layer.weight.shape == (8, 2, 3, 3)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() > 0.8 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_conv_transpose_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1)
    x = _random(1, 2, 4, 5).float()
    assert layer(x).shape == (1, 3, 10, 13)
    assert layer(x, output_size=(12, 14)).shape == (1, 3, 12, 14)
    assert layer(x, output_size=[1, 3, 11, 15]).shape == (1, 3, 11, 15)
    with pytest.raises(ValueError, match="valid sizes range from"):
        layer(x, output_size=(13, 13))
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")


def test_conv1d_layer_padding_modes_pad_first():
    layer = nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular")
    x = _random(1, 2, 5).float()
    expected = F.conv1d(F.pad(x, [1, 1], mode="circular"), layer.weight, layer.bias)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    same = nn.Conv1d(2, 3, 4, padding="same", padding_mode="reflect")
    assert same(x).shape == (1, 3, 5)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(2, 3, 3, stride=2, padding="same")


def test_pooling_and_resampling_layers_call_their_functions():
    x = _random(2, 4, 6, 8)
    np.testing.assert_array_equal(nn.Upsample(size=(3, 5), mode="bilinear")(x).numpy(),
                                  F.interpolate(x, size=(3, 5), mode="bilinear").numpy())
    values, indices = nn.AdaptiveMaxPool2d((2, 3), return_indices=True)(x)
    assert values.shape == indices.shape == (2, 4, 2, 3)
    pooled, where = nn.MaxPool1d(2, return_indices=True)(x[:, :, 0])
    assert nn.MaxUnpool2d((1, 2))(pooled.unsqueeze(2), where.unsqueeze(2)).shape == (2, 4, 1, 8)
    assert nn.AvgPool1d(3, 1, 1)(x[:, :, 0]).shape == (2, 4, 8)
    assert nn.AdaptiveAvgPool1d(3)(x[:, :, 0]).shape == (2, 4, 3)
    assert nn.PixelUnshuffle(2)(x).shape == (2, 16, 3, 4)
    assert nn.Fold((6, 8), 2)(nn.Unfold(2)(x)).shape == x.shape


def test_channel_dropout_zeroes_whole_channels_and_rescales():
    mt.manual_seed(0)
    x = mt.ones(8, 16, 5, 5, dtype=mt.float64)
    out = nn.Dropout2d(0.25)(x).numpy()
    per_channel = out.reshape(8, 16, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # constant per channel
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    assert 0.1 < (per_channel[..., 0] == 0).mean() < 0.4
    unbatched = F.dropout1d(mt.ones(64, 7), 0.5).numpy()
    assert (unbatched.min(-1) == unbatched.max(-1)).all()
    layer = nn.Dropout1d(0.5).eval()
    assert layer(x[:, :, 0]) is x[:, :, 0] or np.array_equal(layer(x[:, :, 0]).numpy(),
                                                             x[:, :, 0].numpy())


def test_dropout2d_on_3d_input_warns_as_pytorch():
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        F.dropout2d(mt.ones(2, 3, 4), 0.5)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    mt.manual_seed(0)
    x = _random(200_000)
    out = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha**2 * 0.3 + 1) * 0.7)
    dropped = np.isclose(out, -alpha * a * 0.7)
    assert 0.28 < dropped.mean() < 0.32
    np.testing.assert_allclose(out[~dropped], a * x.numpy()[~dropped] + alpha * a * 0.3)
    assert F.alpha_dropout(x, 0.3) is x  # PyTorch's default: training=False


def test_alpha_dropout_gradient_is_the_scaled_mask():
    mt.manual_seed(1)
    x = _random(1000).requires_grad_()
    out = F.alpha_dropout(x, 0.5, training=True)
    out.sum().backward()
    a = 1 / math.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    assert set(np.round(np.unique(x.grad.numpy()), 12)) == {0.0, round(a, 12)}


def test_conv_layers_match_pytorch_on_the_same_weights():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 6))
    ours = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, dtype=mt.float64)
    theirs = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2,
                                      dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    np.testing.assert_allclose(ours(mt.tensor(x), output_size=(10, 12)).detach().numpy(),
                               theirs(torch.tensor(x), output_size=(10, 12)).detach().numpy(),
                               rtol=1e-12, atol=1e-13)
    ours1 = nn.Conv1d(4, 2, 3, padding=2, padding_mode="reflect", dtype=mt.float64)
    theirs1 = torch.nn.Conv1d(4, 2, 3, padding=2, padding_mode="reflect", dtype=torch.float64)
    with torch.no_grad():
        theirs1.weight.copy_(torch.tensor(ours1.weight.detach().numpy()))
        theirs1.bias.copy_(torch.tensor(ours1.bias.detach().numpy()))
    np.testing.assert_allclose(ours1(mt.tensor(x[:, :, 0])).detach().numpy(),
                               theirs1(torch.tensor(x[:, :, 0])).detach().numpy(), rtol=1e-12)


# (function, call with the non-tensor v, argument, position): the F functions of this family;
# tests/test_nn_functional.py checks that every function of F is in some such list
NON_TENSOR_CALLS = [
    ("adaptive_avg_pool1d", lambda v: F.adaptive_avg_pool1d(v, 2), "input", 1),
    ("adaptive_max_pool1d", lambda v: F.adaptive_max_pool1d(v, 2), "input", 1),
    ("adaptive_max_pool2d", lambda v: F.adaptive_max_pool2d(v, 2), "input", 1),
    ("alpha_dropout", lambda v: F.alpha_dropout(v, 0.5, True), "input", 1),
    ("avg_pool1d", lambda v: F.avg_pool1d(v, 2), "input", 1),
    ("conv1d", lambda v: F.conv1d(v, mt.zeros(3, 2, 3)), "input", 1),
    ("conv_transpose1d", lambda v: F.conv_transpose1d(v, mt.zeros(2, 3, 3)), "input", 1),
    ("conv_transpose2d", lambda v: F.conv_transpose2d(v, mt.zeros(4, 3, 3, 3)), "input", 1),
    ("dropout1d", lambda v: F.dropout1d(v, 0.5), "input", 1),
    ("dropout2d", lambda v: F.dropout2d(v, 0.5), "input", 1),
    ("feature_alpha_dropout", lambda v: F.feature_alpha_dropout(v, 0.5, True), "input", 1),
    ("fold", lambda v: F.fold(v, (4, 4), 2), "input", 1),
    ("interpolate", lambda v: F.interpolate(v, scale_factor=2), "input", 1),
    ("max_pool1d", lambda v: F.max_pool1d(v, 2), "input", 1),
    ("max_unpool2d", lambda v: F.max_unpool2d(v, mt.zeros(1, 4, 2, 2, dtype=mt.int64), 2),
     "input", 1),
    ("pixel_shuffle", lambda v: F.pixel_shuffle(v, 2), "input", 1),
    ("pixel_unshuffle", lambda v: F.pixel_unshuffle(v, 2), "input", 1),
    ("unfold", lambda v: F.unfold(v, 2), "input", 1),
]


@pytest.mark.parametrize("value, kind", [([[1.0, 2.0], [3.0, 4.0]], "list"),
                                         (np.zeros((2, 3)), "numpy.ndarray"), (1.5, "float")])
@pytest.mark.parametrize("name, call, argument, position", NON_TENSOR_CALLS,
                         ids=[c[0] for c in NON_TENSOR_CALLS])
def test_functions_refuse_non_tensors(name, call, argument, position, value, kind) -> None:
    """PyTorch's TypeError for a list, an array or a number where a Tensor belongs."""
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position "
                       rf"{position}\) must be Tensor, not {kind}"):
        call(value)
