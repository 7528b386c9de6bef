"""Write the local intersphinx inventories of scikit-learn, NumPy, SciPy and JAX.

The documentation builds without a network, so intersphinx cannot fetch the
projects' ``objects.inv``. This script walks the public API of the installed
packages and writes a small Sphinx inventory (format version 2) for each, with
the URLs of the projects' published documentation::

    python docs/_inventories/make_inventories.py

Run it again after a new release of one of them adds names the documentation
wants to link to. Only the main public modules are walked, so that the files
stay small; a name outside them is simply not a link.
"""

import importlib
import inspect
import pathlib
import warnings
import zlib

HERE = pathlib.Path(__file__).resolve().parent

SKLEARN_URL = "https://scikit-learn.org/stable/"
NUMPY_URL = "https://numpy.org/doc/stable/"
SCIPY_URL = "https://docs.scipy.org/doc/scipy/"
JAX_URL = "https://docs.jax.dev/en/latest/"


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted(n for n in names if not n.startswith("_"))


def _methods(cls):
    """Public methods and properties defined by ``cls`` or its bases."""
    out = []
    for name, value in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        if callable(value) or isinstance(value, property):
            out.append(name)
    return out


def _kind(obj):
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


class Inventory:
    def __init__(self, project, version, base_url):
        self.project, self.version, self.base_url = project, version, base_url
        self.entries = {}

    def add(self, name, role, uri, priority=1):
        if uri.endswith("#$"):  # a page whose anchor is the name
            uri = uri[:-1] + name
        # Locations are relative to the project's URL, the first element of its
        # entry in intersphinx_mapping.
        assert uri.startswith(self.base_url), uri
        uri = uri[len(self.base_url) :]
        # The inventory's shorthand: a trailing "$" in the URI stands for the name.
        if uri.endswith("#" + name):
            uri = uri[: -len(name)] + "$"
        self.entries.setdefault((name, role), (priority, uri))

    def write(self, path):
        header = (
            "# Sphinx inventory version 2\n"
            f"# Project: {self.project}\n"
            f"# Version: {self.version}\n"
            "# The remainder of this file is compressed using zlib.\n"
        )
        lines = "".join(
            f"{name} py:{role} {priority} {uri} -\n"
            for (name, role), (priority, uri) in sorted(self.entries.items())
        )
        path.write_bytes(header.encode() + zlib.compress(lines.encode(), 9))
        print(f"{path.name}: {len(self.entries)} objects, {path.stat().st_size} bytes")


def sklearn_inventory():
    import sklearn
    from sklearn.experimental import (  # noqa: F401
        enable_halving_search_cv,
        enable_iterative_imputer,
    )

    inv = Inventory("scikit-learn", sklearn.__version__, SKLEARN_URL)
    skip = {"externals", "experimental"}
    modules = [m for m in sklearn.__all__ if m not in skip and "_" not in m[:1]]
    modules += [
        "base",
        "utils",
        "utils.validation",
        "utils.multiclass",
        "utils.metadata_routing",
        "utils.estimator_checks",
        "utils.discovery",
    ]
    inv.add("sklearn", "module", SKLEARN_URL + "api/index.html", priority=0)
    seen = {}  # id -> object, holding each so that its id is not reused
    for top in [
        "base",
        "clone",
        "config_context",
        "get_config",
        "set_config",
        "show_versions",
    ]:
        obj = getattr(sklearn, top, None)
        if obj is not None and top != "base":
            name = f"sklearn.{top}"
            page = SKLEARN_URL + f"modules/generated/{name}.html#{name}"
            inv.add(name, _kind(obj), page)
    for short in modules:
        modname = f"sklearn.{short}"
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        top_page = modname.split(".")[0] + "." + short.split(".")[0]
        inv.add(
            modname,
            "module",
            SKLEARN_URL + f"api/{top_page}.html#module-{modname}",
            priority=0,
        )
        for attr in _public_names(module):
            obj = getattr(module, attr, None)
            if obj is None or inspect.ismodule(obj):
                continue
            defined_in = getattr(obj, "__module__", None) or ""
            if not defined_in.startswith("sklearn"):
                continue  # an import from elsewhere (numpy, the standard library)
            if not hasattr(module, "__all__") and not (
                defined_in == modname or defined_in.startswith(modname + "._")
            ):
                continue  # without __all__, only what the module defines itself
            if id(obj) in seen:
                continue  # documented once, under the first public module
            seen[id(obj)] = obj
            name = f"{modname}.{attr}"
            page = SKLEARN_URL + f"modules/generated/{name}.html"
            kind = _kind(obj)
            inv.add(name, kind, f"{page}#{name}")
            if kind == "class":
                for meth in _methods(obj):
                    member = f"{name}.{meth}"
                    inv.add(member, "method", f"{page}#{member}")
    return inv


