"""numpydoc validation of the public API's docstrings against their signatures.

As scikit-learn and imbalanced-learn do (``sklearn/tests/test_docstrings.py``):
every public class, method and function is validated with
:func:`numpydoc.validate.validate`; the shared parameter documentation of the
estimators is spliced together, so a parameter that a reordering drops from a
docstring fails here (PR01), as does one documented out of order (PR03).
"""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

MODULES = [
    "skdeepens",
    "skdeepens.metrics",
    "skdeepens.plotting",
    "skdeepens.datasets",
    "skdeepens.compose",
    "skdeepens.skpro",
]

# Checks not enforced, with the reason (see numpydoc's list of codes).
IGNORED = {
    "ES01",  # extended summary: optional
    "SA01",  # See Also section: optional
    "EX01",  # Examples section: the estimators' and main functions' have them
    "RT02",  # "name : type" return lines, the house style
    "RT03",  # a return that the summary already describes needs no text
    "SS05",  # false positives on summaries that start with a plural noun
    "PR08",  # descriptions may start with a code name ("beta-NLL ...")
    "SS02",  # summaries may start with a lower-case proper name ("skpro ...")
}


def _public_names():
    names = []
    for module_name in MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional client (skpro) is not installed
            continue
        for name in module.__all__:
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if inspect.isclass(obj):
                names.append(qualified)
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if inspect.isfunction(value) or isinstance(
                        value, (classmethod, staticmethod, property)
                    ):
                        names.append(f"{qualified}.{attr}")
            elif inspect.isfunction(obj):
                names.append(qualified)
    return names


PUBLIC = _public_names()


def test_the_public_api_is_found():
    # A broken enumeration would make the test below vacuous.
    assert len(PUBLIC) > 60
    for name in [
        "skdeepens.DeepEnsembleRegressor.fit",
        "skdeepens.DeepEnsembleRegressor.predict_members",
        "skdeepens.DeepEnsembleClassifier.predict_members",
        "skdeepens.MixtureDistribution.ppf",
        "skdeepens.metrics.mixture_crps_loss",
        "skdeepens.plotting.RegressionMembersDisplay.from_estimator",
    ]:
        assert name in PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring(name):
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def _undocumented_y(x, y):
    """Add two numbers.

    Parameters
    ----------
    x : float
        The first.

    Returns
    -------
    total : float
        The sum.
    """
    return x + y


def test_validation_catches_an_undocumented_parameter():
    result = numpydoc_validate.validate(f"{__name__}._undocumented_y")
    assert "PR01" in {code for code, _ in result["errors"]}
