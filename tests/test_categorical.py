"""Raw DataFrames: categorical columns, unknown categories and missing values.

``categorical_features`` with HistGradientBoosting's meaning, the encoding of
:mod:`skdeepens._ensemble._encoding` (fitted once, plain NumPy state), and its
wiring through fit, prediction, validation sets, warm starts and partial_fit.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
from _helpers import QUICK, QUICK_CLASSIFIER, QUICK_SMALL
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._ensemble import _encoding
from skdeepens._ensemble._docs import _COMMON_PARAMETERS_DOC

pd = pytest.importorskip("pandas")

N_ROWS = 200
# Each category's effect on the regression target: far apart, so that a
# category the fit never saw cannot hide among them.
EFFECTS = {"a": -10.0, "b": 0.0, "c": 10.0, "d": 20.0}


def _frame(n=N_ROWS, seed=0):
    """A raw frame: a string column, a category column, a float column with NaN."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "shop": rng.choice(list(EFFECTS), size=n),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], size=n)),
            "price": rng.normal(size=n),
        }
    )
    frame.loc[frame.index[::10], "price"] = np.nan
    target = (
        frame["shop"].map(EFFECTS).to_numpy()
        + np.nan_to_num(frame["price"].to_numpy())
        + 0.5 * rng.normal(size=n)
    )
    return frame, target


def _labels(frame):
    return np.where(frame["shop"].isin(["a", "b"]), "low", "high")


def _make(kind, **params):
    if kind == "regressor":
        return DeepEnsembleRegressor(**{**QUICK, **params})
    return DeepEnsembleClassifier(**{**QUICK_CLASSIFIER, **params})


def _target(kind, frame, y):
    return y if kind == "regressor" else _labels(frame)


def _outputs(estimator, X):
    if isinstance(estimator, DeepEnsembleRegressor):
        return estimator.predict(X)
    return estimator.predict_proba(X)


def _assert_params_equal(a, b):
    for (wa, ba), (wb, bb) in zip(a.params_, b.params_):
        assert_array_equal(wa, wb)
        assert_array_equal(ba, bb)


@pytest.fixture(scope="module")
def frame():
    return _frame()


@pytest.fixture(scope="module", params=["regressor", "classifier"])
def fitted(request, frame):
    X, y = frame
    return _make(request.param).fit(X, _target(request.param, X, y))


# ------------------------------------------------------------------ fit, predict


def test_a_raw_dataframe_fits_and_predicts(fitted, frame):
    X, _ = frame
    encoding = fitted._encoding
    assert_array_equal(encoding.categorical, [True, True, False])
    assert fitted.n_features_in_ == 3
    assert_array_equal(fitted.feature_names_in_, ["shop", "size", "price"])
    # price, its missing indicator, 4 shops + unknown, 3 sizes + unknown.
    assert encoding.n_encoded == 1 + 1 + 5 + 4
    assert fitted.params_[0][0].shape[1] == encoding.n_encoded
    assert_array_equal(encoding.numeric_columns, [True] + [False] * 10)
    out = _outputs(fitted, X)
    assert out.shape[0] == len(X) and np.all(np.isfinite(out))
    if isinstance(fitted, DeepEnsembleClassifier):
        assert set(fitted.predict(X)) <= {"low", "high"}
        assert np.mean(fitted.predict(X) == _labels(X)) > 0.9


def test_the_users_dataframe_is_unchanged(frame):
    X, y = frame
    before = X.copy(deep=True)
    reg = _make("regressor", n_estimators=2, max_iter=5).fit(X, y)
    reg.predict(X)
    pd.testing.assert_frame_equal(X, before)


def test_an_unseen_category_predicts_as_the_unknown_code(fitted, frame):
    X, _ = frame
    rows = X.iloc[[0] * 4].copy()
    rows["shop"] = ["never seen", "also new", None, np.nan]
    out = _outputs(fitted, rows)
    assert np.all(np.isfinite(out))
    # Every unknown value is the one unknown code: the same prediction.
    for other in out[1:]:
        np.testing.assert_array_equal(other, out[0])
    encoded = fitted._encode(fitted._validate_inputs(rows, reset=False))
    unknown = fitted._encoding.unknown_columns[0]
    assert_array_equal(encoded[:, unknown], 1.0)
    assert np.all(encoded[:, unknown - 4 : unknown] == 0.0)


