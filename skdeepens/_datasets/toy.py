"""The seed practical's toy problems: the cubic regression and the spirals."""

import numpy as np
from sklearn.utils import check_random_state


def make_cubic(n_samples=40, *, noise=3.0, x_range=(-4, 4), random_state=None):
    """Generate the cubic toy regression problem ``y = x**3 + noise``.

    The one-dimensional data set of the Deep Ensembles paper (figure 1) and of the
    seed practical: inputs uniform on ``x_range``, targets ``x**3`` plus Gaussian
    noise. Outside ``x_range`` there is no data, which is where an ensemble's
    epistemic uncertainty should grow.

    Parameters
    ----------
    n_samples : int, default=40
        Number of points.
    noise : float, default=3.0
        Standard deviation of the Gaussian noise added to ``x**3``.
    x_range : tuple of two floats, default=(-4, 4)
        Interval the inputs are drawn from, uniformly.
    random_state : int, RandomState instance or None, default=None
        Seed for the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
        The inputs.
    y : ndarray of shape (n_samples,)
        The noisy targets.

    Examples
    --------
    >>> from skdeepens.datasets import make_cubic
    >>> X, y = make_cubic(n_samples=20, random_state=0)
    >>> X.shape, y.shape
    ((20, 1), (20,))
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative; got {noise!r}")
    low, high = x_range
    if not low < high:
        raise ValueError(
            f"x_range must be (low, high) with low < high; got {x_range!r}"
        )
    rng = check_random_state(random_state)
    x = rng.uniform(low, high, size=int(n_samples))
    y = x**3 + rng.normal(0.0, noise, size=x.shape)
    return x.reshape(-1, 1), y


def make_spirals(
    n_samples_per_class=1000, n_classes=3, *, noise=0.3, random_state=None
):
    """Generate the seed practical's spiral classification data.

    Class ``j`` follows an arm of a spiral: radius ``r`` evenly from 0 to 1, angle
    ``t`` evenly from ``8 j`` to ``8 (j + 1)`` plus Gaussian noise of standard
    deviation ``noise * (r + 1)``, and the point is ``(r sin t, r cos t)``.

    Parameters
    ----------
    n_samples_per_class : int, default=1000
        Number of points of each class.
    n_classes : int, default=3
        Number of spiral arms (classes), at least 2.
    noise : float, default=0.3
        Scale of the angular noise.
    random_state : int, RandomState instance or None, default=None
        Seed for the noise.

    Returns
    -------
    X : ndarray of shape (n_samples_per_class * n_classes, 2)
        The points.
    y : ndarray of shape (n_samples_per_class * n_classes,)
        The class of each point, 0 to ``n_classes - 1``.

    Examples
    --------
    >>> from skdeepens.datasets import make_spirals
    >>> X, y = make_spirals(n_samples_per_class=10, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((30, 2), [0, 1, 2])
    """
    if int(n_samples_per_class) != n_samples_per_class or n_samples_per_class < 1:
        raise ValueError(
            "n_samples_per_class must be a positive integer; "
            f"got {n_samples_per_class!r}"
        )
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative; got {noise!r}")
    rng = check_random_state(random_state)
    n = int(n_samples_per_class)
    X = np.empty((n * int(n_classes), 2))
    y = np.empty(n * int(n_classes), dtype=np.int64)
    radius = np.linspace(0.0, 1.0, n)
    for j in range(int(n_classes)):
        rows = slice(j * n, (j + 1) * n)
        angle = np.linspace(8.0 * j, 8.0 * (j + 1), n)
        angle = angle + rng.normal(size=n) * noise * (radius + 1.0)
        X[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        y[rows] = j
    return X, y
