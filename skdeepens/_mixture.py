"""Combining ensemble members into one prediction, and splitting its uncertainty.

The ensemble's prediction is the uniformly weighted mixture of its members
(Lakshminarayanan et al., 2017, section 2.4). Every function here works on NumPy
arrays whose first axis runs over the members, so the same code serves a fitted
estimator and hand-built members in the tests.
"""

import numbers

import numpy as np
from scipy import special
from sklearn.utils import Bunch, check_random_state

from ._families import POINT, get_family, member_variance


def regression_uncertainty(loc, scale, family):
    """Mean and variance split of a uniform mixture of regression members.

    With member means ``mu_m`` and member variances ``s2_m`` (Lakshminarayanan
    et al., 2017, section 2.4), the mixture mean is ``mean_m(mu_m)`` and its
    variance ``mean_m(s2_m + mu_m**2) - mean**2``. That variance splits exactly
    into the aleatoric part ``mean_m(s2_m)`` (the noise the members expect) and
    the epistemic part ``mean_m(mu_m**2) - mean**2`` (the members'
    disagreement, the variance of their means).

    Parameters
    ----------
    loc : ndarray of shape (n_members, ...)
        The members' means (Gaussian) or locations (Laplace; the Laplace mean
        is its location).
    scale : ndarray of shape (n_members, ...) or None
        The members' scales; ``None`` for ``family="point"``.
    family : str
        The members' distribution family, a key of
        ``skdeepens._families.FAMILIES``, or ``"point"``.

    Returns
    -------
    result : Bunch
        ``mean``, ``total``, ``aleatoric`` and ``epistemic``, each of shape
        ``loc.shape[1:]``. The last three are variances and
        ``total`` is defined as ``aleatoric + epistemic``.
    """
    loc = np.asarray(loc, dtype=np.float64)
    mean = loc.mean(axis=0)
    # The variance of the members' means, computed around the mean rather than as
    # mean(mu**2) - mean**2: the two are equal in exact arithmetic, but the
    # centred form does not cancel catastrophically when |mean| >> spread.
    epistemic = np.mean(np.square(loc - mean), axis=0)
    if family == POINT:
        aleatoric = np.zeros_like(mean)
    else:
        variance = member_variance(np.asarray(scale, dtype=np.float64), family)
        aleatoric = variance.mean(axis=0)
    return Bunch(
        mean=mean,
        total=aleatoric + epistemic,
        aleatoric=aleatoric,
        epistemic=epistemic,
    )


def entropy(proba, axis=-1):
    """Shannon entropy in nats, with ``0 log 0 = 0``.

    Parameters
    ----------
    proba : ndarray
        Probabilities that sum to one along ``axis``.
    axis : int, default=-1
        The axis over the classes.

    Returns
    -------
    entropy : ndarray
        ``-sum(p * log p)`` along ``axis``; never negative.
    """
    proba = np.asarray(proba, dtype=np.float64)
    # where= keeps log(0) from being evaluated at all: no warning, 0 log 0 = 0.
    log_proba = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return np.maximum(-np.sum(proba * log_proba, axis=axis), 0.0)


def classification_uncertainty(member_proba):
    """Averaged probabilities and the entropy split of a classification ensemble.

    The total uncertainty is the entropy of the averaged probabilities ``H(p)``;
    the aleatoric (data) part is the members' average entropy ``mean_m H(p_m)``;
    the epistemic (knowledge) part is their difference, which is the
    Jensen-Shannon divergence between the members (the mutual information
    between the prediction and the choice of member). By the concavity of the
    entropy it is never negative.

    Parameters
    ----------
    member_proba : ndarray of shape (n_members, n_samples, n_classes)
        Each member's predicted class probabilities.

    Returns
    -------
    result : Bunch
        ``proba`` of shape (n_samples, n_classes), and ``total``, ``aleatoric``,
        ``epistemic`` of shape (n_samples,), in nats, with
        ``total == aleatoric + epistemic``.
    """
    member_proba = np.asarray(member_proba, dtype=np.float64)
    proba = member_proba.mean(axis=0)
    total = entropy(proba)
    aleatoric = np.minimum(entropy(member_proba).mean(axis=0), total)
    # Rounding can push the average entropy a hair above H(p) when the members
    # agree; clipping keeps the epistemic part >= 0 and the sum exact.
    epistemic = total - aleatoric
    return Bunch(proba=proba, total=total, aleatoric=aleatoric, epistemic=epistemic)


