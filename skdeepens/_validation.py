"""Checks of the estimators' inputs, fitted state and process, beyond scikit-learn's.

scikit-learn's ``validate_data`` and ``_parameter_constraints`` reject most bad input.
What they let through, and what would end in a NaN, an overflow or a hang far from
the user's mistake, is checked here, each with an error that names the problem:
magnitudes whose squares overflow float64, predictions that overflow, string
targets for the regressor, mixed label types, booleans passed as numbers,
warm starts that would mix incompatible members, and JAX used after ``os.fork``.
"""

import inspect
import os
import sys
from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.utils.validation import column_or_1d

# scikit-learn names the input in column_or_1d's errors from 1.7 (input_name).
_COLUMN_OR_1D_NAMES_INPUT = "input_name" in inspect.signature(column_or_1d).parameters

# Largest magnitude accepted in X and y at fit. The predictive variances of a
# regressor are in y's units squared and the standardisation squares deviations of
# X: both stay finite only well below sqrt(float64 max) ~ 1.3e154. The margin of
# 1e4 leaves room for sums over rows and for a network's extrapolation.
MAX_ABS_VALUE = 1e150
# The smallest spread of a regression target whose variance (its square) is still a
# normal float64 with room for the members' scales: below it variances underflow.
MIN_TARGET_SCALE = 1e-150
# A column is constant when its spread is below this fraction of its magnitude: the
# differences are then float64 rounding, not information.
_CONSTANT_RTOL = 1e-12
# Training runs in float32: weights must survive the cast, and their sum too.
_FLOAT32 = np.finfo(np.float32)

# Parameters that are numbers: a bool is an int to Python, but True is never a
# meaningful number of members, epochs or a learning rate.
_NUMERIC_PARAMETERS = (
    "n_estimators",
    "adversarial_epsilon",
    "beta",
    "alpha",
    "batch_size",
    "learning_rate_init",
    "max_iter",
    "validation_fraction",
    "n_iter_no_change",
    "prior_scale",
    "tol",
)


# ------------------------------------------------------------------ parameters


def check_numeric_parameters(name, params):
    """Reject booleans where a number is expected (bool is Integral in Python).

    Parameters
    ----------
    name : str
        The estimator's class name, for the message.
    params : dict
        Its parameters (``get_params(deep=False)``), after scikit-learn's
        constraints; those of :data:`_NUMERIC_PARAMETERS` it has are checked,
        and ``hidden_layer_sizes``.
    """
    for param in _NUMERIC_PARAMETERS:
        value = params.get(param)
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"The {param!r} parameter of {name} must be a number, not a bool; "
                f"got {value!r}"
            )
    sizes = params["hidden_layer_sizes"]
    values = [sizes] if isinstance(sizes, (Integral, bool, np.bool_)) else sizes
    if any(isinstance(s, (bool, np.bool_)) for s in values):
        raise TypeError(
            f"The 'hidden_layer_sizes' parameter of {name} must hold positive "
            f"integers, not bools; got {sizes!r}"
        )


# ------------------------------------------------------------------ data


def weighted_standardisation(values, sample_weight):
    """Weighted column means and standard deviations, finite for any finite input.

    Constant columns (spread below float64 rounding of their magnitude) get a
    scale of 1, which leaves them at 0 after centring.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)
        Finite values.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights with a positive sum.

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,)
    """
    # Dividing by each column's largest magnitude first keeps every square and
    # weighted sum finite (a cell of 1e200 would make the variance inf, the scale
    # inf and the column 0); it changes the result only by rounding.
    magnitude = np.max(np.abs(values), axis=0)
    magnitude = np.where(magnitude > 0, magnitude, 1.0)
    weights = sample_weight / np.max(sample_weight)
    unit = values / magnitude
    mean = np.average(unit, axis=0, weights=weights)
    scale = np.sqrt(np.average(np.square(unit - mean), axis=0, weights=weights))
    # Relative, not absolute: a column of values near 1e-20 that varies is
    # information, whereas an absolute threshold would flatten it to 0.
    constant = ~(scale > _CONSTANT_RTOL)
    return mean * magnitude, np.where(constant, 1.0, scale * magnitude)


