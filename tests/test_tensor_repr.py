"""The repr of a Tensor is PyTorch's, character for character (the expected strings were printed
by torch 2.13 for the same tensors, with ``torch.`` read as ``microtensor.``; see
``microtensor/tensor_repr.py`` for the rules), and ``set_printoptions`` changes it as PyTorch's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import microtensor as mt
from microtensor.tensor_repr import get_printoptions, printoptions

inf, nan = float("inf"), float("nan")

# (expression, what PyTorch prints)
PYTORCH_REPRS = [
    ('mt.tensor([True, True])',
     'tensor([True, True])'),
    ('mt.tensor([True, False])',
     'tensor([ True, False])'),
    ('mt.tensor(True)',
     'tensor(True)'),
    ('mt.tensor([1, 2, 3])',
     'tensor([1, 2, 3])'),
    ('mt.tensor([-100, 2, 3000000])',
     'tensor([   -100,       2, 3000000])'),
    ('mt.tensor(5)',
     'tensor(5)'),
    ('mt.tensor(2.5)',
     'tensor(2.5000)'),
    ('mt.tensor(3.0)',
     'tensor(3.)'),
    ('mt.tensor([1.0, 2.0])',
     'tensor([1., 2.])'),
    ('mt.tensor([1.5, -2.25])',
     'tensor([ 1.5000, -2.2500])'),
    ('mt.tensor([0.0, -0.0])',
     'tensor([0., -0.])'),
    ('mt.tensor(-0.0)',
     'tensor(-0.)'),
    ('mt.tensor([1e-5, 1.0])',
     'tensor([1.0000e-05, 1.0000e+00])'),
    ('mt.tensor([1e9, 1.0])',
     'tensor([1.0000e+09, 1.0000e+00])'),
    ('mt.tensor([123456789.0])',
     'tensor([1.2346e+08])'),
    ('mt.tensor([nan, 1.0])',
     'tensor([nan, 1.])'),
    ('mt.tensor([inf, -inf, 2.5])',
     'tensor([   inf,   -inf, 2.5000])'),
    ('mt.tensor([nan])',
     'tensor([nan])'),
    ('mt.tensor([nan, 1e10, 1.5])',
     'tensor([       nan, 1.0000e+10, 1.5000e+00])'),
    ('mt.tensor(nan)',
     'tensor(nan)'),
    ('mt.tensor(1e20)',
     'tensor(1.0000e+20)'),
    ('mt.tensor([12345.678, 0.5])',
     'tensor([1.2346e+04, 5.0000e-01])'),
    ('mt.tensor([1.0, 2.0], dtype=mt.float64)',
     'tensor([1., 2.], dtype=microtensor.float64)'),
    ('mt.tensor([1, 2], dtype=mt.int32)',
     'tensor([1, 2], dtype=microtensor.int32)'),
    ('mt.tensor([1.5, 2.0], dtype=mt.float16)',
     'tensor([1.5000, 2.0000], dtype=microtensor.float16)'),
    ('mt.tensor([1.0, 2.0], requires_grad=True)',
     'tensor([1., 2.], requires_grad=True)'),
    ('mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)',
     'tensor([1., 2.], dtype=microtensor.float64, requires_grad=True)'),
    ('mt.zeros(0, 3)',
     'tensor([], size=(0, 3))'),
    ('mt.zeros(0)',
     'tensor([])'),
    ('mt.zeros(0, dtype=mt.int64)',
     'tensor([], dtype=microtensor.int64)'),
    ('mt.zeros(2, 0, dtype=mt.bool)',
     'tensor([], size=(2, 0), dtype=microtensor.bool)'),
    ('mt.tensor([[]])',
     'tensor([], size=(1, 0))'),
    ('mt.arange(20).float() / 7',
     'tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n'
     '        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n'
     '        2.5714, 2.7143])'),
    ('mt.arange(20).float()',
     'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n'
     '        14., 15., 16., 17., 18., 19.])'),
    ('mt.arange(2000).float()',
     'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n'
     '        1.9990e+03])'),
    ('mt.arange(2000)',
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('mt.arange(2000).reshape(40, 50).float() / 3',
     'tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 1.5667e+01, 1.6000e+01,\n'
     '         1.6333e+01],\n'
     '        [1.6667e+01, 1.7000e+01, 1.7333e+01,  ..., 3.2333e+01, 3.2667e+01,\n'
     '         3.3000e+01],\n'
     '        [3.3333e+01, 3.3667e+01, 3.4000e+01,  ..., 4.9000e+01, 4.9333e+01,\n'
     '         4.9667e+01],\n'
     '        ...,\n'
     '        [6.1667e+02, 6.1700e+02, 6.1733e+02,  ..., 6.3233e+02, 6.3267e+02,\n'
     '         6.3300e+02],\n'
     '        [6.3333e+02, 6.3367e+02, 6.3400e+02,  ..., 6.4900e+02, 6.4933e+02,\n'
     '         6.4967e+02],\n'
     '        [6.5000e+02, 6.5033e+02, 6.5067e+02,  ..., 6.6567e+02, 6.6600e+02,\n'
     '         6.6633e+02]])'),
    ('mt.arange(1001).float() * 1000',
     'tensor([      0.,    1000.,    2000.,  ...,  998000.,  999000., 1000000.])'),
    ('mt.arange(3000).reshape(10, 10, 30)',
     'tensor([[[   0,    1,    2,  ...,   27,   28,   29],\n'
     '         [  30,   31,   32,  ...,   57,   58,   59],\n'
     '         [  60,   61,   62,  ...,   87,   88,   89],\n'
     '         ...,\n'
     '         [ 210,  211,  212,  ...,  237,  238,  239],\n'
     '         [ 240,  241,  242,  ...,  267,  268,  269],\n'
     '         [ 270,  271,  272,  ...,  297,  298,  299]],\n'
     '\n'
     '        [[ 300,  301,  302,  ...,  327,  328,  329],\n'
     '         [ 330,  331,  332,  ...,  357,  358,  359],\n'
     '         [ 360,  361,  362,  ...,  387,  388,  389],\n'
     '         ...,\n'
     '         [ 510,  511,  512,  ...,  537,  538,  539],\n'
     '         [ 540,  541,  542,  ...,  567,  568,  569],\n'
     '         [ 570,  571,  572,  ...,  597,  598,  599]],\n'
     '\n'
     '        [[ 600,  601,  602,  ...,  627,  628,  629],\n'
     '         [ 630,  631,  632,  ...,  657,  658,  659],\n'
     '         [ 660,  661,  662,  ...,  687,  688,  689],\n'
     '         ...,\n'
     '         [ 810,  811,  812,  ...,  837,  838,  839],\n'
     '         [ 840,  841,  842,  ...,  867,  868,  869],\n'
     '         [ 870,  871,  872,  ...,  897,  898,  899]],\n'
     '\n'
     '        ...,\n'
     '\n'
     '        [[2100, 2101, 2102,  ..., 2127, 2128, 2129],\n'
     '         [2130, 2131, 2132,  ..., 2157, 2158, 2159],\n'
     '         [2160, 2161, 2162,  ..., 2187, 2188, 2189],\n'
     '         ...,\n'
     '         [2310, 2311, 2312,  ..., 2337, 2338, 2339],\n'
     '         [2340, 2341, 2342,  ..., 2367, 2368, 2369],\n'
     '         [2370, 2371, 2372,  ..., 2397, 2398, 2399]],\n'
     '\n'
     '        [[2400, 2401, 2402,  ..., 2427, 2428, 2429],\n'
     '         [2430, 2431, 2432,  ..., 2457, 2458, 2459],\n'
     '         [2460, 2461, 2462,  ..., 2487, 2488, 2489],\n'
     '         ...,\n'
     '         [2610, 2611, 2612,  ..., 2637, 2638, 2639],\n'
     '         [2640, 2641, 2642,  ..., 2667, 2668, 2669],\n'
     '         [2670, 2671, 2672,  ..., 2697, 2698, 2699]],\n'
     '\n'
     '        [[2700, 2701, 2702,  ..., 2727, 2728, 2729],\n'
     '         [2730, 2731, 2732,  ..., 2757, 2758, 2759],\n'
     '         [2760, 2761, 2762,  ..., 2787, 2788, 2789],\n'
     '         ...,\n'
     '         [2910, 2911, 2912,  ..., 2937, 2938, 2939],\n'
     '         [2940, 2941, 2942,  ..., 2967, 2968, 2969],\n'
     '         [2970, 2971, 2972,  ..., 2997, 2998, 2999]]])'),
    ('mt.arange(100).reshape(10, 10) > 50',
     'tensor([[False, False, False, False, False, False, False, False, False, False],\n'
     '        [False, False, False, False, False, False, False, False, False, False],\n'
     '        [False, False, False, False, False, False, False, False, False, False],\n'
     '        [False, False, False, False, False, False, False, False, False, False],\n'
     '        [False, False, False, False, False, False, False, False, False, False],\n'
     '        [False,  True,  True,  True,  True,  True,  True,  True,  True,  True],\n'
     '        [ True,  True,  True,  True,  True,  True,  True,  True,  True,  True],\n'
     '        [ True,  True,  True,  True,  True,  True,  True,  True,  True,  True],\n'
     '        [ True,  True,  True,  True,  True,  True,  True,  True,  True,  True],\n'
     '        [ True,  True,  True,  True,  True,  True,  True,  True,  True,  True]])'),
    ('mt.arange(24).reshape(2, 3, 4)',
     'tensor([[[ 0,  1,  2,  3],\n'
     '         [ 4,  5,  6,  7],\n'
     '         [ 8,  9, 10, 11]],\n'
     '\n'
     '        [[12, 13, 14, 15],\n'
     '         [16, 17, 18, 19],\n'
     '         [20, 21, 22, 23]]])'),
    ('mt.arange(24).reshape(2, 3, 4).float() / 5',
     'tensor([[[0.0000, 0.2000, 0.4000, 0.6000],\n'
     '         [0.8000, 1.0000, 1.2000, 1.4000],\n'
     '         [1.6000, 1.8000, 2.0000, 2.2000]],\n'
     '\n'
     '        [[2.4000, 2.6000, 2.8000, 3.0000],\n'
     '         [3.2000, 3.4000, 3.6000, 3.8000],\n'
     '         [4.0000, 4.2000, 4.4000, 4.6000]]])'),
    ('mt.arange(1, 40).float() * 1e-5',
     'tensor([1.0000e-05, 2.0000e-05, 3.0000e-05, 4.0000e-05, 5.0000e-05, 6.0000e-05,\n'
     '        7.0000e-05, 8.0000e-05, 9.0000e-05, 1.0000e-04, 1.1000e-04, 1.2000e-04,\n'
     '        1.3000e-04, 1.4000e-04, 1.5000e-04, 1.6000e-04, 1.7000e-04, 1.8000e-04,\n'
     '        1.9000e-04, 2.0000e-04, 2.1000e-04, 2.2000e-04, 2.3000e-04, 2.4000e-04,\n'
     '        2.5000e-04, 2.6000e-04, 2.7000e-04, 2.8000e-04, 2.9000e-04, 3.0000e-04,\n'
     '        3.1000e-04, 3.2000e-04, 3.3000e-04, 3.4000e-04, 3.5000e-04, 3.6000e-04,\n'
     '        3.7000e-04, 3.8000e-04, 3.9000e-04])'),
    ('mt.arange(1100).float() - 500.5',
     'tensor([-500.5000, -499.5000, -498.5000,  ...,  596.5000,  597.5000,\n'
     '         598.5000])'),
    ('mt.ones(3, 1, 2)',
     'tensor([[[1., 1.]],\n'
     '\n'
     '        [[1., 1.]],\n'
     '\n'
     '        [[1., 1.]]])'),
]

# (options, expression, what PyTorch prints with them)
WITH_OPTIONS = [
    ({'precision': 2}, 'mt.arange(20).float() / 7',
     'tensor([0.00, 0.14, 0.29, 0.43, 0.57, 0.71, 0.86, 1.00, 1.14, 1.29, 1.43, 1.57,\n'
     '        1.71, 1.86, 2.00, 2.14, 2.29, 2.43, 2.57, 2.71])'),
    ({'threshold': 5}, 'mt.arange(10)',
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    ({'edgeitems': 1, 'threshold': 5}, 'mt.arange(24).reshape(2, 3, 4)',
     'tensor([[[ 0,  ...,  3],\n'
     '         ...,\n'
     '         [ 8,  ..., 11]],\n'
     '\n'
     '        [[12,  ..., 15],\n'
     '         ...,\n'
     '         [20,  ..., 23]]])'),
    ({'linewidth': 40}, 'mt.arange(20).float() / 7',
     'tensor([0.0000, 0.1429, 0.2857, 0.4286,\n'
     '        0.5714, 0.7143, 0.8571, 1.0000,\n'
     '        1.1429, 1.2857, 1.4286, 1.5714,\n'
     '        1.7143, 1.8571, 2.0000, 2.1429,\n'
     '        2.2857, 2.4286, 2.5714, 2.7143])'),
    ({'profile': 'short'}, 'mt.arange(2000).float() / 3',
     'tensor([0.00e+00, 3.33e-01,  ..., 6.66e+02, 6.66e+02])'),
    ({'sci_mode': True}, 'mt.tensor([1.5, 2.0])',
     'tensor([1.5000e+00, 2.0000e+00])'),
    ({'sci_mode': False}, 'mt.tensor([1e-5, 1.0])',
     'tensor([0.0000, 1.0000])'),
    ({'precision': 6, 'sci_mode': True}, 'mt.tensor([0.1, 2.0])',
     'tensor([1.000000e-01, 2.000000e+00])'),
]

@pytest.fixture(autouse=True)
def default_printoptions() -> Iterator[None]:
    yield
    mt.set_printoptions(profile="default")


@pytest.mark.parametrize(("expression", "expected"), PYTORCH_REPRS)
def test_repr_is_pytorchs(expression: str, expected: str) -> None:
    tensor = eval(expression, {"mt": mt, "inf": inf, "nan": nan})
    assert repr(tensor) == expected
    assert str(tensor) == expected


@pytest.mark.parametrize(("options", "expression", "expected"), WITH_OPTIONS)
def test_set_printoptions_as_pytorch(options: dict, expression: str, expected: str) -> None:
    mt.set_printoptions(**options)
    assert repr(eval(expression, {"mt": mt})) == expected


def test_grad_fn_suffix_names_the_node() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward>)"


def test_long_suffixes_go_to_a_new_line() -> None:
    x = mt.arange(9, dtype=mt.float64).reshape(1, 9).requires_grad_() * 1.5
    assert repr(x) == (
        'tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
        '         12.0000]], dtype=microtensor.float64, grad_fn=<MulBackward>)')


def test_suffixes_wrap_at_the_line_width() -> None:
    x = mt.arange(8, dtype=mt.float64).reshape(1, 8).requires_grad_()
    assert repr(x * 1.5) == (
        "tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000]],\n"
        "       dtype=microtensor.float64, grad_fn=<MulBackward>)")
    assert repr(x) == ("tensor([[0., 1., 2., 3., 4., 5., 6., 7.]], dtype=microtensor.float64,\n"
                       "       requires_grad=True)")


def test_a_summarised_print_formats_only_the_shown_elements() -> None:
    # 1e-8 is hidden by the "...": the shown elements choose fixed notation
    values = mt.ones(2000)
    values[1000] = 1e-8
    assert repr(values) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


def test_printoptions_profiles_and_context() -> None:
    mt.set_printoptions(profile="short")
    assert get_printoptions()["precision"] == 2
    mt.set_printoptions(profile="full")
    assert "..." not in repr(mt.arange(1200))
    mt.set_printoptions(profile="default")
    assert "..." in repr(mt.arange(1200))
    with printoptions(precision=1):
        assert repr(mt.tensor([1.25, 2.0])) == "tensor([1.2, 2.0])"
    assert repr(mt.tensor([1.25, 2.0])) == "tensor([1.2500, 2.0000])"
    with pytest.raises(ValueError, match="profile"):
        mt.set_printoptions(profile="long")


def test_sci_mode_is_reset_by_every_call_as_in_pytorch() -> None:
    mt.set_printoptions(sci_mode=True)
    mt.set_printoptions(precision=4)  # sci_mode not given: back to None (PyTorch does so)
    assert repr(mt.tensor([1.5])) == "tensor([1.5000])"


def test_dtype_prints_as_numpy_names_it() -> None:
    assert str(mt.zeros(1).dtype) == "float32"
    assert repr(mt.zeros(2).shape) == "microtensor.Size([2])"