def test_a_rare_category_is_merged_into_the_unknown_code():
    X, y = _frame()
    X = X.copy()
    X.loc[X.index[:3], "shop"] = "rare"  # fewer rows than MIN_CATEGORY_COUNT
    reg = _make("regressor", n_estimators=2, max_iter=5).fit(X, y)
    assert "rare" not in reg._encoding.categories[0].tolist()
    rows = X.iloc[[0, 0]].copy()
    rows["shop"] = ["rare", "never seen"]
    mean = reg.predict(rows)
    assert mean[0] == mean[1]


def test_missing_values_are_a_category_when_frequent_in_training():
    X, y = _frame()
    X = X.copy()
    X.loc[X.index[:20], "shop"] = None
    reg = _make("regressor", n_estimators=2, max_iter=5).fit(X, y)
    assert reg._encoding.missing_category[0]
    rows = X.iloc[[0, 0, 0]].copy()
    rows["shop"] = [None, np.nan, "never seen"]
    encoded = reg._encode(reg._validate_inputs(rows, reset=False))
    missing_column = reg._encoding.unknown_columns[0] - 1
    assert_array_equal(encoded[:, missing_column], [1.0, 1.0, 0.0])


def test_a_numpy_array_is_bit_identical_to_no_categorical_features(frame):
    X, y = frame
    X = X[["price"]].fillna(0.0).assign(other=np.arange(len(X)) / len(X))
    array = X.to_numpy()
    default = _make("regressor").fit(array, y)
    off = _make("regressor", categorical_features=None).fit(array, y)
    numeric_frame = _make("regressor").fit(X, y)
    _assert_params_equal(default, off)
    _assert_params_equal(default, numeric_frame)
    assert default._encoding.passthrough
    assert_array_equal(default.predict(array), off.predict(array))


def test_masks_indices_and_names_select_the_same_columns():
    X, y = _frame()
    # An integer-coded category is numeric to "from_dtype".
    X = X.assign(shop=X["shop"].map({"a": 0, "b": 1, "c": 2, "d": 3}))
    fits = [
        _make("regressor", categorical_features=spec, n_estimators=2).fit(X, y)
        for spec in ([True, True, False], [0, 1], [0, -2], ["shop", "size"])
    ]
    for fit in fits:
        assert_array_equal(fit._encoding.categorical, [True, True, False])
        _assert_params_equal(fit, fits[0])
    from_dtype = _make("regressor", n_estimators=2).fit(X, y)
    assert_array_equal(from_dtype._encoding.categorical, [False, True, False])
    # A mask on a NumPy array selects columns too (here, a float column).
    array = X[["shop", "price"]].to_numpy()
    reg = _make("regressor", categorical_features=[True, False], n_estimators=2)
    reg.fit(array, y)
    assert reg._encoding.categories[0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_the_estimators_take_and_clone_the_parameter():
    reg = DeepEnsembleRegressor(categorical_features=["a"])
    assert clone(reg).categorical_features == ["a"]
    assert DeepEnsembleClassifier().get_params()["categorical_features"] == (
        "from_dtype"
    )


# ------------------------------------------------------------------ missing values


def test_numeric_nan_takes_the_weighted_median_and_an_indicator():
    X = np.array([[1.0, 0.0], [2.0, 1.0], [np.nan, 2.0], [10.0, 3.0], [4.0, 4.0]])
    weights = np.array([1.0, 1.0, 1.0, 3.0, 0.0])
    encoding = _encoding.fit_encoding(X, np.zeros(2, bool), weights)
    # Observed values of positive weight: 1, 2 (weight 1 each) and 10 (weight 3).
    assert encoding.medians[0] == 10.0
    assert_array_equal(encoding.missing_indicator, [True, False])
    assert_array_equal(encoding.numeric_columns, [True, True, False])
    encoded = _encoding.encode(encoding, X)
    assert_array_equal(encoded[:, 0], [1.0, 2.0, 10.0, 10.0, 4.0])
    assert_array_equal(encoded[:, 2], [0.0, 0.0, 1.0, 0.0, 0.0])
    assert_array_equal(encoded[:, 1], X[:, 1])
    assert np.isnan(X[2, 0])  # the input is not modified


def test_nan_at_predict_in_a_column_without_training_nan_takes_the_median():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] - X[:, 1]
    reg = _make("regressor", **{**QUICK_SMALL}).fit(X, y)
    assert reg._encoding.passthrough
    median = reg._encoding.medians
    assert median[0] == np.sort(X[:, 0])[29]
    rows = np.array([[np.nan, 0.5], [median[0], 0.5]])
    mean = reg.predict(rows)
    assert mean[0] == mean[1]


