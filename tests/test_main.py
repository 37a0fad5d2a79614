"""Tests of the command line, ``python -m sklearn_linkembed``, as a new user meets it."""

import os
import subprocess
import sys

import pytest

from sklearn_linkembed.__main__ import _parser

# Run the main job as on a clean machine after `pip install .`: importing an optional library
# fails as if it were not installed. (Hiding them with sys.modules[name] = None is not the
# same: scikit-learn's own SVC then reads sys.modules["pandas"].DataFrame and fails.)
_CLEAN_MACHINE = """
import importlib.abc, runpy, sys
OPTIONAL = {"pandas", "gensim", "matplotlib", "hypothesis", "nbclient", "IPython"}

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in OPTIONAL:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
sys.argv = ["sklearn_linkembed"] + sys.argv[1:]
runpy.run_module("sklearn_linkembed", run_name="__main__")
"""


def _run(*args, env=None):
    env = {k: v for k, v in (env or os.environ).items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", _CLEAN_MACHINE, *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.fixture(scope="module")
def clean_run():
    return _run("--epochs", "1", "--quiet", "--embedding-size", "8")


def test_main_job_runs_without_the_optional_libraries(clean_run):
    assert clean_run.returncode == 0, clean_run.stderr[-2000:]
    assert "Films like 'Rogue One'" in clean_run.stdout
    assert "Links like 'George Lucas'" in clean_run.stdout


def test_main_job_hides_tensorflow_start_up_lines(clean_run):
    for noise in ("oneDNN", "cuda", "cpu_feature_guard", "absl::InitializeLog"):
        assert noise not in clean_run.stderr, clean_run.stderr[-2000:]


def test_help_is_plain_text_and_every_option_has_help():
    parser = _parser()
    text = parser.format_help()
    for markup in (":class:", "``", ":func:", ":meth:"):
        assert markup not in text
    assert all(action.help for action in parser._actions)
    options = {opt for action in parser._actions for opt in action.option_strings}
    assert {"--verbose", "--quiet", "--epochs", "--data"} <= options


def test_blocked_module_entries_are_treated_as_absent(monkeypatch):
    """``sys.modules["pandas"] = None`` must not break scikit-learn's checks in the job."""
    import sys

    import numpy as np
    from sklearn.svm import SVC

    from sklearn_linkembed.__main__ import _forget_blocked_modules

    monkeypatch.setitem(sys.modules, "pandas", None)
    _forget_blocked_modules()
    assert "pandas" not in sys.modules or sys.modules["pandas"] is not None
    SVC(kernel="linear").fit(np.random.default_rng(0).random((20, 3)), [0, 1] * 10)
