"""The scikit-learn layer: validation, scaling, fit orchestration and the estimators.

This is the only package that imports both JAX and scikit-learn. The numerics live
in :mod:`skdeepens._core` (training) and :mod:`skdeepens._mixture` (combining
members); here we validate, standardise, draw each member's randomness, run the
epoch loop with scikit-learn's stopping rules, and keep the fitted state as NumPy.
"""

from ._classifier import DeepEnsembleClassifier
from ._regressor import DeepEnsembleRegressor

__all__ = ["DeepEnsembleClassifier", "DeepEnsembleRegressor"]