def numpy_inventory():
    import numpy as np

    inv = Inventory("NumPy", np.__version__, NUMPY_URL)
    ref = NUMPY_URL + "reference/"
    inv.add("numpy", "module", ref + "index.html#module-numpy", priority=0)
    for attr in _public_names(np):
        obj = getattr(np, attr, None)
        name = f"numpy.{attr}"
        if obj is None or inspect.ismodule(obj):
            continue
        if inspect.isclass(obj) and issubclass(obj, np.generic):
            inv.add(name, "class", ref + f"arrays.scalars.html#{name}")
        elif isinstance(obj, (float, int)) or obj is np.newaxis:
            inv.add(name, "data", ref + f"constants.html#{name}")
        elif callable(obj):
            kind = _kind(obj)
            page = ref + f"generated/{name}.html"
            inv.add(name, kind, f"{page}#{name}")
    for meth in _methods(np.ndarray):
        name = f"numpy.ndarray.{meth}"
        inv.add(name, "method", ref + f"generated/{name}.html#{name}")
    random = ref + "random/"
    inv.add("numpy.random", "module", random + "index.html#module-numpy.random", 0)
    inv.add("numpy.random.Generator", "class", random + "generator.html#$")
    inv.add("numpy.random.default_rng", "function", random + "generator.html#$")
    inv.add("numpy.random.RandomState", "class", random + "legacy.html#$")
    for meth in _methods(np.random.Generator):
        name = f"numpy.random.Generator.{meth}"
        inv.add(name, "method", random + f"generated/{name}.html#{name}")
    inv.add(
        "numpy.linalg", "module", ref + "routines.linalg.html#module-numpy.linalg", 0
    )
    for attr in _public_names(np.linalg):
        obj = getattr(np.linalg, attr)
        if inspect.isfunction(obj):
            name = f"numpy.linalg.{attr}"
            inv.add(name, "function", ref + f"generated/{name}.html#{name}")
    return inv


def scipy_inventory():
    import scipy

    inv = Inventory("SciPy", scipy.__version__, SCIPY_URL)
    ref = SCIPY_URL + "reference/"
    inv.add("scipy", "module", ref + "index.html#module-scipy", priority=0)
    for short in ["stats", "special", "optimize", "integrate", "interpolate", "linalg"]:
        modname = f"scipy.{short}"
        module = importlib.import_module(modname)
        inv.add(modname, "module", ref + f"{short}.html#module-{modname}", 0)
        for attr in _public_names(module):
            obj = getattr(module, attr, None)
            if obj is None or inspect.ismodule(obj):
                continue
            name = f"{modname}.{attr}"
            page = ref + f"generated/{name}.html"
            # Distributions (scipy.stats.norm) are instances, documented as data.
            is_dist = isinstance(
                obj, scipy.stats.rv_continuous | scipy.stats.rv_discrete
            )
            kind = "data" if is_dist else _kind(obj)
            if kind == "data" and not is_dist:
                continue
            inv.add(name, kind, f"{page}#{name}")
            if kind == "class":
                for meth in _methods(obj):
                    member = f"{name}.{meth}"
                    inv.add(member, "method", f"{ref}generated/{member}.html#{member}")
    return inv


def jax_inventory():
    import jax

    inv = Inventory("JAX", jax.__version__, JAX_URL)
    auto = JAX_URL + "_autosummary/"
    pages = {
        "jax": "jax.html",
        "jax.numpy": "jax.numpy.html",
        "jax.random": "jax.random.html",
        "jax.lax": "jax.lax.html",
        "jax.nn": "jax.nn.html",
        "jax.tree_util": "jax.tree_util.html",
    }
    for modname, page in pages.items():
        module = importlib.import_module(modname)
        inv.add(modname, "module", JAX_URL + f"{page}#module-{modname}", 0)
        for attr in _public_names(module):
            obj = getattr(module, attr, None)
            if obj is None or inspect.ismodule(obj) or not callable(obj):
                continue
            name = f"{modname}.{attr}"
            inv.add(name, _kind(obj), auto + f"{name}.html#{name}")
    return inv


def main():
    warnings.simplefilter("ignore")
    for filename, build in [
        ("sklearn.inv", sklearn_inventory),
        ("numpy.inv", numpy_inventory),
        ("scipy.inv", scipy_inventory),
        ("jax.inv", jax_inventory),
    ]:
        build().write(HERE / filename)


if __name__ == "__main__":
    main()