def check_magnitude(values, name):
    """Reject values too large for float64 arithmetic on their squares.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)
    name : str
        "X" or "y", for the message.
    """
    magnitude = np.abs(values)
    if np.all(magnitude <= MAX_ABS_VALUE):
        return
    row, column = np.unravel_index(np.argmax(magnitude), magnitude.shape)
    where = f"{name}[{row}, {column}]" if values.shape[1] > 1 else f"{name}[{row}]"
    n_bad = int(np.sum(magnitude > MAX_ABS_VALUE))
    raise ValueError(
        f"{name} has {n_bad} value(s) beyond {MAX_ABS_VALUE:.0e} in magnitude, up to "
        f"{where} = {values[row, column]:.3g}: the standardisation and the "
        "predictive variances are computed from squares, which overflow float64 "
        "beyond about 1e154. "
        f"Rescale {name}, or check it for placeholder values."
    )


def check_target_scale(scale):
    """Reject regression targets whose predictive variances would underflow.

    Parameters
    ----------
    scale : ndarray of shape (n_targets,)
        The targets' standard deviations from :func:`weighted_standardisation`
        (1 for a constant target).
    """
    bad = scale < MIN_TARGET_SCALE
    if np.any(bad):
        column = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y varies by only {scale[column]:.3g} (standard deviation of output "
            f"{column}); the predictive variances, in y's units squared, would "
            f"underflow float64 below {MIN_TARGET_SCALE:.0e}. Rescale y."
        )


def check_regression_targets(y):
    """Reject targets a regressor cannot read as numbers (strings, dates).

    Parameters
    ----------
    y : ndarray
        Targets as ``validate_data`` returned them.
    """
    if y.dtype.kind not in "biuf":
        example = y.ravel()[:1].tolist()
        raise ValueError(
            f"DeepEnsembleRegressor needs numeric targets; y has dtype {y.dtype} "
            f"(first values {example}). Convert y to numbers, or use "
            "DeepEnsembleClassifier for class labels."
        )


def check_class_labels(y):
    """Reject labels mixing strings and numbers, which cannot be sorted.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    """
    if y.dtype != object:
        return
    is_str = np.array([isinstance(v, str) for v in np.ravel(y)])
    if is_str.any() and not is_str.all():
        example_str = np.ravel(y)[is_str][0]
        example_other = np.ravel(y)[~is_str][0]
        raise ValueError(
            "y must hold class labels of one kind, but it mixes strings and "
            f"other values (e.g. {example_str!r} and {example_other!r}). Convert "
            "every label to str, or every label to a number."
        )


def check_class_weight(class_weight, classes):
    """Reject a ``class_weight`` dict naming no class, or with a bad weight.

    scikit-learn's ``compute_sample_weight`` lets a label that is not a class
    through whenever every class has a weight, and takes negative weights:
    both are mistakes (a typo in a label, a sign), caught here.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        The classifier's parameter; only a dict is checked.
    classes : ndarray of shape (n_classes,)
        The classes of the fit.
    """
    if not isinstance(class_weight, dict):
        return
    known = set(classes.tolist())
    unknown = [_python(label) for label in class_weight if label not in known]
    if unknown:
        raise ValueError(
            f"class_weight has labels {unknown} that are not among the classes "
            f"{classes.tolist()}; its keys must be class labels of y"
        )
    for label, weight in class_weight.items():
        if (
            isinstance(weight, (bool, np.bool_))
            or not isinstance(weight, Real)
            or not (np.isfinite(weight) and weight >= 0)
        ):
            raise ValueError(
                "class_weight must map each class to a finite weight >= 0; got "
                f"{_python(label)!r}: {weight!r}"
            )


