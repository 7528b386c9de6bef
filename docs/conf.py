"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

import importlib.metadata
import os
import re
import sys
import warnings

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, os.path.abspath(".."))

import skdeepens  # noqa: E402

project = "skdeepens"
author = "The skdeepens developers"
copyright = "The skdeepens developers"
version = release = skdeepens.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_inventories",
    "examples",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
]
html_theme = "pydata_sphinx_theme"
html_title = f"skdeepens {version}"
html_theme_options = {"show_toc_level": 2}
# Every page, guide or reference, shows the whole table of contents on the left:
# the theme's default shows only the pages nested under the current top-level
# page, and the guide pages have none.
html_sidebars = {"**": ["sidebar-global-nav.html"]}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# "On this page" lists a class's methods by their own names ("fit()"), not as
# "DeepEnsembleRegressor.fit()", which the sidebar clipped to the same prefix.
toc_object_entries_show_parents = "hide"

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The build has no network: intersphinx reads small local inventories written by
# docs/_inventories/make_inventories.py, with the projects' published URLs.
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
    "jax": ("https://docs.jax.dev/en/latest/", "_inventories/jax.inv"),
}


def _local_mathjax():
    """The MathJax 3 bundle of the django-static-mathjax package, or None.

    One file renders all of TeX to SVG with no fonts to fetch, so the pages'
    math works offline; it is copied into ``_static`` at build time.
    """
    try:
        dist = importlib.metadata.distribution("django-static-mathjax")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = dist.locate_file("mathjax/static/mathjax/es5/tex-svg-full.js")
    return str(path) if os.path.isfile(path) else None


_mathjax = _local_mathjax()
if _mathjax is not None:
    html_static_path.append(_mathjax)
    mathjax_path = os.path.basename(_mathjax)
else:  # not the docs extra: Sphinx's default, MathJax from a CDN
    print("django-static-mathjax is not installed: the math loads from a CDN")

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

# The estimators' fixed schedule (n_iter_no_change=np.inf) warns nothing; any
# other warning raised while an example runs should still be seen.
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")


def _skip_metadata_requests(app, what, name, obj, skip, options):
    # scikit-learn's generated set_{fit,predict,score}_request methods document
    # metadata routing with links into scikit-learn's own documentation.
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
