"""benchmarks/bench_product_order.py prints both orders of Linear's product and marks where
microtensor swaps them: with the AVX-512 kernels assumed, the marks follow the rule of
``ops/blas._swap_operands`` (nothing here is timed: 2 calls per cell)."""

from __future__ import annotations

from microtensor.ops import blas
from tests.test_bench_programs import _load

order = _load("bench_product_order")


def _marked_rows(output: str) -> dict[tuple[int, int], list[int]]:
    """(features, outputs) -> the row counts marked with * in the printed table."""
    table = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[1] == "->":
            cells = parts[3:]  # "rows" "ratio[*]" pairs
            table[int(parts[0]), int(parts[2])] = [
                int(rows) for rows, ratio in zip(cells[::2], cells[1::2]) if ratio.endswith("*")]
    return table


def test_the_marks_follow_the_rule(monkeypatch, capsys, restore_policy):
    monkeypatch.setattr(blas, "_blas_has_avx512_kernels", lambda: True)
    order.main(["--repeats", "2"])
    marked = _marked_rows(capsys.readouterr().out)
    assert set(marked) == set(order.SHAPES)
    assert marked[784, 256] == [8, 16, 32, 64]  # 2 rows: small-matrix kernel; 128: too many
    assert marked[3072, 512] == [2, 8, 16, 32, 64]  # 2 rows of a big weight: above it
    assert marked[128, 64] == marked[256, 10] == []  # small weights
    monkeypatch.setattr(blas, "_blas_has_avx512_kernels", lambda: False)
    order.main(["--repeats", "2"])
    assert not any(_marked_rows(capsys.readouterr().out).values())
