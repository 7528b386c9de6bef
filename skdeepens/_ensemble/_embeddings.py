"""Numeric feature embeddings, the host-side half (Gorishniy et al., 2022).

``numeric_embedding`` turns each numeric column of the standardised inputs
into several features before the first dense layer of every member:

* ``"piecewise_linear"``: the piecewise-linear encoding on quantile bins of
  the training rows. Column ``x`` with bin edges ``b_0 <= ... <= b_T`` becomes
  the ``T`` features ``clip((x - b_{t-1}) / (b_t - b_{t-1}), 0, 1)``: 1 for
  the bins below x, x's position inside its own bin, 0 above. The edges are
  fitted here, once per fit, as NumPy state of the estimator; each member's
  own first layer weighs the features, so the members stay independent. The
  features are clipped at both ends, so a value far outside the training
  range is met as the training extreme, never extrapolated. A bin of no
  width (tied quantiles: a 0/1 column has one bin of positive width) is a
  constant 0, as if its duplicate edge were dropped, so that every fit has
  the same input width.
* ``"periodic"``: ``cos(2 pi c x + phi)`` at ``PERIODIC_FREQUENCIES``
  frequencies per column, learned per member (the network's first parameter
  pair, :mod:`skdeepens._core.network`). Nothing is fitted here; bounded in
  ``[-1, 1]`` whatever x is, and drawn differently for each member, these
  features make members disagree far from the data.

The one-hot codes and the missing-value indicators of the encoding
(:mod:`._encoding`) are 0/1 already and pass through unchanged; the numeric
columns are the encoding's leading ``n_numeric`` columns.
"""

from typing import NamedTuple

import numpy as np

# Quantile bins per numeric column of the piecewise-linear encoding (the
# paper's benchmarks tune 2-128; 16 is a middle that keeps the input narrow).
PIECEWISE_LINEAR_BINS = 16
# Learned frequencies per numeric column of the periodic embedding, and the
# standard deviation of their initial normal draw, in cycles per standard
# deviation of the column: 0.1 starts every feature smooth over the data (a
# period of ten standard deviations or more, for most), and training sharpens
# the ones the data ask for.
PERIODIC_FREQUENCIES = 16
PERIODIC_INIT_SIGMA = 0.1


