"""The encoding of X's raw columns into the float matrix the members train on.

HistGradientBoosting's ``categorical_features`` (:func:`categorical_mask`)
chooses the categorical columns; :func:`fit_encoding` learns, once, at the
first fit, what the encoding needs (each column's categories, each numeric
column's median and whether it had missing values), as plain NumPy state;
:func:`encode` maps any rows, at fit or prediction, to a float64 matrix that
the standardisation, the trainer and the prediction consume unchanged.

The encoded columns are, in this order: the numeric columns (missing values
replaced by the column's weighted training median), one 0/1 missing-value
indicator per numeric column that had missing values in training, then one
one-hot block per categorical column, ``[known categories..., missing (only
if missing values were a frequent category in training), unknown]``.

A category seen fewer than :data:`MIN_CATEGORY_COUNT` times in training, one
never seen, and a missing value where missing values were not a frequent
category all map to the column's unknown code. A one-hot column that is never
active in training learns nothing (its weights only decay), so the unknown
code is made to be seen: :func:`with_unknown_rows` gives it to a seeded share
of the training rows, never to validation or held-out rows.

No JAX here; nothing the user passed is modified.
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils import assert_all_finite

# A categorical column may have at most this many distinct categories. One-hot
# blocks of thousands of columns make the first layer the bulk of every
# member's parameters, each fitted from a handful of rows; such a column is
# usually an identifier, and an error says so rather than training on it.
MAX_CATEGORIES = 1000
# Categories with fewer training rows (of positive weight) than this are merged
# into the unknown code: a one-hot weight fitted on one to four rows is mostly
# noise, while those rows give the unknown code real examples.
MIN_CATEGORY_COUNT = 5
# The share of the training rows (of positive weight) whose category, in each
# categorical column on its own, is replaced by the unknown code. The rows are
# drawn at random from every category, so the unknown code learns the
# column's average effect, which is the best guess for a category the fit
# never saw; its estimate rests on about UNKNOWN_FRACTION * n rows (50 of
# 1000). The price is that each known category keeps only 1 - UNKNOWN_FRACTION
# of its rows, a variance about 5% larger for its own effect at 0.05. Larger
# shares blur the known categories more; much smaller ones leave the unknown
# code a few rows on small data. At least one row is always replaced.
UNKNOWN_FRACTION = 0.05


class ColumnEncoding(NamedTuple):
    """What the encoding learnt from the training data, per raw column.

    Attributes
    ----------
    categorical : ndarray of shape (n_features_in,), bool
        Which raw columns are categorical.
    medians : ndarray of shape (n_features_in,)
        Each numeric column's weighted training median, which replaces its
        missing values (0 for a column with no observed value; NaN for a
        categorical column).
    missing_indicator : ndarray of shape (n_features_in,), bool
        The numeric columns that had missing values in training, and so get a
        0/1 missing-value indicator column.
    categories : tuple of (ndarray or None)
        Each categorical column's known categories, in their encoded order
        (None for a numeric column).
    missing_category : ndarray of shape (n_features_in,), bool
        The categorical columns whose missing values were a frequent
        category in training, with a one-hot column of their own (elsewhere
        a missing value takes the unknown code).
    """

    categorical: np.ndarray
    medians: np.ndarray
    missing_indicator: np.ndarray
    categories: tuple
    missing_category: np.ndarray

    @property
    def n_numeric(self):
        """Number of numeric raw columns (the first encoded columns)."""
        return int(np.sum(~self.categorical))

    def block_widths(self):
        """The width of each categorical column's one-hot block, in order."""
        return [
            len(known) + int(missing) + 1
            for known, missing in zip(self.categories, self.missing_category)
            if known is not None
        ]

    @property
    def n_encoded(self):
        """Number of encoded columns, the members' input width."""
        return (
            self.n_numeric
            + int(np.sum(self.missing_indicator))
            + sum(self.block_widths())
        )

    @property
    def numeric_columns(self):
        """Which encoded columns carry a numeric raw column's values.

        ``False`` for the missing-value indicators and the one-hot columns:
        transformations of numbers (numeric embeddings) apply to the others.
        """
        mask = np.zeros(self.n_encoded, dtype=bool)
        mask[: self.n_numeric] = True
        return mask

    @property
    def unknown_columns(self):
        """The encoded index of each categorical column's unknown code."""
        start = self.n_numeric + int(np.sum(self.missing_indicator))
        return np.cumsum(self.block_widths(), dtype=int) - 1 + start

    @property
    def passthrough(self):
        """Whether the encoded matrix is X itself once missing values are imputed."""
        return not (self.categorical.any() or self.missing_indicator.any())


