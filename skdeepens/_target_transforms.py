"""What skdeepens knows about fitted target transformers, step by step.

The facts :mod:`skdeepens.compose` and :class:`TransformedDistribution` need
about the transformer of a :class:`~sklearn.compose.TransformedTargetRegressor`:
whether its inverse is affine (then the mixture maps exactly to a mixture), its
steps in transform order, and the log-derivative of a step's forward map (the
Jacobian of a transformed density).
"""

import warnings

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

# Transformers whose inverse_transform is y = a z + b, column by column.
AFFINE_TRANSFORMERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)

# The forward maps of FunctionTransformer(func=...) with a known derivative:
# func -> log|f'(y)|.
_LOG_DERIVATIVES = {
    np.log: lambda y: -np.log(np.abs(y)),
    np.log1p: lambda y: -np.log1p(y),
    np.log2: lambda y: -np.log(np.abs(y) * np.log(2.0)),
    np.log10: lambda y: -np.log(np.abs(y) * np.log(10.0)),
    np.exp: lambda y: y,
    np.expm1: lambda y: y,
    np.sqrt: lambda y: -np.log(2.0 * np.sqrt(y)),
    np.arcsinh: lambda y: -0.5 * np.log1p(y * y),
}


def is_affine(transformer):
    """Whether ``transformer.inverse_transform`` is ``a z + b`` column by column."""
    if isinstance(transformer, Pipeline):
        return all(
            step is None or step == "passthrough" or is_affine(step)
            for _, step in transformer.steps
        )
    if isinstance(transformer, FunctionTransformer):
        # TransformedTargetRegressor's own transformer when neither
        # transformer nor func is given: the identity.
        return transformer.func is None and transformer.inverse_func is None
    return isinstance(transformer, AFFINE_TRANSFORMERS)


def quiet(method, values):
    """``method(values)`` as a float array, without the transformers' warnings.

    Out-of-domain values are expected here (they are how the domain is
    found): PowerTransformer warns about the NaNs its inverse returns, NumPy
    about the log of a negative number.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(method(values), dtype=np.float64)


def one_line(transformer):
    """The transformer's repr on one line, for error messages."""
    return " ".join(repr(transformer).split())


def fitted_steps(transformer):
    """The fitted steps of a (possibly nested) Pipeline, in transform order."""
    if isinstance(transformer, Pipeline):
        return [
            inner
            for _, step in transformer.steps
            if step is not None and step != "passthrough"
            for inner in fitted_steps(step)
        ]
    return [transformer]


def log_derivative(step, y):
    """``log|f'(y)|`` of one fitted step's ``transform``, column by column.

    ``y`` has shape (n_rows, n_outputs). Raises ValueError where the transform
    is not differentiable.
    """
    if isinstance(step, QuantileTransformer):
        raise ValueError(
            f"logpdf is not available through {one_line(step)}: its transform is "
            "piecewise linear between its n_quantiles knots, not differentiable "
            "at the knots and constant outside the fitted range, where the "
            "mapped distribution has point masses and no density. cdf, ppf, "
            "interval and sample are exact; for a density use a "
            "PowerTransformer or func=np.log"
        )
    if isinstance(step, FunctionTransformer):
        if step.func is None:
            return np.zeros_like(y)
        known = _LOG_DERIVATIVES.get(step.func)
        if known is not None and not step.kw_args:
            with np.errstate(all="ignore"):
                return known(y)
        # A central difference with the step that balances its truncation
        # error (h**2) against rounding (eps / h): relative accuracy ~1e-10
        # for a smooth func.
        h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(y))
        slope = (quiet(step.transform, y + h) - quiet(step.transform, y - h)) / (
            2.0 * h
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.abs(slope))
    if isinstance(step, PowerTransformer):
        log_slope = np.empty_like(y)
        with np.errstate(all="ignore"):
            for j, lmbda in enumerate(step.lambdas_):
                x = y[:, j]
                if step.method == "box-cox":
                    # d/dx (x**l - 1) / l = x**(l - 1), also for l = 0 (log).
                    log_slope[:, j] = (lmbda - 1.0) * np.log(x)
                    log_slope[x <= 0, j] = np.nan
                else:
                    # Yeo-Johnson: (x + 1)**(l - 1) for x >= 0,
                    # (1 - x)**(1 - l) below.
                    log_slope[:, j] = np.where(
                        x >= 0,
                        (lmbda - 1.0) * np.log1p(np.abs(x)),
                        (1.0 - lmbda) * np.log1p(np.abs(x)),
                    )
        if step.standardize:
            log_slope = log_slope - np.log(step._scaler.scale_)
        return log_slope
    if isinstance(step, AFFINE_TRANSFORMERS):
        n_outputs = y.shape[1]
        slope = quiet(step.transform, np.ones((1, n_outputs))) - quiet(
            step.transform, np.zeros((1, n_outputs))
        )
        return np.broadcast_to(np.log(np.abs(slope)), y.shape)
    raise ValueError(
        f"logpdf needs the derivative of {one_line(step)}'s transform, which is not "
        "known for this transformer; known: FunctionTransformer, "
        "PowerTransformer, StandardScaler, MinMaxScaler, MaxAbsScaler, "
        "RobustScaler and Pipelines of these"
    )
