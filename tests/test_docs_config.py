"""Cheap checks of the documentation's configuration, without building it.

The full check is ``python -m sphinx -W -b html docs docs/_build/html``; these
catch the offline pieces (intersphinx inventories, the local MathJax) and the
table of contents in well under a second.
"""

import ast
import importlib.metadata
import os
import pathlib
import re
import zlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _read_inventory(path):
    """{name: (role, uri)} of a Sphinx inventory (format version 2)."""
    raw = path.read_bytes()
    lines = raw.split(b"\n", 4)
    assert lines[0] == b"# Sphinx inventory version 2", path
    assert lines[3].startswith(b"# The remainder of this file is compressed"), path
    entries = {}
    for line in zlib.decompress(lines[4]).decode().splitlines():
        name, role, _priority, uri, _dispname = line.split(" ", 4)
        if uri.endswith("$"):
            uri = uri[:-1] + name
        entries[name] = (role, uri)
    return entries


def _conf_assignment(name):
    """The literal value assigned to ``name`` at the top level of conf.py."""
    tree = ast.parse((DOCS / "conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"conf.py assigns no {name}")


# One object each docs page links to, with its published URL relative to the
# project's base URL.
EXPECTED = {
    "sklearn": (
        "sklearn.pipeline.Pipeline",
        "modules/generated/sklearn.pipeline.Pipeline.html#sklearn.pipeline.Pipeline",
    ),
    "numpy": ("numpy.ndarray", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
    "scipy": (
        "scipy.stats.norm",
        "reference/generated/scipy.stats.norm.html#scipy.stats.norm",
    ),
    "jax": ("jax.jit", "_autosummary/jax.jit.html#jax.jit"),
}


@pytest.mark.parametrize("project", sorted(EXPECTED))
def test_intersphinx_inventory_is_local_and_has_the_real_urls(project):
    mapping = _conf_assignment("intersphinx_mapping")
    base_url, inventory = mapping[project]
    assert base_url.startswith("https://")
    path = DOCS / inventory
    assert path.is_file(), (
        f"{path} is missing: run docs/_inventories/make_inventories.py"
    )
    # Small enough to keep in the repository.
    assert path.stat().st_size < 200_000
    entries = _read_inventory(path)
    name, uri = EXPECTED[project]
    assert entries[name][1] == uri
    assert all(not u.startswith("http") for _, u in entries.values())


def test_every_library_reference_of_the_pages_is_in_an_inventory():
    entries = {}
    for _, inventory in _conf_assignment("intersphinx_mapping").values():
        entries.update(_read_inventory(DOCS / inventory))
    pattern = re.compile(
        r":(?:class|func|meth|mod|obj|data):`~?((?:sklearn|numpy|"
        r"scipy|jax)\.[\w.]+)`"
    )
    missing = {
        (page.name, name)
        for page in DOCS.glob("*.rst")
        for name in pattern.findall(page.read_text())
        if name not in entries
    }
    assert not missing


def test_mathjax_is_a_local_file_when_the_docs_extra_is_installed():
    try:
        importlib.metadata.distribution("django-static-mathjax")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("django-static-mathjax (the docs extra) is not installed")
    # Run conf.py's own lookup, without importing conf.py (which imports the
    # package and matplotlib).
    tree = ast.parse((DOCS / "conf.py").read_text())
    (func,) = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name == "_local_mathjax"
    ]
    namespace = {"importlib": importlib, "os": os}
    exec(compile(ast.Module([func], []), "conf.py", "exec"), namespace)
    path = namespace["_local_mathjax"]()
    assert path is not None and os.path.isfile(path)
    assert path.endswith(".js")


def _toctree_entries(page):
    text = (DOCS / page).read_text()
    entries = []
    for block in re.findall(r"\.\. toctree::\n((?:   .*\n|\n)+)", text):
        entries += [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.strip().startswith(":")
        ]
    return entries


def test_every_page_is_in_the_table_of_contents():
    entries = _toctree_entries("index.rst")
    assert "tabular" in entries
    pages = {p.stem for p in DOCS.glob("*.rst")} - {"index", "sg_execution_times"}
    assert pages <= set(entries)


def test_theme_files_named_in_conf_exist():
    for css in _conf_assignment("html_css_files"):
        assert (DOCS / "_static" / css).is_file()
    for templates in _conf_assignment("html_sidebars").values():
        for template in templates:
            assert (DOCS / "_templates" / template).is_file()
    assert _conf_assignment("toc_object_entries_show_parents") == "hide"