class NumericEmbedding(NamedTuple):
    """The fitted host-side state of a fit's numeric embedding.

    Attributes
    ----------
    kind : {None, "piecewise_linear", "periodic"}
        The estimator's ``numeric_embedding``.
    n_numeric : int
        The leading columns of the standardised inputs that are numeric.
    edges : ndarray of shape (n_numeric, PIECEWISE_LINEAR_BINS + 1) or None
        The bin edges of the piecewise-linear encoding, in standardised units
        (None for the other kinds).
    """

    kind: str | None
    n_numeric: int
    edges: np.ndarray | None = None

    @property
    def n_periodic(self):
        """Leading input columns the members' periodic layer embeds (0: none)."""
        return self.n_numeric if self.kind == "periodic" else 0

    def dense_inputs(self, n_features):
        """Input width of the first dense layer, for ``n_features`` encoded columns.

        Each numeric column becomes one feature per bin (piecewise-linear) or
        per frequency (periodic).
        """
        if self.kind == "piecewise_linear":
            per_column = self.edges.shape[1] - 1
        elif self.kind == "periodic":
            per_column = PERIODIC_FREQUENCIES
        else:
            return n_features
        return n_features + self.n_numeric * (per_column - 1)

    def transform(self, X_std):
        """The network inputs of standardised X (X itself unless piecewise-linear).

        Parameters
        ----------
        X_std : ndarray of shape (n_samples, n_features)

        Returns
        -------
        inputs : ndarray
            Of ``dense_inputs(n_features)`` columns for the piecewise-linear
            encoding; X_std itself otherwise (the periodic embedding is the
            members' first layer).
        """
        if self.kind != "piecewise_linear":
            return X_std
        lower, upper = self.edges[:, :-1], self.edges[:, 1:]
        width = upper - lower
        x = X_std[:, : self.n_numeric, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.clip((x - lower) / width, 0.0, 1.0)
        # A bin of no width (tied quantiles) is a constant 0, as if its edge
        # were dropped (the paper's edges are unique): the step at a tied
        # value is the end of the bin of positive width below it. A step
        # feature instead is 1 on every row for ties at the minimum (a dozen
        # per 0/1 column), and many of those add a large constant to every
        # row's first layer that leaves most units dead (a one-hot frame
        # passed as numbers then fitted worse than its mean).
        features = np.where(width > 0, inside, 0.0)
        features = features.reshape(len(X_std), -1)
        return np.concatenate([features, X_std[:, self.n_numeric :]], axis=1)

    def input_step(self, step):
        """The FGSM step on the network inputs, from the step on X_std.

        A step ``s`` on a column moves its piecewise-linear feature of a bin
        of width ``w`` by ``s / w`` inside the bin: that, at most the
        feature's whole range of 1, is the step of each feature.
        """
        if self.kind != "piecewise_linear":
            return step
        width = np.diff(self.edges, axis=1)
        column_step = step[: self.n_numeric, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.minimum(column_step / width, 1.0)
        # A bin of no width is a constant 0 (see ``transform``).
        per_bin = np.where(width > 0, inside, 0.0)
        return np.concatenate([per_bin.reshape(-1), step[self.n_numeric :]])


# A fit without an embedding, and estimators pickled before there were any.
NO_EMBEDDING = NumericEmbedding(None, 0)


def fit_numeric_embedding(kind, X_std, sample_weight, n_numeric):
    """The embedding's host-side state, fitted on the standardised training rows.

    Parameters
    ----------
    kind : {None, "piecewise_linear", "periodic"}
    X_std : ndarray of shape (n_samples, n_features)
        Standardised (encoded) training inputs.
    sample_weight : ndarray of shape (n_samples,)
        The bins are weighted quantiles of the rows of positive weight.
    n_numeric : int
        X_std's leading numeric columns.

    Returns
    -------
    embedding : NumericEmbedding
    """
    if kind is None:
        return NO_EMBEDDING
    if kind == "periodic":
        return NumericEmbedding(kind, n_numeric)
    positive = sample_weight > 0
    edges = weighted_quantile_edges(
        X_std[positive, :n_numeric], sample_weight[positive], PIECEWISE_LINEAR_BINS
    )
    return NumericEmbedding(kind, n_numeric, edges)


def weighted_quantile_edges(X, weights, n_bins):
    """Each column's weighted quantiles at ``0, 1/n_bins, ..., 1``.

    The quantile at ``q`` is the smallest value whose cumulative weight reaches
    ``q`` of the total (the lowest value at 0, the highest at 1), so every
    edge is a value of the data.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    weights : ndarray of shape (n_samples,), positive
    n_bins : int

    Returns
    -------
    edges : ndarray of shape (n_columns, n_bins + 1), non-decreasing rows
    """
    order = np.argsort(X, axis=0, kind="stable")
    sorted_x = np.take_along_axis(X, order, axis=0)
    cumulative = np.cumsum(weights[order], axis=0)
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.empty((X.shape[1], n_bins + 1))
    for j in range(X.shape[1]):
        # The first row whose cumulative weight reaches each level (with a
        # relative tolerance, so that the level 1 finds the last row).
        targets = levels * cumulative[-1, j] * (1 - 1e-12)
        rows = np.searchsorted(cumulative[:, j], targets, side="left")
        edges[j] = sorted_x[np.minimum(rows, len(X) - 1), j]
    edges[:, 0], edges[:, -1] = sorted_x[0], sorted_x[-1]
    return np.ascontiguousarray(edges)