def _python(value):
    """A NumPy scalar as the Python value it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def check_sample_weight(
    sample_weight, n_samples, *, training=False, name="sample_weight"
):
    """Finite, non-negative weights of shape (n_samples,) with a positive sum.

    The one check of ``sample_weight``, for the metrics and the estimators'
    fits alike.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        A float weighs every sample alike.
    n_samples : int
        The number of samples the weights are for.
    training : bool, default=False
        For a fit: ``None`` becomes weights of 1, and the largest weight must
        survive the float32 training arithmetic. Otherwise ``None`` stays
        ``None`` (an unweighted mean).
    name : str, default="sample_weight"
        The argument's name, for the messages (``"sample_weight_val"``).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return np.ones(n_samples) if training else None
    # A scalar weighs every sample alike. (np.ndim would call array-likes'
    # __array_function__, which scikit-learn's _NotAnArray refuses.)
    if isinstance(sample_weight, Real) or (
        isinstance(sample_weight, np.ndarray) and sample_weight.ndim == 0
    ):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    sample_weight = column_1d(sample_weight, name, dtype=np.float64)
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {sample_weight.shape[0]} entries but there are "
            f"{n_samples} samples"
        )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError(f"{name} must be finite and >= 0; got NaN or inf")
    if np.any(sample_weight < 0):
        raise ValueError(f"{name} must be finite and >= 0; got negative values")
    if not np.sum(sample_weight) > 0:
        raise ValueError(
            f"{name} must not sum to zero (no sample has a positive weight)"
        )
    if training:
        _check_float32_weights(sample_weight, name)
    return sample_weight


def _check_float32_weights(sample_weight, name):
    # The weights' scale matters (it sets the penalty alpha / total weight), so
    # they are not rescaled: the largest must be a normal float32 and their sum
    # must stay finite in float32. (Weights far below the largest may round to 0
    # in float32; they carried no weight anyway.)
    limit = _FLOAT32.max / (4 * len(sample_weight))
    largest = sample_weight.max()
    if not _FLOAT32.tiny <= largest <= limit:
        raise ValueError(
            f"{name} has a largest value of {largest:.3g}; training runs in "
            f"float32, so it must lie in [{_FLOAT32.tiny:.3g}, {limit:.3g}]. Rescale "
            f"{name} (its overall scale sets the strength of alpha)."
        )


def check_finite_predictions(X, train_extent, **arrays):
    """Raise when predictions overflow float64, naming the rows of X responsible.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The validated inputs the predictions are for.
    train_extent : float
        The largest magnitude of the training inputs, for the message.
    **arrays : ndarray
        Predicted quantities whose leading axes end in the rows of X: shape
        (n_samples, ...) or (n_members, n_samples, ...), by name.
    """
    for name, values in arrays.items():
        if values is None or np.all(np.isfinite(values)):
            continue
        rows_axis = values.ndim - 2 if values.ndim >= 2 else 0
        other = tuple(a for a in range(values.ndim) if a != rows_axis)
        bad = ~np.all(np.isfinite(values), axis=other)
        rows = np.flatnonzero(bad)
        first = int(rows[0])
        raise ValueError(
            f"The predicted {name} overflows float64 for {rows.size} of {len(X)} "
            f"rows of X (first: row {first}, whose largest |x| is "
            f"{np.max(np.abs(X[first])):.3g}; the training inputs reached "
            f"{train_extent:.3g}). A network's outputs grow far from its "
            "training data, and variances with their squares: predict closer to "
            "the training data, or rescale X."
        )


# ------------------------------------------------------------------ warm start

# What a signature key that an older version did not record meant: an
# estimator pickled before ``numeric_embedding`` or ``posterior_samples``
# existed has plain, unsampled members. Other missing keys are not compared.
_SIGNATURE_BEFORE_THE_KEY = {"numeric_embedding": None, "posterior_samples": 0}


def fit_signature(
    *,
    activation,
    loss,
    hidden_layer_sizes,
    prior_scale,
    numeric_embedding=None,
    posterior_samples=0,
    n_outputs=None,
):
    """What the members of a fit depend on, other than their data and seed.

    Parameters
    ----------
    activation, loss : str
        The estimator's parameters.
    hidden_layer_sizes : tuple of int
        The validated layer widths.
    prior_scale : float
        The estimator's parameter.
    numeric_embedding : str or None
        The estimator's parameter.
    posterior_samples : int
        The estimator's parameter.
    n_outputs : int or None
        Width of the regression target (None for the classifier, whose classes
        are compared on their own).

    Returns
    -------
    signature : dict
        Parameter name -> value, compared by :func:`check_warm_start`.
    """
    signature = {
        "activation": activation,
        "loss": loss,
        "hidden_layer_sizes": hidden_layer_sizes,
        "prior_scale": float(prior_scale),
        "numeric_embedding": numeric_embedding,
        "posterior_samples": int(posterior_samples),
    }
    if n_outputs is not None:
        signature["n_outputs"] = n_outputs
    return signature


