"""Input checks and reductions shared by the metrics.

Types and options are checked by :func:`sklearn.utils.validate_params` on each
public function; what it cannot express (finite and positive values, shapes
that match ``y_true``, weights that do not sum to zero) is checked here.
"""

import numpy as np
from sklearn.utils.validation import check_array

from .._mixture import MixtureDistribution
from .._validation import check_sample_weight


def check_y_true(y_true):
    """y_true as a finite float array of shape (n,) or (n, n_outputs)."""
    return check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")


def check_param(value, name, shape, *, positive=False, like="y_true"):
    """A distribution parameter: a scalar or an array of ``like``'s shape."""
    value = np.asarray(value, dtype=np.float64)
    if value.ndim and value.shape != shape:
        raise ValueError(
            f"{name} must be a scalar or have the shape of {like} {shape}; "
            f"got shape {value.shape}"
        )
    if positive:
        bad = ~(np.isfinite(value) & (value > 0))
        if np.any(bad):
            raise ValueError(
                f"{name} must be finite and > 0; got {np.count_nonzero(bad)} "
                f"bad value(s), e.g. {np.ravel(value[bad])[0]!r}"
            )
    elif not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return np.broadcast_to(value, shape)


def average(per_sample, sample_weight):
    """Weighted mean over the first axis (a float for 1-D input)."""
    sample_weight = check_sample_weight(sample_weight, per_sample.shape[0])
    return np.average(per_sample, axis=0, weights=sample_weight)


def sum_outputs(values):
    return values.sum(axis=1) if values.ndim == 2 else values


def mean_outputs(values):
    return values.mean(axis=1) if values.ndim == 2 else values


def evaluate(dist, method, y):
    """``dist.method(y)``, checking the distribution describes y's shape."""
    shape = dist.shape if isinstance(dist, MixtureDistribution) else None
    if shape is not None and tuple(shape) != y.shape:
        raise ValueError(
            f"y_true has shape {y.shape} but dist describes shape {tuple(shape)}"
        )
    values = np.asarray(getattr(dist, method)(y), dtype=np.float64)
    if values.shape != y.shape:
        raise ValueError(
            f"dist.{method}(y_true) has shape {values.shape}; expected the shape "
            f"of y_true {y.shape}"
        )
    return values
