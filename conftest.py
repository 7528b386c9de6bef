"""Collection rules for the doctests of the package (pytest --doctest-modules)."""

import importlib.util

# Modules that adapt optional clients import them at the top; without the
# client installed there is nothing to run.
collect_ignore = [
    path
    for path, client in [("skdeepens/skpro.py", "skpro")]
    if importlib.util.find_spec(client) is None
]