# ---------------------------------------------------------------------------
# The predictive distribution
# ---------------------------------------------------------------------------

# Enough steps to shrink any bracket of finite doubles to the tolerance even
# at bisection's pace; in practice about 10 suffice.
_MAX_ITERATIONS = 1200


def central_interval(ppf, confidence):
    """``ppf((1 - confidence) / 2)`` and ``ppf((1 + confidence) / 2)``.

    The central interval holding ``confidence`` of the probability mass of
    the distribution whose quantile function is ``ppf``; ``confidence`` must
    lie strictly between 0 and 1.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    if not np.all((confidence > 0) & (confidence < 1)):
        raise ValueError(
            "confidence must lie strictly between 0 and 1; got "
            f"{confidence if confidence.ndim == 0 else confidence.tolist()!r}"
        )
    return ppf(0.5 - 0.5 * confidence), ppf(0.5 + 0.5 * confidence)


class MixtureDistribution:
    """The ensemble's predictive distribution: a uniform mixture of its members.

    Each entry (one sample, one output) has its own univariate distribution: the
    equally weighted mixture of the members' Gaussian or Laplace components
    (Lakshminarayanan et al., 2017, section 2.4). Every method is exact (the
    quantiles up to a stated root-finding tolerance) and vectorised over the
    entries.

    Parameters
    ----------
    loc : array-like of shape (n_members, n_samples) or \
            (n_members, n_samples, n_outputs)
        The members' means (Gaussian) or locations (Laplace), in the target's
        original units.
    scale : array-like of the same shape as ``loc``
        The members' standard deviations (Gaussian) or scales ``b`` (Laplace,
        whose variance is ``2 b**2``). Finite and strictly positive.
    family : {"gaussian", "laplace"}
        The members' distribution family.

    Attributes
    ----------
    family : str
        The members' distribution family.
    n_members : int
        The number of mixture components.
    shape : tuple of int
        The shape of one draw: ``(n_samples,)`` or ``(n_samples, n_outputs)``.

    See Also
    --------
    regression_uncertainty : The mean and the variance split of the mixture.

    Notes
    -----
    Arguments of :meth:`logpdf`, :meth:`cdf` and :meth:`ppf` broadcast against
    :attr:`shape` with NumPy's rules (aligned on the trailing axes), so a column
    of values ``y[:, None]`` evaluates every value at every sample.

    For several outputs, each output's marginal is the mixture of that
    output's member components; :meth:`sample` draws one member per sample and
    uses it for all the outputs, which is the ensemble's joint distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens import MixtureDistribution
    >>> loc = np.array([[0.0, 10.0], [2.0, 10.0]])  # 2 members, 2 samples
    >>> scale = np.ones((2, 2))
    >>> dist = MixtureDistribution(loc, scale, "gaussian")
    >>> dist
    MixtureDistribution(family='gaussian', n_members=2, shape=(2,))
    >>> dist.mean()
    array([ 1., 10.])
    >>> dist.var()  # aleatoric 1 plus epistemic (1 for the first sample, 0)
    array([2., 1.])
    >>> dist.cdf([1.0, 10.0])  # both mixtures are symmetric about their mean
    array([0.5, 0.5])
    >>> lower, upper = dist.interval(0.95)
    >>> np.round(upper, 4)  # the second sample is N(10, 1): 10 + 1.96
    array([ 3.6461, 11.96  ])
    >>> dist.sample(1000, random_state=0).shape
    (1000, 2)
    """

    def __init__(self, loc, scale, family):
        self._family = get_family(family)
        loc = np.array(loc, dtype=np.float64)
        scale = np.array(scale, dtype=np.float64)
        if loc.ndim not in (2, 3) or loc.shape[0] < 1:
            raise ValueError(
                "loc must have shape (n_members, n_samples) or "
                f"(n_members, n_samples, n_outputs) with n_members >= 1; "
                f"got shape {loc.shape}"
            )
        if scale.shape != loc.shape:
            raise ValueError(
                f"scale must have the shape of loc {loc.shape}; got {scale.shape}"
            )
        if not np.all(np.isfinite(loc)):
            raise ValueError("loc must be finite; got NaN or infinite values")
        bad = ~(np.isfinite(scale) & (scale > 0))
        if np.any(bad):
            raise ValueError(
                "scale must be finite and > 0; got "
                f"{np.count_nonzero(bad)} bad value(s), e.g. {scale[bad][0]!r}"
            )
        loc.flags.writeable = False
        scale.flags.writeable = False
        self._loc = loc
        self._scale = scale
        self.family = family
        self.n_members = loc.shape[0]

    @property
    def shape(self):
        """The shape of one draw: ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        return self._loc.shape[1:]

    @property
    def members(self):
        """The mixture components, as ``Bunch(loc=..., scale=...)``.

        Both arrays have shape ``(n_members,) + shape`` and are read-only.
        """
        return Bunch(loc=self._loc, scale=self._scale)

    def __repr__(self):
        return (
            f"{type(self).__name__}(family={self.family!r}, "
            f"n_members={self.n_members}, shape={self.shape})"
        )

    def mean(self):
        """The mixture mean, the average of the members' means.

        Returns
        -------
        mean : ndarray of shape ``shape``
        """
        return self._loc.mean(axis=0)

    def var(self):
        """The mixture variance, aleatoric plus epistemic.

        Returns
        -------
        var : ndarray of shape ``shape``
            ``regression_uncertainty(loc, scale, family).total``.
        """
        return regression_uncertainty(self._loc, self._scale, self.family).total

    def std(self):
        """The mixture standard deviation, ``sqrt(var())``.

        Returns
        -------
        std : ndarray of shape ``shape``
        """
        return np.sqrt(self.var())

    def _broadcast(self, value, name):
        """``value`` and the members' loc, scale broadcast to a common shape.

        The members' arrays get shape ``(n_members, *out_shape)``.
        """
        value = np.asarray(value, dtype=np.float64)
        try:
            out_shape = np.broadcast_shapes(value.shape, self.shape)
        except ValueError:
            raise ValueError(
                f"{name} of shape {value.shape} does not broadcast against the "
                f"distribution's shape {self.shape}"
            ) from None
        lead = (1,) * (len(out_shape) - len(self.shape))
        member_shape = (self.n_members, *out_shape)
        loc = np.broadcast_to(
            self._loc.reshape((self.n_members, *lead, *self.shape)), member_shape
        )
        scale = np.broadcast_to(
            self._scale.reshape((self.n_members, *lead, *self.shape)), member_shape
        )
        return np.broadcast_to(value, out_shape), loc, scale

    def logpdf(self, y):
        """Log of the mixture density.

        Computed as a log-sum-exp over the members' log densities minus
        ``log(n_members)``, so it stays finite far in the tails, where the
        density itself underflows to zero.

        Parameters
        ----------
        y : array-like
            Values, broadcastable against :attr:`shape`.

        Returns
        -------
        logpdf : ndarray
            The natural log density, of the broadcast shape.
        """
        y, loc, scale = self._broadcast(y, "y")
        # An overflowing square is a density of exactly zero: -inf is right.
        with np.errstate(over="ignore"):
            member = self._family.logpdf(y, loc, scale)
        return special.logsumexp(member, axis=0) - np.log(self.n_members)

    def cdf(self, y):
        """The mixture's cumulative distribution function.

        Parameters
        ----------
        y : array-like
            Values, broadcastable against :attr:`shape`.

        Returns
        -------
        cdf : ndarray
            ``P(Y <= y)``, of the broadcast shape.
        """
        y, loc, scale = self._broadcast(y, "y")
        with np.errstate(over="ignore"):
            z = (y - loc) / scale
        # The cdf at z is the survival function at -z (every family is
        # symmetric), which keeps the lower tail's relative precision.
        return self._family.sf(-z).mean(axis=0)

    def sf(self, y):
        """The mixture's survival function, ``P(Y > y)``.

        Computed from the members' upper tails, so it keeps its relative
        precision where ``1 - cdf(y)`` would round to zero.

        Parameters
        ----------
        y : array-like
            Values, broadcastable against :attr:`shape`.

        Returns
        -------
        sf : ndarray
            ``P(Y > y)``, of the broadcast shape.
        """
        y, loc, scale = self._broadcast(y, "y")
        with np.errstate(over="ignore"):
            z = (y - loc) / scale
        return self._family.sf(z).mean(axis=0)

    def ppf(self, q):
        """The mixture's quantile function, the inverse of :meth:`cdf`.

        The mixture's ``q``-quantile lies between the smallest and the largest
        of the members' ``q``-quantiles (the mixture cdf is their average). A
        bracketing root search on that interval, over all entries at once
        (Newton's method safeguarded by bisection), stops when the bracket is
        narrower than ``1e-10`` times the smallest member scale of the entry
        (or than the floating-point resolution). For ``q > 0.5`` it solves
        ``P(Y > x) = 1 - q`` instead, so upper quantiles are as accurate as
        lower ones.

        Parameters
        ----------
        q : array-like
            Probabilities strictly between 0 and 1, broadcastable against
            :attr:`shape`.

        Returns
        -------
        ppf : ndarray
            The quantiles, of the broadcast shape.
        """
        q = np.asarray(q, dtype=np.float64)
        if not np.all((q > 0) & (q < 1)):
            raise ValueError(
                "q must lie strictly between 0 and 1; got values in "
                f"[{np.min(q)!r}, {np.max(q)!r}]"
            )
        q, loc, scale = self._broadcast(q, "q")
        out_shape = q.shape
        q = q.reshape(-1)
        loc = loc.reshape(self.n_members, -1)
        scale = scale.reshape(self.n_members, -1)
        # Work with the tail probability p = min(q, 1 - q) <= 1/2 and a sign
        # that maps the lower-tail problem onto the upper one.
        upper = q > 0.5
        p = np.where(upper, 1.0 - q, q)
        sign = np.where(upper, 1.0, -1.0)
        z_lower = self._family.ppf_lower(p)
        member_quantiles = loc - sign * scale * z_lower
        lo = member_quantiles.min(axis=0)
        hi = member_quantiles.max(axis=0)
        xtol = 1e-10 * scale.min(axis=0)

        def tolerance(lo, hi, xtol):
            resolution = 4.0 * np.spacing(np.maximum(np.abs(lo), np.abs(hi)))
            return np.maximum(xtol, resolution)

        def excess_and_slope(x, idx):
            # An increasing function of x that vanishes at the quantile:
            # P(Y <= x) - p below the median, p - P(Y > x) above it, each
            # computed in the tail where it keeps its relative precision;
            # its derivative is the mixture density.
            with np.errstate(over="ignore"):
                z = (x - loc[:, idx]) / scale[:, idx]
                density = self._family.density(z) / scale[:, idx]
            tail_mass = self._family.sf(sign[idx] * z).mean(axis=0)
            return sign[idx] * (p[idx] - tail_mass), density.mean(axis=0)

        # Newton's method safeguarded by the bracket (Numerical Recipes'
        # rtsafe): a Newton step when it stays inside the bracket and at
        # least halves the previous step, else bisection.
        x = member_quantiles.mean(axis=0)
        previous_step = np.full(q.size, np.inf)
        active = hi - lo > tolerance(lo, hi, xtol)
        for _ in range(_MAX_ITERATIONS):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            xi = x[idx]
            excess, slope = excess_and_slope(xi, idx)
            move_lo = excess < 0
            lo[idx] = l = np.where(move_lo, xi, lo[idx])
            hi[idx] = h = np.where(move_lo, hi[idx], xi)
            exact = excess == 0
            lo[idx[exact]] = xi[exact]
            tol = tolerance(l, h, xtol[idx])
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                newton = xi - excess / slope
            step = np.abs(newton - xi)
            use_newton = (
                (newton >= l) & (newton <= h) & (step <= 0.5 * previous_step[idx])
            )
            new = np.where(use_newton, newton, 0.5 * l + 0.5 * h)
            previous_step[idx] = np.where(use_newton, step, 0.5 * (h - l))
            # Stay at least tol/2 inside the bracket: once an end sits on the
            # root, the next point lands within tol/2 past it and closes the
            # bracket (Brent's device), however Newton approached.
            x[idx] = np.clip(new, l + 0.45 * tol, h - 0.45 * tol)
            active[idx] = (h - l > tol) & ~exact
        return (0.5 * lo + 0.5 * hi).reshape(out_shape)

    def interval(self, confidence):
        """The central interval holding ``confidence`` of the probability mass.

        Parameters
        ----------
        confidence : float or array-like
            Strictly between 0 and 1, e.g. 0.95.

        Returns
        -------
        lower, upper : ndarray
            ``ppf((1 - confidence) / 2)`` and ``ppf((1 + confidence) / 2)``.
        """
        return central_interval(self.ppf, confidence)

    def sample(self, n_samples, random_state=None):
        """Draw from the mixture: a member uniformly, then from that member.

        Parameters
        ----------
        n_samples : int
            The number of draws, at least 1.
        random_state : int, RandomState instance or None, default=None
            Controls the draws; pass an int for reproducible output.

        Returns
        -------
        draws : ndarray of shape (n_samples,) + shape
            Draw ``i`` of sample ``j`` comes from one member for all outputs.
        """
        if (
            not isinstance(n_samples, numbers.Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}")
        rng = check_random_state(random_state)
        n_points = self.shape[0]
        member = rng.randint(self.n_members, size=(n_samples, n_points))
        points = np.arange(n_points)
        loc = self._loc[member, points]
        scale = self._scale[member, points]
        return loc + scale * self._family.draw(rng, loc.shape)

    def moment_matched(self):
        """The Gaussian with the mixture's mean and variance.

        The paper evaluates the ensemble with this single Gaussian
        (Lakshminarayanan et al., 2017, section 2.4).

        Returns
        -------
        dist : MixtureDistribution
            One ``"gaussian"`` member with ``loc = mean()`` and
            ``scale = std()``.
        """
        return type(self)(self.mean()[None], self.std()[None], "gaussian")


# ---------------------------------------------------------------------------
# Quantiles and intervals with a trailing axis over the levels
# ---------------------------------------------------------------------------


def check_levels(value, name, *, scalar=True):
    """Probability levels strictly inside (0, 1), as a float64 array.

    The one check of levels: a float or a non-empty 1-D sequence for the
    predictive intervals and quantiles, a non-empty 1-D sequence only
    (``scalar=False``) for the calibration metrics' ``levels``; the message
    names ``name`` and what was expected.
    """
    try:
        levels = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        levels = None
    well_shaped = (
        levels is not None
        and levels.size > 0
        and (levels.ndim <= 1 if scalar else levels.ndim == 1)
    )
    if well_shaped and np.all((levels > 0) & (levels < 1)):
        return levels
    if scalar:
        raise ValueError(
            f"{name} must be a float or a non-empty 1-D sequence of floats "
            f"strictly between 0 and 1; got {value!r}"
        )
    if not well_shaped:
        raise ValueError(f"{name} must be a non-empty 1-D array; got {value!r}")
    raise ValueError(
        f"{name} must lie strictly between 0 and 1; got {levels.tolist()!r}"
    )


def _ppf_levels(dist, levels):
    """``dist.ppf`` at each level; a 1-D ``levels`` adds a last axis over them."""
    q = dist.ppf(levels.reshape(levels.shape + (1,) * len(dist.shape)))
    return np.moveaxis(q, 0, -1) if levels.ndim else q


def predictive_quantiles(dist, alpha):
    """Quantiles of ``dist`` at the probabilities ``alpha``, in skpro's sense.

    Parameters
    ----------
    dist : MixtureDistribution
        The predictive distribution, of shape ``(n_samples,)`` or
        ``(n_samples, n_outputs)``.
    alpha : float or array-like of shape (n_alpha,)
        Probabilities strictly between 0 and 1.

    Returns
    -------
    quantiles : ndarray of shape ``dist.shape``, or ``dist.shape + (n_alpha,)``
        when ``alpha`` is a sequence.
    """
    return _ppf_levels(dist, check_levels(alpha, "alpha"))


def predictive_interval(dist, coverage):
    """Central intervals of ``dist`` holding ``coverage`` of its mass.

    Parameters
    ----------
    dist : MixtureDistribution
        The predictive distribution.
    coverage : float or array-like of shape (n_coverage,)
        Nominal coverages strictly between 0 and 1.

    Returns
    -------
    lower, upper : ndarray of shape ``dist.shape``, or
        ``dist.shape + (n_coverage,)`` when ``coverage`` is a sequence: the
        quantiles at ``(1 - coverage) / 2`` and ``(1 + coverage) / 2``.
    """
    coverage = check_levels(coverage, "coverage")
    return (
        _ppf_levels(dist, 0.5 - 0.5 * coverage),
        _ppf_levels(dist, 0.5 + 0.5 * coverage),
    )
