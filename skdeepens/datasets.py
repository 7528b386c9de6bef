"""Data sets: the seed practical's toy problems and the UCI regression benchmark.

- :func:`make_cubic` and :func:`make_spirals`: the toy regression and
  classification problems.
- :func:`load_uci_regression` and :func:`fetch_uci_regression`: the UCI
  regression data sets with the standard train/test splits.

The code lives in the private package ``skdeepens._datasets``, one module per
topic (``toy``, ``uci``).
"""

from ._datasets.toy import make_cubic, make_spirals
from ._datasets.uci import fetch_uci_regression, load_uci_regression

__all__ = [
    "fetch_uci_regression",
    "load_uci_regression",
    "make_cubic",
    "make_spirals",
]