# ------------------------------------------------------------------ columns


def is_dataframe(X):
    """Whether X is a pandas (or pandas-like) DataFrame, as scikit-learn tests it."""
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _is_categorical_dtype(dtype):
    # pandas' "category" and "string" dtypes, like object and NumPy strings,
    # all have kind "O", "U" or "S"; numbers, booleans and dates do not.
    return getattr(dtype, "kind", None) in ("O", "U", "S")


def check_column_dtypes(X):
    """Reject a DataFrame's date, time-span and period columns, naming them.

    They are neither numbers nor categories; NumPy's conversion would fail
    with a dtype-promotion error that names no column.
    """
    if not is_dataframe(X):
        return
    temporal = [
        str(name)
        for name, dtype in X.dtypes.items()
        if getattr(dtype, "kind", None) in ("M", "m")
        or "period" in str(dtype).lower()
        or "datetime" in str(dtype).lower()
    ]
    if temporal:
        raise ValueError(
            f"X has date or time columns {temporal}, which are neither numbers "
            "nor categories. Turn them into numbers in front of the estimator "
            "(for example year, month and day of the week; see the user "
            "guide's Tabular data page), or drop them."
        )


def requests_categories(categorical_features, X):
    """Whether ``categorical_features`` makes any column of the raw X categorical.

    A cheap look before ``validate_data`` (it decides how X is validated);
    :func:`categorical_mask` resolves and checks the parameter afterwards.
    """
    if categorical_features is None:
        return False
    if isinstance(categorical_features, str):
        return (
            categorical_features == "from_dtype"
            and is_dataframe(X)
            and any(_is_categorical_dtype(dtype) for dtype in X.dtypes)
        )
    spec = np.asarray(categorical_features)
    return bool(spec.any()) if spec.dtype == bool else spec.size > 0


def categorical_mask(categorical_features, X, n_features, feature_names=None):
    """The boolean mask of categorical columns, from HistGradientBoosting's parameter.

    Parameters
    ----------
    categorical_features : "from_dtype", None, or array-like
        "from_dtype": a DataFrame's columns of dtype ``category``, string or
        object (a NumPy array has none); None: none; a boolean mask of length
        ``n_features``; integer indices; or column names (strings), which
        need X to be a DataFrame.
    X : array-like or DataFrame
        The raw X passed to ``fit``.
    n_features : int
        Its number of columns.
    feature_names : ndarray of str or None
        Its column names (``feature_names_in_``), when it has them.

    Returns
    -------
    categorical : ndarray of shape (n_features,), bool
    """
    mask = np.zeros(n_features, dtype=bool)
    if categorical_features is None:
        return mask
    if isinstance(categorical_features, str):
        if categorical_features != "from_dtype":  # the constraints allow no other
            raise ValueError(
                "categorical_features must be 'from_dtype', None, a boolean mask, "
                f"integer indices or column names; got {categorical_features!r}"
            )
        if is_dataframe(X):
            mask[:] = [_is_categorical_dtype(dtype) for dtype in X.dtypes]
        return mask
    spec = np.asarray(categorical_features)
    if spec.ndim != 1:
        raise ValueError(
            "categorical_features must be 1-D (a mask, indices or names); got "
            f"an array of shape {spec.shape}"
        )
    if spec.size == 0:
        return mask
    if spec.dtype == bool:
        if spec.size != n_features:
            raise ValueError(
                f"categorical_features is a boolean mask of length {spec.size}, "
                f"but X has {n_features} features; the mask needs one entry per "
                "feature"
            )
        return spec.copy()
    if spec.dtype.kind in "iu":
        bad = spec[(spec < -n_features) | (spec >= n_features)]
        if bad.size:
            raise ValueError(
                f"categorical_features has indices {bad.tolist()} out of range for "
                f"X with {n_features} features (valid: 0 to {n_features - 1}, or "
                "negative from the end)"
            )
        mask[spec] = True
        return mask
    if spec.dtype.kind in "UO" and all(isinstance(name, str) for name in spec):
        if feature_names is None:
            raise ValueError(
                f"categorical_features names columns {spec.tolist()}, but X has no "
                "column names; pass X as a pandas DataFrame with those columns, or "
                "give a boolean mask or integer indices"
            )
        position = {name: index for index, name in enumerate(feature_names)}
        missing = [name for name in spec.tolist() if name not in position]
        if missing:
            raise ValueError(
                f"categorical_features names {missing}, which are not columns of X "
                f"(its columns: {list(feature_names)})"
            )
        mask[[position[name] for name in spec.tolist()]] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a boolean mask, integer "
        f"indices or column names (strings); got {categorical_features!r}"
    )


