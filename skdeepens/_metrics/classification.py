"""Calibration of predicted class probabilities: reliability bins, the expected
calibration error, and the accuracy-versus-confidence curve."""

import math
from numbers import Integral

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_consistent_length

from .._validation import column_1d
from ._checks import check_sample_weight


def _top_label(y_true, y_proba, classes):
    """Confidence (max probability) and correctness of the top label."""
    y_true = column_1d(y_true, "y_true")
    if y_true.dtype.kind == "f":
        has_nan = bool(np.isnan(y_true).any())
    else:
        has_nan = y_true.dtype.kind == "O" and any(
            isinstance(v, float) and math.isnan(v) for v in y_true
        )
    if has_nan:
        raise ValueError("y_true contains NaN")
    if classes is None:
        classes = np.unique(y_true)
    else:
        classes = column_1d(classes, "classes")
        if np.unique(classes).shape[0] != classes.shape[0]:
            raise ValueError(f"classes must be unique; got {classes!r}")
    unknown = ~np.isin(y_true, classes)
    if np.any(unknown):
        raise ValueError(
            f"y_true contains labels not in classes: {np.unique(y_true[unknown])!r}"
        )
    y_proba = np.asarray(y_proba, dtype=np.float64)
    if y_proba.ndim == 1:
        if classes.shape[0] != 2:
            raise ValueError(
                "a 1-D y_proba is the probability of classes[1] and needs exactly "
                f"2 classes; got {classes.shape[0]}"
            )
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    if y_proba.ndim != 2:
        raise ValueError(
            f"y_proba must have shape (n_samples, n_classes); got {y_proba.shape}"
        )
    check_consistent_length(y_true, y_proba)
    if y_proba.shape[1] != classes.shape[0]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are "
            f"{classes.shape[0]} classes {classes!r}; pass classes= (e.g. the "
            "classifier's classes_) when y_true does not contain every class"
        )
    if not np.all(np.isfinite(y_proba) & (y_proba >= 0) & (y_proba <= 1)):
        raise ValueError("y_proba must hold probabilities in [0, 1]")
    if not np.allclose(y_proba.sum(axis=1), 1.0, rtol=0.0, atol=1e-4):
        raise ValueError("each row of y_proba must sum to 1")
    confidence = y_proba.max(axis=1)
    correct = classes[np.argmax(y_proba, axis=1)] == y_true
    return confidence, correct.astype(np.float64)


def _check_n_bins(n_bins):
    # validate_params takes a bool for an int; a bin count of True is a mistake.
    if isinstance(n_bins, bool):
        raise ValueError(f"n_bins must be an integer >= 1; got {n_bins!r}")


def _reliability_bins(y_true, y_proba, n_bins, classes, sample_weight):
    """Top-label confidence binned into ``n_bins`` equal bins closed on the right.

    The one home of the binning of :func:`expected_calibration_error` and
    :func:`classification_calibration_curve` (and so of the reliability
    diagram): bin ``k`` is ``(k / n_bins, (k + 1) / n_bins]`` (the first bin
    also holds 0), as in Guo et al. (2017).

    Returns
    -------
    bins : Bunch
        ``bin_edges`` (n_bins + 1,), and per bin the (weighted) ``counts``,
        ``correct_sum`` and ``confidence_sum``.
    """
    confidence, correct = _top_label(y_true, y_proba, classes)
    weight = check_sample_weight(sample_weight, confidence.shape[0])
    if weight is None:
        weight = np.ones_like(confidence)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    return Bunch(
        bin_edges=edges,
        counts=np.bincount(index, weights=weight, minlength=n_bins),
        correct_sum=np.bincount(index, weights=weight * correct, minlength=n_bins),
        confidence_sum=np.bincount(
            index, weights=weight * confidence, minlength=n_bins
        ),
    )


_BINNED_PARAMETERS = {
    "y_true": ["array-like"],
    "y_proba": ["array-like"],
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "classes": ["array-like", None],
    "sample_weight": ["array-like", None],
}


@validate_params(_BINNED_PARAMETERS, prefer_skip_nested_validation=True)
def reliability_diagram(y_true, y_proba, *, n_bins, classes=None, sample_weight=None):
    """Everything a reliability diagram shows, from one binning.

    The one home of the reliability bins' accuracy, confidence and ECE, which
    :func:`classification_calibration_curve`, :func:`expected_calibration_error`
    and ``ClassificationCalibrationDisplay`` (which needs all of them) share.

    Returns
    -------
    bins : Bunch
        ``bin_edges``, ``counts``, ``accuracy`` and ``confidence`` (NaN where a
        bin is empty) and ``ece``.
    """
    _check_n_bins(n_bins)
    bins = _reliability_bins(y_true, y_proba, n_bins, classes, sample_weight)
    nan = np.full(n_bins, np.nan)
    filled = bins.counts > 0
    bins.accuracy = np.divide(
        bins.correct_sum, bins.counts, out=nan.copy(), where=filled
    )
    bins.confidence = np.divide(
        bins.confidence_sum, bins.counts, out=nan.copy(), where=filled
    )
    # Per bin, count * |accuracy - confidence| = |sum(correct) - sum(confidence)|.
    gaps = np.abs(bins.correct_sum - bins.confidence_sum)
    bins.ece = float(np.sum(gaps) / np.sum(bins.counts))
    return bins


