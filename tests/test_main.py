"""Tests of the command line demo, ``python -m skdeepens demo``."""

import csv

import pytest

from skdeepens.__main__ import _FIGURES, main


@pytest.mark.slow
def test_demo_quick_writes_figures_and_table(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    for name in _FIGURES:
        assert (out / name).stat().st_size > 1000, name
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 11  # 8 regression experiments, 2 with priors, the spirals
    assert {r["loss"] for r in rows[:10]} == {"gaussian_nll", "laplace_nll"}
    assert sorted({r["n_estimators"] for r in rows[:10]}) == ["1", "5"]
    assert [r["prior_scale"] != "" for r in rows[:10]] == [False] * 8 + [True] * 2
    assert float(rows[-1]["accuracy"]) > 0.5
    for row in rows[:8]:
        assert 0 <= float(row["coverage95_inside"]) <= 1
    printed = capsys.readouterr().out
    assert "aleatoric" in printed and "epistemic" in printed
    assert "coverage95_inside" in printed
    assert str(out) in printed


def test_demo_needs_a_command():
    with pytest.raises(SystemExit):
        main([])