def _column_name(index, feature_names):
    if feature_names is None:
        return f"column {index}"
    return f"column {feature_names[index]!r}"


def _missing_scalar(value):
    """Whether one cell is missing: None, NaN, NaT or pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA, whose comparisons are NA, not bools
        return True


_missing_cells = np.frompyfunc(_missing_scalar, 1, 1)


def _is_missing(values):
    """The missing cells of a 1-D column of any dtype."""
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return _missing_cells(values).astype(bool)
    return np.zeros(values.shape, dtype=bool)


def _numeric_block(X, categorical, feature_names, input_name):
    """The numeric columns of a validated X as float64, missing values NaN."""
    if not categorical.any() and X.dtype == np.float64:
        return X
    columns = []
    for index in np.flatnonzero(~categorical):
        values = X[:, index]
        try:
            columns.append(values.astype(np.float64))
            continue
        except (TypeError, ValueError):
            pass
        missing = _is_missing(values)
        try:
            columns.append(np.where(missing, np.nan, values).astype(np.float64))
        except (TypeError, ValueError):
            example = next(
                v for v, m in zip(values, missing) if not m and not _is_number(v)
            )
            raise ValueError(
                f"{input_name} {_column_name(index, feature_names)} is numeric (it is "
                f"not among categorical_features), but holds {example!r}, which is "
                "not a number. List it in categorical_features, or convert it to "
                "numbers."
            ) from None
    block = np.column_stack(columns) if columns else np.empty((len(X), 0))
    # Missing values are imputed; infinities stay an error, as elsewhere.
    assert_all_finite(block, allow_nan=True, input_name=input_name)
    return block


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _category_order(value):
    """A sort key that orders categories of mixed types deterministically."""
    return (type(value).__name__, value)


def _sorted_categories(values):
    try:
        return sorted(values, key=_category_order)
    except TypeError:  # values of one type that do not compare
        return sorted(values, key=lambda v: (type(v).__name__, repr(v)))


# ------------------------------------------------------------------ fitting


def _weighted_median(values, weights):
    """The weighted median of a column's observed values (0 if none is).

    The smallest value with at least half the weight at or below it.
    """
    observed = ~np.isnan(values) & (weights > 0)
    if not observed.any():
        return 0.0
    values, weights = values[observed], weights[observed]
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    half = np.searchsorted(cumulative, 0.5 * cumulative[-1])
    return float(values[order][half])


def _weighted_medians(numeric, sample_weight):
    """:func:`_weighted_median` of every column of ``numeric``.

    Every fit computes them, for the missing values prediction may meet; with
    equal weights (the default) a column with no missing value takes a
    partition instead of a sort, the same value in linear time.
    """
    positive = sample_weight > 0
    values, weights = numeric[positive], sample_weight[positive]
    medians = np.zeros(numeric.shape[1])
    fast = ~np.isnan(values).any(axis=0) & bool(np.all(weights == weights[0]))
    if fast.any():
        # The ceil(m / 2)-th smallest of m equally weighted values.
        k = (len(values) + 1) // 2 - 1
        medians[fast] = np.partition(values[:, fast], k, axis=0)[k]
    for j in np.flatnonzero(~fast):
        medians[j] = _weighted_median(values[:, j], weights)
    return medians


def fit_encoding(X, categorical, sample_weight, feature_names=None):
    """Learn the encoding of the training data's columns.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features_in)
        The validated raw training inputs: float64, or object where columns
        are categorical; missing values are NaN, None or pandas.NA.
    categorical : ndarray of shape (n_features_in,), bool
        From :func:`categorical_mask`.
    sample_weight : ndarray of shape (n_samples,)
        Validated weights; rows of zero weight take no part.
    feature_names : ndarray of str or None
        The column names, for the messages.

    Returns
    -------
    encoding : ColumnEncoding
    """
    positive = sample_weight > 0
    numeric = _numeric_block(X, categorical, feature_names, "X")
    medians = np.full(len(categorical), np.nan)
    medians[~categorical] = _weighted_medians(numeric, sample_weight)
    missing_indicator = np.zeros(len(categorical), dtype=bool)
    missing_indicator[~categorical] = np.isnan(numeric[positive]).any(axis=0)

    categories = [None] * len(categorical)
    missing_category = np.zeros(len(categorical), dtype=bool)
    for index in np.flatnonzero(categorical):
        values = X[positive, index]
        absent = _is_missing(values)
        counts = {}
        for value in values[~absent].tolist():
            counts[value] = counts.get(value, 0) + 1
        if len(counts) > MAX_CATEGORIES:
            raise ValueError(
                f"X {_column_name(index, feature_names)} is categorical with "
                f"{len(counts)} distinct categories, more than the "
                f"{MAX_CATEGORIES} that are one-hot encoded; it looks like an "
                "identifier. Drop it, or leave it out of categorical_features "
                "(and convert it to numbers) if its values are ordered."
            )
        categories[index] = np.array(
            _sorted_categories(
                [value for value, n in counts.items() if n >= MIN_CATEGORY_COUNT]
            ),
            dtype=object,
        )
        missing_category[index] = int(absent.sum()) >= MIN_CATEGORY_COUNT
    return ColumnEncoding(
        categorical=np.asarray(categorical, dtype=bool).copy(),
        medians=medians,
        missing_indicator=missing_indicator,
        categories=tuple(categories),
        missing_category=missing_category,
    )


# ------------------------------------------------------------------ encoding


def _codes(values, known, missing_known):
    """Each cell's code in its one-hot block: known, then missing, then unknown."""
    lookup = {value: code for code, value in enumerate(known.tolist())}
    unknown = len(known) + int(missing_known)
    codes = np.fromiter(
        (lookup.get(value, unknown) for value in values.tolist()),
        dtype=np.intp,
        count=len(values),
    )
    # Missing cells (None, NaN, pandas.NA) are one category, whatever object
    # stands for them: they are set apart by a test, not by lookup.
    codes[_is_missing(values)] = len(known) if missing_known else unknown
    return codes


