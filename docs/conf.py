"""Sphinx configuration of symrecycle's documentation.

Build it with ``python -m sphinx -b html docs docs/_build/html`` (the test suite builds it with
``-W``: a warning is an error). Markdown pages and the tutorial notebook are read by MyST-NB; the
API reference is generated from the numpydoc docstrings by autodoc and napoleon.
"""

from __future__ import annotations

import os

import symrecycle

project = "symrecycle"
author = "the symrecycle developers"
copyright = "2026, the symrecycle developers"
release = symrecycle.__version__
version = release

extensions = [
    "myst_nb",  # Markdown (MyST) pages and notebooks; it loads myst_parser itself
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style sections (Parameters, Returns, Examples)
    "sphinx.ext.mathjax",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

# MyST: $...$ maths, ::: fences, anchors for headings down to ### (the README's #the-derivation-cache)
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# the README's sections are included into pages of their own, under a title of the page's: their
# headings start one level deeper than MyST expects (H1 then H3), which is cosmetic only
suppress_warnings = ["myst.header"]

# the tutorial: executed when the docs are built (the suite executes it once itself and builds with
# nb_execution_mode=off from the executed copy)
nb_execution_mode = os.environ.get("SYMRECYCLE_DOCS_EXECUTE", "auto")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

# autodoc: the documented order is the source's; no signatures' type hints in the text
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

html_theme = "furo"
html_title = f"symrecycle {release}"
html_static_path: list = []
pygments_style = "sphinx"
