"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

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
exclude_patterns = ["_build", "examples", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "pydata_sphinx_theme"
html_title = f"skdeepens {version}"
html_theme_options = {"show_toc_level": 2}

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No network in the build: intersphinx is not used for links it cannot fetch.
intersphinx_mapping = {}

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
