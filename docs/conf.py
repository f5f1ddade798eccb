"""Sphinx configuration for the vi documentation."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

from vi._version import __version__  # noqa: E402

project = "vi"
author = "the vi developers"
release = __version__
version = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"
source_suffix = {".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
