"""The predictive distribution of a target mapped back through a monotone transform.

A :class:`~sklearn.compose.TransformedTargetRegressor` fits its regressor on
``z = f(y)``; the ensemble's mixture is the distribution of ``Z``, and the
target in its original units is ``Y = g(Z)`` with ``g = f^-1`` the fitted
transformer's ``inverse_transform``. When ``g`` is monotone the quantiles, the
CDF and the draws of ``Y`` follow from those of ``Z`` exactly:

- ``Q_Y(q) = g(Q_Z(q))`` for an increasing ``g``, ``g(Q_Z(1 - q))`` for a
  decreasing one (so the ends of a central interval swap);
- ``P(Y <= y) = P(Z <= f(y))``, or ``P(Z >= f(y))`` for a decreasing ``g``;
- a draw of ``Y`` is ``g`` of a draw of ``Z``;
- the density needs the Jacobian, ``log p_Y(y) = log p_Z(f(y)) + log|f'(y)|``,
  so it exists only where ``f`` is differentiable.

No closed form gives the mean or the variance of ``g(Z)``; they are not
offered (``ppf(0.5)`` is the median, ``sample`` gives Monte Carlo moments).
"""

import numpy as np

from ._mixture import MixtureDistribution, central_interval
from ._target_transforms import fitted_steps, log_derivative, one_line, quiet

# The map is checked on the base mixture's range: from the smallest of its
# members' TAIL-quantiles to the largest (1 - TAIL)-quantile, over all entries,
# column by column. Beyond it lies less than TAIL of any entry's probability.
_TAIL = 1e-15
_N_GRID = 2049
# Bisection steps to find where an inverse transform stops being defined:
# enough to shrink any bracket of finite doubles to adjacent floats.
_BISECTIONS = 1100