def test_a_numpy_array_with_nan_fits_with_an_indicator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] - X[:, 1]
    X[::5, 1] = np.nan
    reg = _make("regressor", **QUICK_SMALL).fit(X, y)
    assert reg.params_[0][0].shape[1] == 3
    assert np.all(np.isfinite(reg.predict(X)))
    assert np.isnan(X).sum() == 12  # the caller's NaN are still there


@pytest.mark.parametrize("categorical", [False, True])
def test_infinity_still_raises(categorical):
    X, y = _frame(n=40)
    X = X.assign(price=X["price"].fillna(0.0))
    if not categorical:
        X = X[["price"]]
    bad = X.copy()
    bad.loc[bad.index[3], "price"] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _make("regressor", n_estimators=2, max_iter=2).fit(bad, y)
    reg = _make("regressor", n_estimators=2, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="infinity"):
        reg.predict(bad)


# ------------------------------------------------------------------ unknown rows


def test_unknown_rows_are_a_seeded_share_of_the_rows_of_positive_weight():
    values = np.array([["a", "x"], ["b", "y"]] * 50, dtype=object)
    weights = np.ones(100)
    weights[:10] = 0.0
    encoding = _encoding.fit_encoding(values, np.ones(2, bool), weights)
    encoded = _encoding.encode(encoding, values)
    assert_array_equal(encoded[:, encoding.unknown_columns], 0.0)

    def draw(seed):
        return _encoding.with_unknown_rows(
            encoding, encoded, weights, np.random.default_rng(seed)
        )

    replaced = draw(0)
    assert_array_equal(replaced, draw(0))
    assert not np.array_equal(replaced, draw(1))
    assert_array_equal(encoded[:, encoding.unknown_columns], 0.0)  # not modified
    expected = int(np.ceil(_encoding.UNKNOWN_FRACTION * 90))
    for unknown in encoding.unknown_columns:
        rows = np.flatnonzero(replaced[:, unknown])
        assert len(rows) == expected and np.all(rows >= 10)
        # The whole block of those rows is the unknown code, nothing else.
        assert_array_equal(replaced[rows, unknown - 2 : unknown], 0.0)
    # Every row still has exactly one active code per column.
    assert_array_equal(replaced.sum(axis=1), 2.0)


class _Stop(Exception):
    """Raised by a spy to end a fit once it has seen what it needs."""


def test_held_out_rows_keep_their_categories(monkeypatch):
    X, y = _frame()
    X = X.assign(price=X["price"].fillna(0.0))[["shop", "price"]]
    seen = {}

    def spy(self, init, rngs, X, T, weights, validation, **kwargs):
        seen["train"], seen["stopping"] = X, validation[0]
        raise _Stop

    monkeypatch.setattr(DeepEnsembleRegressor, "_train", spy)
    reg = _make("regressor", early_stopping=True, calibration=None)
    with pytest.raises(_Stop):
        reg.fit(X, y)
    unknown = 1 + 4  # price, then shops a-d: no shop is rare here
    train, stopping = seen["train"][:, unknown], seen["stopping"][:, unknown]
    # Only the training rows are given the unknown code (a value apart from
    # the standardised zero every other row has).
    assert len(np.unique(stopping)) == 1
    assert len(np.unique(train)) == 2