def check_warm_start(previous, signature, *, continuing, method="fit"):
    """Raise when a warm start would join members of different networks.

    Parameters
    ----------
    previous : dict or None
        :func:`fit_signature` of the fitted members (None: none fitted).
    signature : dict
        :func:`fit_signature` of this fit.
    continuing : bool
        Whether this fit keeps the fitted members (``warm_start``, or always
        in ``partial_fit``).
    method : {"fit", "partial_fit"}, default="fit"
        The method being called, for the message.
    """
    if previous is None or not continuing:
        return
    for name, value in signature.items():
        before = previous.get(name, _SIGNATURE_BEFORE_THE_KEY.get(name, value))
        if before == value:
            continue
        what = (
            f"y with {before} output(s); got y with {value}"
            if name == "n_outputs"
            else f"{name}={before!r}; got {name}={value!r}"
        )
        if method == "partial_fit":
            raise ValueError(
                f"partial_fit continues the fitted members, which were trained "
                f"with {what}. Restore it, or call fit to train new members."
            )
        raise ValueError(
            f"warm_start=True keeps the fitted members, which were trained with "
            f"{what}. New members must be the same kind of network: restore it, "
            "or set warm_start=False to refit every member."
        )


# ------------------------------------------------------------------ warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKLEARN_DIR = os.path.dirname(os.path.abspath(sklearn.__file__)) + os.sep


def user_stacklevel():
    """The ``stacklevel`` that makes a warning name the user's line.

    Counts the frames from the caller up to the first one outside skdeepens and
    scikit-learn (whose ``_fit_context`` wraps every ``fit``, and whose Pipeline
    or search may call it), so it stays right whatever the depth of the call.

    Returns
    -------
    stacklevel : int
        For ``warnings.warn(message, category, stacklevel=user_stacklevel())``.

    Examples
    --------
    >>> user_stacklevel() >= 1
    True
    """
    level = 1
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(
        (_PACKAGE_DIR, _SKLEARN_DIR)
    ):
        frame = frame.f_back
        level += 1
    return level


# ------------------------------------------------------------------ processes

_fork_state = {"parent_ran_jax": False, "forked_after_jax": False}


def _jax_started():
    """Whether this process has started JAX's runtime (its threads)."""
    jax = sys.modules.get("jax")
    if jax is None:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # a JAX without this private helper:
        return False  # no detection rather than false alarms


def _before_fork():
    _fork_state["parent_ran_jax"] = _jax_started()


def _after_fork_in_child():
    _fork_state["forked_after_jax"] = (
        _fork_state["forked_after_jax"] or _fork_state["parent_ran_jax"]
    )


if hasattr(os, "register_at_fork"):  # POSIX only; Windows has no fork
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def check_not_forked_after_jax():
    """Raise in a process forked from one that had already run JAX.

    JAX's runtime is multithreaded; a child made by ``os.fork`` inherits its
    state but not its threads, and hangs the first time it runs a JAX program
    (as joblib's ``"multiprocessing"`` backend and ``multiprocessing``'s
    ``"fork"`` start method do). Failing here turns that hang into an error.
    Prediction runs in NumPy and is safe in such a child.
    """
    if _fork_state["forked_after_jax"]:
        raise RuntimeError(
            "This process was forked (os.fork) from one that had already run JAX, "
            "and JAX hangs in a forked child. Fit in processes that start fresh: "
            "use joblib's default 'loky' backend (not 'multiprocessing'), or "
            "multiprocessing with the 'spawn' or 'forkserver' start method."
        )


def column_1d(values, name, dtype=None):
    """``values`` as a 1d array; an error that names ``name`` if it is not one.

    scikit-learn's ``column_or_1d``, whose message says ``y`` before
    scikit-learn 1.7 (which added ``input_name``), on every version this
    package supports.
    """
    if _COLUMN_OR_1D_NAMES_INPUT:
        return column_or_1d(values, dtype=dtype, input_name=name)
    try:
        return column_or_1d(values, dtype=dtype)
    except ValueError as exc:
        message = str(exc)
        if message.startswith("y should"):
            message = name + message[1:]
        raise ValueError(message) from None
