"""skdeepens: Deep Ensembles as scikit-learn estimators on JAX and optax."""

from ._ensemble import DeepEnsembleClassifier, DeepEnsembleRegressor

__version__ = "0.1.0.dev0"

__all__ = ["DeepEnsembleClassifier", "DeepEnsembleRegressor", "__version__"]