def test_a_validation_frame_with_a_new_category_is_encoded_as_unknown(frame):
    X, y = frame
    X_val = X.iloc[:20].copy()
    X_val["shop"] = "never seen"
    reg = _make("regressor", early_stopping=True, n_estimators=2, max_iter=5)
    reg.fit(X, y, X_val=X_val, y_val=y[:20])
    assert np.all(np.isfinite(reg.validation_loss_curve_))
    with pytest.raises(ValueError, match="Invalid validation set.*feature names"):
        reg.fit(X, y, X_val=X_val.rename(columns={"shop": "store"}), y_val=y[:20])


def test_unseen_categories_have_bounded_means():
    """Issue 19, item 3: a category the fit never saw gets no extreme mean."""
    X, y = _frame(n=400)
    reg = _make("regressor", max_iter=100).fit(X, y)
    rows = X.iloc[:50].copy()
    rows["shop"] = [f"new {i}" for i in range(len(rows))]
    mean = reg.predict(rows)
    margin = 3 * np.std(y)
    assert np.all(mean > y.min() - margin) and np.all(mean < y.max() + margin)
    # The unknown code learnt the column's average effect (5 here), not one
    # category's (with a single unknown row, it lands near shop "d"'s 20).
    effects = np.array(list(EFFECTS.values()))
    assert abs(np.mean(mean) - effects.mean()) < 0.25 * np.ptp(effects)