def encode(encoding, X, *, input_name="X", feature_names=None):
    """The encoded float64 matrix of validated raw rows.

    Parameters
    ----------
    encoding : ColumnEncoding
        From :func:`fit_encoding`.
    X : ndarray of shape (n_samples, n_features_in)
        Validated raw inputs, as :func:`fit_encoding` takes them.
    input_name : str, default="X"
        The argument's name, for the messages.
    feature_names : ndarray of str or None
        The column names, for the messages.

    Returns
    -------
    encoded : ndarray of shape (n_samples, encoding.n_encoded)
        X itself when it is float64 with nothing to encode or impute.
    """
    numeric = _numeric_block(X, encoding.categorical, feature_names, input_name)
    missing = np.isnan(numeric)
    if missing.any():
        numeric = np.where(missing, encoding.medians[~encoding.categorical], numeric)
    if encoding.passthrough:
        return numeric
    parts = [numeric]
    indicators = encoding.missing_indicator[~encoding.categorical]
    if indicators.any():
        parts.append(missing[:, indicators].astype(np.float64))
    for index in np.flatnonzero(encoding.categorical):
        known = encoding.categories[index]
        missing_known = bool(encoding.missing_category[index])
        codes = _codes(X[:, index], known, missing_known)
        block = np.zeros((len(X), len(known) + int(missing_known) + 1))
        block[np.arange(len(X)), codes] = 1.0
        parts.append(block)
    return np.hstack(parts)


def with_unknown_rows(encoding, encoded, sample_weight, rng):
    """The training matrix, a seeded share of its rows given the unknown codes.

    In each categorical column on its own, ``UNKNOWN_FRACTION`` of the rows
    of positive weight (at least one) are drawn from ``rng`` and their one-hot
    block is set to the unknown code, so that the members learn what to
    predict for a category they have not seen (see the module's docstring).

    Parameters
    ----------
    encoding : ColumnEncoding
    encoded : ndarray of shape (n_samples, encoding.n_encoded)
        From :func:`encode`; not modified.
    sample_weight : ndarray of shape (n_samples,)
    rng : numpy.random.Generator

    Returns
    -------
    encoded : ndarray of shape (n_samples, encoding.n_encoded)
        A modified copy, or ``encoded`` itself with no categorical column.
    """
    if not encoding.categorical.any():
        return encoded
    candidates = np.flatnonzero(sample_weight > 0)
    n_rows = max(1, int(np.ceil(UNKNOWN_FRACTION * len(candidates))))
    n_rows = min(n_rows, len(candidates))
    out = encoded.copy()
    widths = encoding.block_widths()
    for unknown, width in zip(encoding.unknown_columns, widths):
        rows = rng.choice(candidates, size=n_rows, replace=False)
        out[np.ix_(rows, np.arange(unknown - width + 1, unknown + 1))] = 0.0
        out[rows, unknown] = 1.0
    return out
