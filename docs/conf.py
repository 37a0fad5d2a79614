"""Sphinx configuration of the sklearn_linkembed documentation.

Build (warnings as errors, the gallery examples are executed):

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the package from this checkout even when it is not installed.
sys.path.insert(0, str(ROOT))
# Quieter TensorFlow while examples run (C++ logging goes straight to the terminal).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sklearn_linkembed

# -- Project -----------------------------------------------------------------
project = "sklearn_linkembed"
author = "the sklearn_linkembed developers"
copyright = "sklearn_linkembed developers, BSD-3-Clause"
release = sklearn_linkembed.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "gen_modules/backreferences/*.examples",
                    "auto_examples/*.ipynb", "auto_examples/*.py",
                    "**.zip", "Thumbs.db", ".DS_Store"]
default_role = "py:obj"
nitpicky = False
suppress_warnings = []

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
# Members are listed by the autosummary templates (docs/_templates/autosummary).
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- intersphinx: no network at build time -----------------------------------
# Add e.g. {"sklearn": ("https://scikit-learn.org/stable", None)} where the
# network is reachable; the build here must not fetch anything.
intersphinx_mapping = {}

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Execute every example whose name starts with plot_.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_linkembed",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    # No sg_execution_times.rst written into the source tree.
    "write_computation_times": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    # An example that raises fails the build.
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    "plot_gallery": "True",
}

# -- matplotlib plot directive (figures drawn at build time) ----------------
plot_basedir = str(HERE / "pyplots")
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"savefig.bbox": "tight"}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_linkembed {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}

# Figures drawn by the examples use Agg; keep the console free of GUI warnings.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="FigureCanvasAgg is non-interactive")


# Module docstrings name their functions relative to their module
# (``link_prediction_report`` in sklearn_linkembed.evaluation), while the API
# reference documents every public name where users import it from, the
# package itself. Resolve such references to the package-level entry.
def _resolve_to_package_level(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    parts = target.split(".")
    candidates = [f"sklearn_linkembed.{target}"]
    if parts[0] == "sklearn_linkembed" and len(parts) > 2:
        candidates.append("sklearn_linkembed." + ".".join(parts[2:]))
    domain = env.get_domain("py")
    for candidate in candidates:
        if candidate in domain.objects:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                       candidate, node, contnode)
    return None


def setup(app):
    app.connect("missing-reference", _resolve_to_package_level)
