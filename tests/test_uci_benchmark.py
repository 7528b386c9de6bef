"""Smoke test of benchmarks/uci.py on tiny synthetic data in the standard layout."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "uci.py"


@pytest.fixture(scope="module")
def uci():
    spec = importlib.util.spec_from_file_location("uci_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_dataset(folder, n_samples=60, n_features=3, n_splits=2, seed=0):
    """A data set in the standard 20-split layout (here with n_splits splits)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = 10.0 + 3.0 * X[:, 0] + rng.normal(scale=0.5, size=n_samples)
    folder.mkdir(parents=True)
    np.savetxt(folder / "data.txt", np.column_stack([X, y]))
    np.savetxt(folder / "index_features.txt", np.arange(n_features), fmt="%d")
    np.savetxt(folder / "index_target.txt", [n_features], fmt="%d")
    (folder / "n_splits.txt").write_text(f"{n_splits}\n")
    for k in range(n_splits):
        order = rng.permutation(n_samples)
        n_test = n_samples // 10
        np.savetxt(folder / f"index_train_{k}.txt", order[n_test:], fmt="%d")
        np.savetxt(folder / f"index_test_{k}.txt", order[:n_test], fmt="%d")


@pytest.fixture
def data_home(tmp_path):
    _write_dataset(tmp_path / "uci" / "yacht")
    return tmp_path / "uci"


def test_make_estimator_configs(uci):
    paper = uci.make_estimator("paper", seed=3)
    assert paper.max_iter == 40 and paper.n_iter_no_change == np.inf
    assert paper.batch_size == 100 and paper.learning_rate_init == 1e-3
    assert paper.random_state == 3
    assert uci.make_estimator("single", seed=0).n_estimators == 1
    assert uci.make_estimator("adversarial", seed=0).adversarial_epsilon == 0.01
    tuned = uci.make_estimator("tuned", seed=0)
    assert set(tuned.param_grid) >= {
        "n_estimators",
        "adversarial_epsilon",
        "hidden_layer_sizes",
        "alpha",
    }
    overridden = uci.make_estimator("default", seed=0, overrides={"alpha": 0.5})
    assert overridden.alpha == 0.5
    with pytest.raises(ValueError, match="config must be one of"):
        uci.make_estimator("nope", seed=0)


@pytest.mark.slow
def test_run_summary_table_and_csv(uci, data_home, tmp_path, capsys):
    # One batch width for every fit, so that the trainer compiles once.
    overrides = {
        "n_estimators": 2,
        "max_iter": 3,
        "hidden_layer_sizes": (8,),
        "batch_size": 16,
    }
    results = uci.run(
        ["yacht"], ["paper"], data_home=data_home, n_splits=2, overrides=overrides
    )
    (config, rows, summary) = results[0]
    assert config == "paper" and len(rows) == 2
    for row in rows:
        assert np.isfinite([row[m] for m in uci.METRICS]).all()
        assert row["rmse"] > 0 and 0 <= row["coverage_95"] <= 1
    (entry,) = summary
    assert entry["n_splits"] == 2
    assert entry["nll_mean"] == pytest.approx(np.mean([r["nll"] for r in rows]))
    printed = capsys.readouterr().out
    assert "yacht split  1" in printed and "total wall time" in printed
    assert "1.18 / 1.58" in uci.format_table(summary, "paper")
    peers = uci.format_peers(summary)
    assert "NGBoost" in peers and "-0.40 / 0.43" in peers

    path = uci.write_csv(tmp_path / "out" / "uci.csv", rows, summary, overrides)
    with path.open() as handle:
        kinds = [r["kind"] for r in csv.DictReader(handle)]
    assert kinds == ["split", "split", "summary"]


@pytest.mark.slow
def test_main_tuned(uci, data_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        uci,
        "TUNED_GRID",
        {
            "n_estimators": [2],
            "adversarial_epsilon": [None, 0.01],
            "max_iter": [2],
            "learning_rate_init": [1e-3],
        },
    )
    out = tmp_path / "tuned.csv"
    code = uci.main(
        [
            "--data-home",
            str(data_home),
            "--datasets",
            "yacht",
            "--splits",
            "1",
            "--configs",
            "tuned",
            "--set",
            "hidden_layer_sizes=(8,)",
            "--set",
            "batch_size=16",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert "adversarial_epsilon" in rows[0]["best_params"]
    assert "paper's DE" in capsys.readouterr().out