def _sales(n=500, seed=0):
    """House sales: a city (one missing), a kind, an area with gaps; prices."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "city": rng.choice(["Lyon", "Nantes", "Paris"], size=n),
            "kind": pd.Categorical(rng.choice(["flat", "house"], size=n)),
            "area": rng.uniform(20, 200, size=n).round(),
            "year": rng.integers(2020, 2024, size=n),
        }
    )
    log_price = (
        8
        + 0.9 * np.log(frame["area"])
        + 0.3 * (frame["city"] == "Paris")
        + 0.2 * (frame["kind"] == "house")
        + 0.05 * (frame["year"] - 2020)
        + rng.normal(0, 0.2, size=n)
    )
    frame.loc[rng.random(n) < 0.1, "area"] = np.nan
    frame.loc[3, "city"] = None  # rare: merged into the unknown code
    return frame, np.exp(log_price).to_numpy()


def test_a_rare_code_in_training_keeps_unseen_categories_bounded():
    """One missing city in training makes the unknown code nearly constant.

    Standardised, its 1 was about 20 standard deviations large, and the members
    met it with a huge variance instead of a fit: a city never seen got a mean
    of -630,000 (std 4 million) for prices of 30,000 to 1.3 million. The
    encoding's 0/1 columns are left unscaled.
    """
    X, y = _sales()
    train = X.index < 400
    reg = DeepEnsembleRegressor(n_estimators=5, max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X[train], y[train])
    binary = ~reg._encoding.numeric_columns
    assert_array_equal(reg._x_mean[binary], 0.0)
    assert_array_equal(reg._x_scale[binary], 1.0)
    rows = X[~train].copy()
    rows["city"] = "Marseille"
    mean, std = reg.predict(rows, return_std=True)
    margin = 3 * np.std(y[train])
    assert np.all(mean > y[train].min() - margin)
    assert np.all(mean < y[train].max() + margin)
    assert np.all(std < 2 * np.std(y[train]))


# ------------------------------------------------------------------ state


def test_a_fitted_estimator_on_a_frame_pickles_and_clones(fitted, frame):
    X, _ = frame
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(_outputs(restored, X), _outputs(fitted, X))
    fresh = clone(fitted)
    assert not hasattr(fresh, "_encoding")
    assert fresh.get_params() == fitted.get_params()


def test_warm_start_keeps_the_encoding_and_matches_a_fresh_fit(frame):
    X, y = frame
    warm = _make("regressor", n_estimators=2, warm_start=True).fit(X, y)
    encoding = warm._encoding
    warm.set_params(n_estimators=3).fit(X, y)
    assert warm._encoding is encoding
    fresh = _make("regressor", n_estimators=3).fit(X, y)
    for (w_warm, _), (w_fresh, _) in zip(warm.params_, fresh.params_):
        np.testing.assert_allclose(w_warm, w_fresh, rtol=1e-5, atol=1e-6)


def test_partial_fit_keeps_the_encoding(frame):
    X, y = frame
    reg = _make("regressor", n_estimators=2)
    reg.partial_fit(X.iloc[:100], y[:100])
    encoding = reg._encoding
    later = X.iloc[100:].copy()
    later["shop"] = later["shop"].replace({"d": "new"})
    reg.partial_fit(later, y[100:])
    assert reg._encoding is encoding
    assert "new" not in encoding.categories[0].tolist()
    assert reg._n_partial_fits == 2


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "spec, X_kind, message",
    [
        (["shop", "colour"], "frame", r"names \['colour'\], which are not columns"),
        ([0, 5], "frame", r"indices \[5\] out of range for X with 3 features"),
        ([True, False], "frame", "mask of length 2, but X has 3 features"),
        (["shop"], "array", "X has no column names"),
        ([[0, 1]], "frame", "must be 1-D"),
        ([1.5], "frame", "must be 'from_dtype', None, a boolean mask"),
    ],
)
def test_bad_categorical_features_raise(frame, spec, X_kind, message):
    X, y = frame
    X = X.assign(price=X["price"].fillna(0.0))
    if X_kind == "array":
        X = X[["price"]].to_numpy()
    before = list(spec)
    with pytest.raises(ValueError, match=message):
        _make("regressor", categorical_features=spec, n_estimators=2).fit(X, y)
    assert spec == before


def test_a_column_of_too_many_categories_raises():
    n = _encoding.MAX_CATEGORIES + 10
    X = pd.DataFrame({"id": [f"user {i}" for i in range(n)], "x": np.zeros(n)})
    message = r"column 'id' is categorical with 1010 .*1000"
    with pytest.raises(ValueError, match=message):
        _make("regressor", n_estimators=2).fit(X, np.arange(n, dtype=float))


def test_a_numeric_column_of_strings_raises_naming_it():
    values = np.array([["a", "1.5"], ["b", "oops"], ["a", "2"]], dtype=object)
    with pytest.raises(ValueError, match=r"column 1 is numeric.*'oops'"):
        _make("regressor", categorical_features=[0], n_estimators=2).fit(
            values, [0.0, 1.0, 2.0]
        )


def test_the_parameter_docs_state_the_encodings_constants():
    doc = re.sub(r"\s+", " ", _COMMON_PARAMETERS_DOC)
    assert f"fewer than {_encoding.MIN_CATEGORY_COUNT} training rows" in doc
    assert f"{_encoding.UNKNOWN_FRACTION:.0%} of the training rows" in doc
    assert f"more than {_encoding.MAX_CATEGORIES} categories" in doc


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2020-01-01", periods=30),
        pd.date_range("2020-01-01", periods=30, tz="UTC"),
        pd.to_timedelta(np.arange(30), unit="D"),
        pd.period_range("2020-01", periods=30, freq="M"),
    ],
    ids=["datetime", "datetime-tz", "timedelta", "period"],
)
def test_a_date_column_raises_naming_it(column):
    X = pd.DataFrame({"when": column, "x": np.arange(30.0)})
    reg = DeepEnsembleRegressor(**QUICK)
    with pytest.raises(ValueError, match=r"date or time columns \['when'\]"):
        reg.fit(X, np.arange(30.0))
    # At prediction too: dates in place of the numbers "x" was fitted on.
    fitted = DeepEnsembleRegressor(**QUICK).fit(X[["x"]], np.arange(30.0))
    with pytest.raises(ValueError, match=r"date or time columns \['x'\]"):
        fitted.predict(pd.DataFrame({"x": column}))
