"""skdeepens: Deep Ensembles as scikit-learn estimators on JAX and optax."""

from ._ensemble import DeepEnsembleClassifier, DeepEnsembleRegressor
from ._mixture import MixtureDistribution

__version__ = "0.1.0.dev0"

__all__ = [
    "DeepEnsembleClassifier",
    "DeepEnsembleRegressor",
    "MixtureDistribution",
    "__version__",
]