@validate_params(_BINNED_PARAMETERS, prefer_skip_nested_validation=True)
def classification_calibration_curve(
    y_true, y_proba, *, n_bins=15, classes=None, sample_weight=None
):
    """Top-label reliability curve: accuracy and confidence per confidence bin.

    The predicted label's probability (the confidence) is binned as in
    :func:`expected_calibration_error`; a calibrated classifier's accuracy in
    each bin equals its mean confidence there. Unlike
    :func:`sklearn.calibration.calibration_curve` (one class of a binary
    problem), it scores the top label of any number of classes and keeps the
    empty bins, as NaN, so that the arrays line up with the bins.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels, of any type.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as in :func:`expected_calibration_error`.
    n_bins : int, default=15
        The number of equal-width bins on [0, 1].
    classes : array-like of shape (n_classes,), default=None
        The labels of ``y_proba``'s columns, as in
        :func:`expected_calibration_error`.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    accuracy : ndarray of shape (n_bins,)
        The (weighted) fraction of correct top labels per bin; NaN if empty.
    confidence : ndarray of shape (n_bins,)
        The (weighted) mean confidence per bin; NaN if empty.
    counts : ndarray of shape (n_bins,)
        The (weighted) number of samples per bin. The bins' edges are
        ``np.linspace(0, 1, n_bins + 1)``.

    Examples
    --------
    >>> from skdeepens.metrics import classification_calibration_curve
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> classification_calibration_curve(["a", "b", "b", "b"], y_proba, n_bins=2)
    (array([ nan, 0.75]), array([ nan, 0.75]), array([0., 4.]))
    """
    bins = reliability_diagram(
        y_true, y_proba, n_bins=n_bins, classes=classes, sample_weight=sample_weight
    )
    return bins.accuracy, bins.confidence, bins.counts


@validate_params(_BINNED_PARAMETERS, prefer_skip_nested_validation=True)
def expected_calibration_error(
    y_true, y_proba, *, n_bins=15, classes=None, sample_weight=None
):
    """Top-label expected calibration error (ECE).

    The predicted label's probability (the confidence) is binned into
    ``n_bins`` equal-width bins ``(k / n_bins, (k + 1) / n_bins]``, closed on the
    right as in Guo et al. (2017); the ECE is the bins' average of
    ``|accuracy - mean confidence|``, weighted by the bins' (weighted) counts.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels, of any type.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``classes``; a 1-D
        array is the probability of ``classes[1]`` in a binary problem.
    n_bins : int, default=15
        The number of bins, at least 1.
    classes : array-like of shape (n_classes,), default=None
        The labels of ``y_proba``'s columns (a classifier's ``classes_``);
        ``None`` means ``np.unique(y_true)``, scikit-learn's order, which
        requires every class to appear in ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    ece : float
        In [0, 1]; lower is better.

    See Also
    --------
    classification_calibration_curve : The bins' accuracy and confidence.
    sklearn.metrics.brier_score_loss : The Brier score.
    sklearn.metrics.log_loss : The classification NLL.

    Examples
    --------
    >>> from skdeepens.metrics import expected_calibration_error
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> ece = expected_calibration_error(["a", "b", "b", "b"], y_proba, n_bins=5)
    >>> round(ece, 4)  # (|1 - 0.9| + 2 |0.5 - 0.75| + |1 - 0.6|) / 4
    0.25
    """
    bins = reliability_diagram(
        y_true, y_proba, n_bins=n_bins, classes=classes, sample_weight=sample_weight
    )
    return bins.ece


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like"],
        "thresholds": ["array-like", None],
        "classes": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def accuracy_confidence_curve(
    y_true, y_proba, *, thresholds=None, classes=None, sample_weight=None
):
    """Accuracy on the examples predicted with at least a given confidence.

    Lakshminarayanan et al. (2017, figure 6) plot it to show that a model
    which knows what it does not know gains accuracy as it abstains on its
    least confident predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels, of any type.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as in :func:`expected_calibration_error`.
    thresholds : array-like of shape (n_thresholds,), default=None
        Confidence thresholds; ``None`` means ``0.0, 0.1, ..., 0.9``.
    classes : array-like of shape (n_classes,), default=None
        The labels of ``y_proba``'s columns, as in
        :func:`expected_calibration_error`.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    thresholds : ndarray of shape (n_thresholds,)
        The thresholds.
    accuracy : ndarray of shape (n_thresholds,)
        Accuracy on the examples whose top probability is ``>=`` the
        threshold; NaN where no example is kept.
    fraction_kept : ndarray of shape (n_thresholds,)
        The (weighted) fraction of the examples kept.

    Examples
    --------
    >>> from skdeepens.metrics import accuracy_confidence_curve
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> accuracy_confidence_curve([0, 1, 1, 1], y_proba, thresholds=[0.5, 0.75])
    (array([0.5 , 0.75]), array([0.75, 0.5 ]), array([1. , 0.5]))
    """
    if thresholds is None:
        thresholds = np.arange(10) / 10.0
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1 or not np.all(np.isfinite(thresholds)):
        raise ValueError(
            f"thresholds must be a 1-D array of finite values; got {thresholds!r}"
        )
    confidence, correct = _top_label(y_true, y_proba, classes)
    weight = check_sample_weight(sample_weight, confidence.shape[0])
    if weight is None:
        weight = np.ones_like(confidence)
    kept = (confidence[None, :] >= thresholds[:, None]).astype(np.float64)
    kept_weight = kept @ weight
    accuracy = np.divide(
        kept @ (weight * correct),
        kept_weight,
        out=np.full(thresholds.shape, np.nan),
        where=kept_weight > 0,
    )
    return thresholds, accuracy, kept_weight / np.sum(weight)
