"""Property-based hardening: random bad and extreme input thrown at both estimators.

Every call either raises ValueError or TypeError whose message names one of the
problems the drawn input has, or returns finite output of the documented shape.
Each drawn problem carries the words an error about it may use ("NaN",
"magnitude", the parameter's name...); an error on an input with no problem, or
with a message naming none of its problems, fails the test, as does a NaN, an
infinity or a wrong shape in the output.

The examples are derandomised and few; the drawn shapes are kept to a handful of
compiled training programs (rows 9-16 share one batch width), so the module runs in
seconds.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor

SETTINGS = dict(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BASE = dict(
    n_estimators=2,
    max_iter=3,
    hidden_layer_sizes=(4,),
    early_stopping=False,
    n_iter_no_change=np.inf,
    random_state=0,
)
# Ordinary values are drawn most often (repeated entries), so that most examples fit
# and the prediction methods are exercised too.
MAGNITUDES = [1.0, 1.0, 1.0, 1e-300, 1e-20, 1e20, 1e120, 1e200, 1e300]
SPECIAL_CELLS = [np.nan, np.inf, -np.inf, 1e200, -1e300, 0.0]


class Problems:
    """The words an error may use, one entry per problem the input has."""

    def __init__(self):
        self.words = []

    def add(self, *words):
        self.words.append(words)

    def check(self, exc):
        """An error is acceptable when it names one of the problems."""
        message = str(exc).lower()
        named = any(w.lower() in message for words in self.words for w in words)
        if not isinstance(exc, (ValueError, TypeError)) or not named:
            raise AssertionError(
                f"{type(exc).__name__}: {exc!s} does not name any of the input's "
                f"problems {self.words}"
            ) from exc


def _describe(values, name, problems):
    """Record the problems found in numeric ``values`` (after any cast)."""
    if values.dtype.kind not in "biufO":
        return
    values = values.astype(np.float64)
    if np.isnan(values).any():
        problems.add("NaN")
    if np.isinf(values).any():
        problems.add("infinity", "inf")
    elif np.any(np.abs(values) > 1e150):
        problems.add("magnitude")


@st.composite
def matrices(draw, n_rows, n_columns, name, problems):
    """Random values of random magnitude and dtype, maybe with one special cell."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = rng.normal(size=(n_rows, n_columns)) * draw(st.sampled_from(MAGNITUDES))
    if draw(st.integers(0, 3)) == 0:
        cell = (draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_columns - 1)))
        values[cell] = draw(st.sampled_from(SPECIAL_CELLS))
    dtype = draw(st.sampled_from(["float64"] * 4 + ["float32", "int64", "object"]))
    if dtype == "int64":
        values = np.round(rng.normal(size=values.shape) * 3).astype(np.int64)
    else:
        with np.errstate(over="ignore"):
            values = values.astype(dtype)
    _describe(values, name, problems)
    return values