class TransformedDistribution:
    """The distribution of ``Y = g(Z)``: a mixture mapped by a monotone map.

    ``Z`` follows the ensemble's :class:`~skdeepens.MixtureDistribution`
    (``base``) and ``g`` is the chain of the fitted target transformers'
    ``inverse_transform``, applied column by column. Built by
    :func:`skdeepens.compose.predict_dist` for a
    :class:`~sklearn.compose.TransformedTargetRegressor` whose transform is not
    affine (an affine one keeps the mixture a mixture, which is returned
    instead).

    Quantiles, intervals, the CDF and the draws are exact (the quantiles up to
    the base mixture's root-finding tolerance, mapped through ``g``).
    ``logpdf`` adds the log-Jacobian of the forward transform, analytic for
    NumPy's log and exp family and PowerTransformer, a central difference for
    other FunctionTransformers; a QuantileTransformer has no density to offer
    and raises. The mean and the variance are not available: no closed form
    exists for a non-linear ``g``.

    Parameters
    ----------
    base : MixtureDistribution
        The distribution of the transformed target ``Z``.
    transformers : list of fitted transformers
        Innermost first: ``Y = t_k.inverse_transform(... t_1.inverse_transform(Z))``.
    check_inverse : bool, default=True
        Also check, on the grid below, that the forward ``transform`` undoes
        ``inverse_transform`` (as TransformedTargetRegressor's
        ``check_inverse`` does on the training targets). The CDF and the
        density rely on it.

    Attributes
    ----------
    base : MixtureDistribution
    transformers : list
    shape : tuple of int
        ``base.shape``.
    increasing : ndarray of bool of shape (n_outputs,)
        Whether ``g`` increases, per output.

    Raises
    ------
    ValueError
        When ``g`` is not monotone on the checked grid, not element-wise, or
        (with ``check_inverse``) not undone by the forward transform.

    Notes
    -----
    The map is checked on a grid of 2049 points per output, spanning the
    base mixture's members, over all entries, from their smallest
    ``1e-15``-quantile to their largest ``(1 - 1e-15)``-quantile (less than
    ``1e-15`` of any entry's probability lies beyond): it must be defined on
    an interval of it,
    monotone (non-strictly: a QuantileTransformer is constant beyond its
    fitted range) and not constant. Where the inverse transform is undefined
    at an end of that grid (Box-Cox and Yeo-Johnson inverses with some
    ``lambda`` return NaN beyond a bound), the values there are the limit of
    ``g`` at the bound, found by bisection: ``+inf`` for a Yeo-Johnson
    inverse with ``lambda < 0``, ``0`` for a Box-Cox one with ``lambda > 0``.
    The forward transform must not map values beyond such a finite limit
    back inside (``func=np.square`` on a signed target, whose inverse
    ``np.sqrt`` cannot be undone below zero, is refused).
    """

    def __init__(self, base, transformers, *, check_inverse=True):
        if not isinstance(base, MixtureDistribution):
            raise TypeError(
                "TransformedDistribution needs a MixtureDistribution base; got "
                f"{type(base).__name__}"
            )
        self.base = base
        self.transformers = list(transformers)
        self.check_inverse = check_inverse
        self._name = " then ".join(one_line(t) for t in self.transformers)
        self._check_map()

    @property
    def shape(self):
        """The shape of one draw: ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        return self.base.shape

    @property
    def _n_outputs(self):
        return self.shape[1] if len(self.shape) == 2 else 1

    def __repr__(self):
        return (
            f"{type(self).__name__}(base={self.base!r}, "
            f"transformers=[{', '.join(one_line(t) for t in self.transformers)}])"
        )

    # -- the maps --------------------------------------------------------------

    def _columns(self, values):
        """``values`` as rows of (n_outputs,) for the transformers."""
        return values.reshape(-1, self._n_outputs)

    def _raw_inverse(self, z):
        """``g`` on an array of rows (n_rows, n_outputs), NaN where undefined."""
        for transformer in self.transformers:
            out = quiet(transformer.inverse_transform, z)
            if out.shape != z.shape:
                raise ValueError(
                    f"the target transformer {one_line(transformer)} maps an array of "
                    f"shape {z.shape} back to shape {out.shape}; expected a map "
                    "that keeps the shape"
                )
            z = out
        return z

    def _raw_forward(self, y):
        """``f`` on an array of rows; raises where a transformer refuses ``y``."""
        for transformer in reversed(self.transformers):
            y = quiet(transformer.transform, y)
        return y

    def _per_output(self, values):
        """Per-output values of shape (n_outputs,) as they broadcast on shape."""
        return values if len(self.shape) == 2 else values[0]

    def _inverse(self, z):
        """``g`` on an array broadcast to ``(...,) + shape``, NaNs filled."""
        rows = self._columns(z)
        y = self._raw_inverse(rows)
        # Beyond a bound of the domain, the limit of g at that bound.
        below = rows < self._z_bound[0]
        above = rows > self._z_bound[1]
        y = np.where(below, self._z_limit[0], y)
        y = np.where(above, self._z_limit[1], y)
        return y.reshape(z.shape)

    def _forward(self, y, evaluate):
        """``f(y)`` where ``evaluate``, NaN elsewhere and where f is undefined."""
        safe = np.broadcast_to(self._y_safe, self._columns(y).shape)
        rows = np.where(self._columns(evaluate), self._columns(y), safe)
        try:
            z = self._raw_forward(rows)
        except ValueError:
            # A transformer that refuses values outside its domain (Box-Cox
            # refuses y <= 0): leave out whatever lies beyond the checked image.
            inside = (rows >= self._y_range[0]) & (rows <= self._y_range[1])
            z = self._raw_forward(np.where(inside, rows, safe))
            z = np.where(inside, z, np.nan)
        z = np.where(self._columns(evaluate), z, np.nan)
        return z.reshape(y.shape)

    def _full(self, value, name):
        value = np.asarray(value, dtype=np.float64)
        try:
            shape = np.broadcast_shapes(value.shape, self.shape)
        except ValueError:
            raise ValueError(
                f"{name} of shape {value.shape} does not broadcast against the "
                f"distribution's shape {self.shape}"
            ) from None
        return np.broadcast_to(value, shape)

    # -- the checks ------------------------------------------------------------

    def _column_values(self, j, z_values, fill):
        """``g`` at ``z_values`` for output ``j``, the others held at ``fill``."""
        rows = np.tile(fill, (len(z_values), 1))
        rows[:, j] = z_values
        return self._raw_inverse(rows)[:, j]

    def _bound(self, j, outside, inside, fill):
        """Bisect between an undefined and a defined point of output ``j``."""
        for _ in range(_BISECTIONS):
            middle = 0.5 * outside + 0.5 * inside
            if middle in (outside, inside):
                break
            if np.isnan(self._column_values(j, np.array([middle]), fill)[0]):
                outside = middle
            else:
                inside = middle
        return inside, self._column_values(j, np.array([inside]), fill)[0]

    def _fail(self, reason):
        raise ValueError(
            f"cannot map the predictive mixture through the target transformer "
            f"{self._name}: {reason}"
        )

    def _check_map(self):
        k = self._n_outputs
        # The mixture's TAIL-quantile lies between its members' (its cdf is
        # their average): the members' extremes bound it, without a root search.
        members = self.base.members
        reach = -self.base._family.ppf_lower(_TAIL) * members.scale
        low = self._columns(members.loc - reach).min(axis=0)
        high = self._columns(members.loc + reach).max(axis=0)
        grid = np.linspace(low, high, _N_GRID)  # (n_grid, k)
        values = self._raw_inverse(grid)
        # Element-wise: each value depends on its own entry alone, the
        # premise of mapping quantiles (a map that mixes rows or outputs
        # would give each entry a different g).
        rng = np.random.RandomState(0)
        order = np.stack([rng.permutation(_N_GRID) for _ in range(k)], axis=1)
        shuffled = np.take_along_axis(grid, order, axis=0)
        if not np.allclose(
            self._raw_inverse(shuffled),
            np.take_along_axis(values, order, axis=0),
            rtol=1e-9,
            atol=0.0,
            equal_nan=True,
        ):
            self._fail(
                "its inverse_transform does not act on each value alone (its "
                "result depends on the other rows or outputs); expected an "
                "element-wise monotone map"
            )
        increasing = np.empty(k, dtype=bool)
        z_bound = np.array([np.full(k, -np.inf), np.full(k, np.inf)])
        z_limit = np.full((2, k), np.nan)
        fill = np.empty(k)
        for j in range(k):
            column = values[:, j]
            defined = np.flatnonzero(~np.isnan(column))
            if defined.size < 2 or defined[-1] - defined[0] + 1 != defined.size:
                self._fail(
                    f"its inverse_transform is undefined (NaN) inside the range "
                    f"[{low[j]:.6g}, {high[j]:.6g}] of the transformed target "
                    f"(output {j}) where the ensemble predicts; expected a map "
                    "defined on an interval"
                )
            fill[j] = grid[defined[defined.size // 2], j]
        for j in range(k):
            column = values[:, j]
            defined = np.flatnonzero(~np.isnan(column))
            v = column[defined]
            tol = 1e-12 * np.max(np.abs(v[np.isfinite(v)]), initial=0.0)
            up = bool(np.all(v[1:] >= v[:-1] - tol))
            down = bool(np.all(v[1:] <= v[:-1] + tol))
            if up == down:
                where = "constant" if up else "not monotone"
                if not up:
                    # Where the direction of the first real step first changes.
                    steps = np.diff(v)
                    moves = np.flatnonzero(np.abs(steps) > tol)
                    signs = np.sign(steps[moves])
                    turn = moves[np.flatnonzero(signs != signs[0])[0]]
                    where += f" (it turns near z = {grid[defined[turn], j]:.6g})"
                self._fail(
                    f"its inverse_transform is {where} on the range "
                    f"[{low[j]:.6g}, {high[j]:.6g}] of the transformed target "
                    f"(output {j}) where the ensemble predicts; expected a "
                    "monotone map"
                )
            increasing[j] = up
            if defined[0] > 0:
                z_bound[0, j], z_limit[0, j] = self._bound(
                    j, grid[defined[0] - 1, j], grid[defined[0], j], fill
                )
            if defined[-1] < _N_GRID - 1:
                z_bound[1, j], z_limit[1, j] = self._bound(
                    j, grid[defined[-1] + 1, j], grid[defined[-1], j], fill
                )
        self.increasing = increasing
        self._z_bound = z_bound
        self._z_limit = z_limit
        image = self._inverse(grid)
        self._y_range = np.array([image.min(axis=0), image.max(axis=0)])
        self._y_safe = self._raw_inverse(fill[None])[0]
        self._y_edges = self._edges(image)
        self._check_forward(grid, image)

    def _edges(self, image):
        """The hard ends of the image in y, per output, and their point masses.

        Returns ``(low, high, atom_z)``: an end is a limit of ``g`` at a bound
        of its domain, or a plateau (a QuantileTransformer is constant beyond
        its fitted range); NaN where the image continues. ``atom_z`` is the
        bound behind the low end when it is a limit (``P(Y <= low)`` is the
        mass of Z beyond it), NaN where the forward transform gives it.
        """
        edges = np.full((2, self._n_outputs), np.nan)
        atoms = np.full((2, self._n_outputs), np.nan)
        for end, (first, second) in enumerate(((0, 1), (-1, -2))):
            limit = self._z_limit[end]
            plateau = image[first] == image[second]
            edges[end] = np.where(
                ~np.isnan(limit), limit, np.where(plateau, image[first], np.nan)
            )
            atoms[end] = np.where(~np.isnan(limit), self._z_bound[end], np.nan)
        up = self.increasing
        return (
            np.where(up, edges[0], edges[1]),
            np.where(up, edges[1], edges[0]),
            np.where(up, atoms[0], atoms[1]),
        )

    def _check_forward(self, grid, image):
        """The forward transform is monotone on the image and undoes ``g``."""
        with np.errstate(invalid="ignore"):
            self._check_forward_inner(grid, image)

    def _check_forward_inner(self, grid, image):
        k = self._n_outputs
        # The image's interior, where g is strictly monotone and finite: the
        # points of a plateau or at a limit are not g's inverse images.
        strict = np.zeros_like(image, dtype=bool)
        step = np.diff(image, axis=0) != 0
        strict[1:-1] = step[1:] & step[:-1]
        strict &= np.isfinite(image) & (grid >= self._z_bound[0])
        strict &= grid <= self._z_bound[1]
        evaluate = strict.copy()
        try:
            back = self._forward(image, evaluate)
        except ValueError as exc:
            self._fail(f"its transform fails on the range it maps back to: {exc}")
        # TransformedTargetRegressor's check_inverse, on the image instead of
        # the training targets: y == g(f(y)) with np.allclose's tolerances.
        regained = self._inverse(np.where(np.isnan(back), grid, back))
        for j in range(k):
            on = strict[:, j]
            z, zb = grid[on, j], back[on, j]
            if z.size < 2:
                continue
            monotone = np.all(np.diff(zb) >= 0) or np.all(np.diff(zb) <= 0)
            if not monotone or (
                self.check_inverse
                and not np.allclose(regained[on, j], image[on, j], equal_nan=False)
            ):
                self._fail(
                    "its transform does not undo its inverse_transform on the "
                    f"range [{z[0]:.6g}, {z[-1]:.6g}] of the transformed target "
                    f"(output {j}); expected a monotone transform and its "
                    "inverse"
                )
        # Beyond a finite limit of g, the forward map must not come back: a
        # func=np.square whose inverse np.sqrt stops at 0 maps -1 back to 1.
        for end, side in ((0, -1.0), (1, 1.0)):
            for j in range(k):
                limit = self._z_limit[end, j]
                if not np.isfinite(limit):
                    continue
                span = np.ptp(image[np.isfinite(image[:, j]), j]) or 1.0
                # Beyond the limit in y: below it when g increases towards
                # the lower z bound, and so on.
                outward = side if self.increasing[j] else -side
                probe = limit + outward * span * np.array([1e-3, 1e-2, 1e-1, 1.0])
                rows = np.tile(self._y_safe, (probe.size, 1))
                rows[:, j] = probe
                try:
                    back = self._raw_forward(rows)[:, j]
                except ValueError:
                    continue
                bound = self._z_bound[end, j]
                inside = back > bound if end == 0 else back < bound
                if np.any(inside & np.isfinite(back)):
                    self._fail(
                        f"its transform maps y = {probe[inside][0]:.6g}, beyond "
                        f"the limit {limit:.6g} of its inverse_transform "
                        f"(output {j}), back to z = {back[inside][0]:.6g}, "
                        "inside the range the inverse covers: the transform "
                        "is not monotone"
                    )

    # -- the distribution ------------------------------------------------------

    def _base_cdf(self, z):
        """``P(Z <= z)`` where g increases, ``P(Z >= z)`` where it decreases."""
        increasing = self._per_output(self.increasing)
        if np.all(increasing):
            return self.base.cdf(z)
        if not np.any(increasing):
            return self.base.sf(z)
        return np.where(increasing, self.base.cdf(z), self.base.sf(z))

    def cdf(self, y):
        """``P(Y <= y)``, exactly, through the forward transform.

        Parameters
        ----------
        y : array-like
            Values in the original target units, broadcastable against
            :attr:`shape`.

        Returns
        -------
        cdf : ndarray
            Of the broadcast shape.
        """
        y = self._full(y, "y")
        low, high, atom_z = (self._per_output(v) for v in self._y_edges)
        # Comparisons with NaN (no edge on that side) are False.
        below = y < low
        above = y >= high
        atom = (y == low) & ~np.isnan(atom_z)
        evaluate = ~(below | above | atom | np.isnan(y))
        z = self._forward(y, evaluate)
        # Where f is undefined, y lies beyond the image, on one side of it.
        undefined = evaluate & np.isnan(z)
        side_low = y < self._per_output(self._y_safe)
        # At a limit of g, the point mass of Z beyond the bound.
        z = np.where(atom, atom_z, z)
        out = self._base_cdf(np.where(np.isnan(z), 0.0, z))
        out = np.where(below | (undefined & side_low), 0.0, out)
        out = np.where(above | (undefined & ~side_low), 1.0, out)
        return np.where(np.isnan(y), np.nan, out)

    def ppf(self, q):
        """The quantile function: ``g`` of the base mixture's quantiles.

        Parameters
        ----------
        q : array-like
            Probabilities strictly between 0 and 1, broadcastable against
            :attr:`shape`.

        Returns
        -------
        ppf : ndarray
            The quantiles in the original target units, of the broadcast
            shape. Where ``g`` decreases, ``g(base.ppf(1 - q))``.
        """
        q = np.asarray(q, dtype=np.float64)
        if not np.all((q > 0) & (q < 1)):
            raise ValueError(
                "q must lie strictly between 0 and 1; got values in "
                f"[{np.min(q)!r}, {np.max(q)!r}]"
            )
        q = self._full(q, "q")
        q = np.where(self._per_output(self.increasing), q, 1.0 - q)
        return self._inverse(self.base.ppf(q))

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
        """Draws of the base mixture, mapped by ``g``.

        Parameters
        ----------
        n_samples : int
            The number of draws, at least 1.
        random_state : int, RandomState instance or None, default=None
            Controls the draws; pass an int for reproducible output.

        Returns
        -------
        draws : ndarray of shape (n_samples,) + shape
        """
        # The base mixture checks n_samples.
        return self._inverse(self.base.sample(n_samples, random_state=random_state))

    def logpdf(self, y):
        """Log density: ``base.logpdf(f(y)) + log|f'(y)|``.

        Parameters
        ----------
        y : array-like
            Values in the original target units, broadcastable against
            :attr:`shape`.

        Returns
        -------
        logpdf : ndarray
            Of the broadcast shape; ``-inf`` outside the range ``g`` maps to
            and at the limits where it has point masses.

        Raises
        ------
        ValueError
            When a transformer in the chain has no derivative to offer (a
            QuantileTransformer, or a transformer whose derivative is not
            known).
        """
        y = self._full(y, "y")
        # The Jacobian check first: it is a property of the transformers,
        # whatever y is.
        steps = [step for t in reversed(self.transformers) for step in fitted_steps(t)]
        probe = self._y_safe[None]
        for step in steps:
            log_derivative(step, probe)
            probe = quiet(step.transform, probe)
        low, high, _ = (self._per_output(v) for v in self._y_edges)
        # No density at or beyond an edge of the image (a limit of g or a
        # plateau): only point masses there, or nothing.
        inside = ~np.isnan(y) & ~(y <= low) & ~(y >= high)

        def forward(inside):
            rows = np.where(
                self._columns(inside),
                self._columns(y),
                np.broadcast_to(self._y_safe, self._columns(y).shape),
            )
            log_jacobian = np.zeros_like(rows)
            for step in steps:
                log_jacobian = log_jacobian + log_derivative(step, rows)
                rows = quiet(step.transform, rows)
            return rows.reshape(y.shape), log_jacobian.reshape(y.shape)

        try:
            z, log_jacobian = forward(inside)
        except ValueError:
            # A transformer that refuses values outside its domain (Box-Cox
            # refuses y <= 0): no density beyond the checked image.
            inside &= (y >= self._per_output(self._y_range[0])) & (
                y <= self._per_output(self._y_range[1])
            )
            z, log_jacobian = forward(inside)
        with np.errstate(invalid="ignore"):
            out = self.base.logpdf(np.where(np.isnan(z), 0.0, z)) + log_jacobian
        out = np.where(inside & ~np.isnan(z) & ~np.isnan(out), out, -np.inf)
        return np.where(np.isnan(y), np.nan, out)

    def _no_moment(self, name):
        # An AttributeError, so that hasattr(dist, "mean") is False for code
        # that asks a distribution what it offers.
        return AttributeError(
            f"{name} of a mixture mapped back through {self._name} has no closed "
            "form and is not offered; ppf(0.5) is the median, and "
            "sample(n).mean(axis=0) a Monte Carlo estimate"
        )

    @property
    def mean(self):
        """Not offered (no closed form): raises AttributeError."""
        raise self._no_moment("the mean")

    @property
    def var(self):
        """Not offered (no closed form): raises AttributeError."""
        raise self._no_moment("the variance")

    @property
    def std(self):
        """Not offered (no closed form): raises AttributeError."""
        raise self._no_moment("the standard deviation")