@st.composite
def sample_weights(draw, n_rows, problems):
    kind = draw(
        st.sampled_from(
            ["none", "uniform"] * 4
            + ["ones", "zeros", "negative", "nan", "huge", "tiny", "length"]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    weights = {
        "none": None,
        "ones": np.ones(n_rows),
        "uniform": rng.uniform(0, 3, size=n_rows),
        "zeros": np.zeros(n_rows),
        "negative": -np.ones(n_rows),
        "nan": np.full(n_rows, np.nan),
        "huge": np.full(n_rows, 1e300),
        "tiny": np.full(n_rows, 1e-45),
        "length": np.ones(n_rows + 1),
    }[kind]
    problems.add(
        *{
            "zeros": ("non-zero", "positive"),
            "negative": ("negative",),
            "nan": ("NaN",),
            "huge": ("float32",),
            "tiny": ("float32", "positive"),
            "length": ("sample_weight", "inconsistent", "samples"),
        }.get(kind, ())
    )
    return weights


@st.composite
def fit_problems(draw, classifier):
    problems = Problems()
    n_rows = draw(st.sampled_from(list(range(9, 17)) + [1]))
    if n_rows < 2:
        problems.add("sample")
    n_features = draw(st.sampled_from([1, 3]))
    X = draw(matrices(n_rows, n_features, "X", problems))
    if classifier:
        kind = draw(
            st.sampled_from(["int", "str", "bool"] * 3 + ["mixed", "one", "float"])
        )
        labels = np.arange(n_rows) % draw(st.sampled_from([2, 3]))
        y = {
            "int": labels,
            "str": np.array(["cat", "dog", "eel"])[labels],
            "bool": labels == 0,
            "mixed": np.array([("a" if v else 1) for v in labels], dtype=object),
            "one": np.zeros(n_rows, dtype=int),
            "float": labels + 0.5,
        }[kind]
        words = {"mixed": ("mixes",), "one": ("class",), "float": ("label",)}
        problems.add(*words.get(kind, ()))
        estimator = DeepEnsembleClassifier(**BASE)
    else:
        n_outputs = draw(st.sampled_from([1, 2]))
        y = draw(matrices(n_rows, n_outputs, "y", problems))
        y = y[:, 0] if n_outputs == 1 else y
        if y.dtype.kind == "f" and np.all(np.isfinite(y.astype(np.float64))):
            spread = np.std(y.astype(np.float64) / np.max(np.abs(y) + 1e-320), axis=0)
            if np.any(spread * np.max(np.abs(y)) < 1e-150):
                problems.add("underflow")
        if draw(st.integers(0, 5)) == 0:
            y = y.astype(str)
            problems.add("numeric")
        loss = draw(st.sampled_from(["gaussian_nll", "squared_error"]))
        estimator = DeepEnsembleRegressor(**BASE, loss=loss)
    weights = draw(sample_weights(max(n_rows, 1), problems))
    if n_rows < 2 and weights is not None:
        problems.add("sample_weight")
    return estimator, X, y, weights, problems


@st.composite
def predict_inputs(draw, n_features):
    """Rows to predict at: maybe far away, maybe non-finite, maybe the wrong width."""
    problems = Problems()
    width = draw(st.sampled_from([n_features] * 4 + [n_features + 1]))
    if width != n_features:
        problems.add("features")
    n_rows = draw(st.integers(1, 5))
    X = draw(matrices(n_rows, width, "X", problems))
    if np.any(np.abs(X.astype(np.float64, copy=False)) > 1e20):
        # Far from the training data: outputs or their squares may overflow.
        problems.add("overflows")
    problems.words = [w for w in problems.words if w != ("magnitude",)]
    return X, problems


def _finite(*arrays):
    for a in arrays:
        assert np.all(np.isfinite(a)), a


def _check_regressor(reg, X, n_outputs):
    shape = (len(X),) if n_outputs == 1 else (len(X), n_outputs)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == shape and std.shape == shape
    _finite(mean, std)
    assert np.all(std >= 0)
    u = reg.predict_uncertainty(X)
    for key in u:
        assert u[key].shape == shape
        _finite(u[key])
    if reg.loss in ("gaussian_nll", "laplace_nll"):
        dist = reg.predict_dist(X)
        _finite(dist.mean(), dist.std(), *dist.interval(0.9))
        assert dist.std().shape == shape


def _check_classifier(clf, X):
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    _finite(proba, clf.predict_log_proba(X))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isin(clf.predict(X), clf.classes_).all()
    u = clf.predict_uncertainty(X)
    for key in ("total", "aleatoric", "epistemic"):
        assert u[key].shape == (len(X),)
        _finite(u[key])


def _attempt(problems, call):
    """Run ``call``; True if it returned, False if it raised an acceptable error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - checked by Problems.check
        problems.check(exc)
        event(f"raised {type(exc).__name__}: {str(exc)[:40]}")
        return False
    event("returned")
    return True


@pytest.mark.slow
@pytest.mark.parametrize("classifier", [False, True], ids=["regressor", "classifier"])
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_fit_and_predict_either_raise_clearly_or_return_finite(classifier, data):
    estimator, X, y, weights, problems = data.draw(fit_problems(classifier))
    if not _attempt(problems, lambda: estimator.fit(X, y, sample_weight=weights)):
        return
    n_features = X.shape[1]
    n_outputs = 1 if classifier or np.ndim(y) == 1 else y.shape[1]
    X_new, new_problems = data.draw(predict_inputs(n_features))
    for rows, rows_problems in [(X, Problems()), (X_new, new_problems)]:
        # Predicting at the training inputs raises only for overflow.
        rows_problems.add("overflows")
        if classifier:
            _attempt(rows_problems, lambda r=rows: _check_classifier(estimator, r))
        else:
            _attempt(
                rows_problems, lambda r=rows: _check_regressor(estimator, r, n_outputs)
            )
    score = []
    if _attempt(Problems(), lambda: score.append(estimator.score(X, y, weights))):
        assert np.isfinite(score[0])


# Parameter values: valid ones (few, so that few programs are compiled) and invalid
# ones, each invalid value expected to be named by the parameter's name.
PARAMETERS = {
    "n_estimators": ([1, 2], [0, -1, True, 2.5, "2", None]),
    "hidden_layer_sizes": ([(4,), 4], [(0,), (True,), (4.5,), "4", (-2,), None]),
    "activation": (["relu", "tanh"], ["bogus", None]),
    "alpha": ([0.0, 1e-4, 1.0], [-1.0, np.nan, True, "1"]),
    "batch_size": (["auto", 4], [0, True, "big", 2.5]),
    "learning_rate_init": ([1e-3, 1e-2], [0.0, -1.0, np.nan, True]),
    "max_iter": ([1, 3], [0, True, 2.5, None]),
    "n_iter_no_change": ([np.inf, 2, "auto"], [0, -1, True, "never"]),
    "tol": ([0.0, 1e-4], [-1.0, np.nan, True]),
    "adversarial_epsilon": ([None, 0.0], [-0.1, np.nan, True, "0.1"]),
    "shuffle": ([True, False], ["no", 1]),
    "warm_start": ([False, True], ["yes"]),
    "random_state": ([0, None], [-1, "seed"]),
}


@st.composite
def parameter_sets(draw):
    params, problems = {}, Problems()
    for name in draw(
        st.lists(st.sampled_from(sorted(PARAMETERS)), max_size=3, unique=True)
    ):
        valid, invalid = PARAMETERS[name]
        if draw(st.booleans()):
            params[name] = draw(st.sampled_from(invalid))
            problems.add(name)
        else:
            params[name] = draw(st.sampled_from(valid))
    return params, problems


@pytest.mark.slow
@pytest.mark.parametrize("Estimator", [DeepEnsembleRegressor, DeepEnsembleClassifier])
@settings(max_examples=30, **SETTINGS)
@given(drawn=parameter_sets())
def test_parameter_values_either_raise_naming_them_or_fit(Estimator, drawn):
    params, problems = drawn
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = X[:, 0] if Estimator is DeepEnsembleRegressor else X[:, 0] > 0
    estimator = Estimator(**{**BASE, **params})
    if not _attempt(problems, lambda: estimator.fit(X, y)):
        return
    assert not problems.words, f"{params} were accepted"
    if Estimator is DeepEnsembleRegressor:
        _check_regressor(estimator, X, 1)
    else:
        _check_classifier(estimator, X)
