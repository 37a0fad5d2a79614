"""The ``benchmarks`` package: every module imports, every script's parser works, the
shared parser parses, and the scripts keep to the public API (but for one hook).

Fast (no benchmark runs): modules import TensorFlow, Keras and gensim lazily, and a
module whose optional import (gensim, keras) is missing is skipped, as
``pytest.importorskip`` would.
"""

import ast
import contextlib
import importlib
import importlib.util
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "benchmarks"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")
SCRIPTS = [name for name in MODULES if not name.startswith("_")]
OPTIONAL = {"gensim", "keras"}


@pytest.fixture(scope="module", autouse=True)
def _benchmarks_importable():
    """``python -m pytest`` from the root finds the package; plain ``pytest`` may not."""
    with pytest.MonkeyPatch.context() as mp:
        if importlib.util.find_spec("benchmarks") is None:
            mp.syspath_prepend(str(ROOT))
        yield


def _import(name):
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"benchmarks.{name} needs {exc.name}, not installed")
        raise
    assert Path(module.__file__).resolve().parent == PACKAGE, module.__file__
    return module


def test_there_are_benchmarks():
    assert "_common" in MODULES and len(SCRIPTS) >= 10, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    _import(name)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_help(name):
    """Every script has ``main(argv)``, whose parser (the shared one, extended) gives help."""
    module = _import(name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert "usage:" in out.getvalue()


def test_shared_parser():
    common = _import("_common")
    parser = common.make_parser(__doc__)
    args = parser.parse_args([])
    assert (args.data, args.min_count, args.rows, args.holdout) == ("films", 3, None, 0.0)
    assert args.results_dir == common.RESULTS_DIR
    args = parser.parse_args(["--data", "films", "--rows", "10"])
    assert (args.data, args.rows) == ("films", 10)

    parser = common.make_parser(__doc__, data=("synthetic", "films"), holdout=0.1, seed=5,
                                params=True, isolate=True)
    args = parser.parse_args(["--data", "films", "--params", '{"epochs": 2}'])
    assert (args.data, args.holdout, args.seed, args.params, args.in_process) == (
        ["films"], 0.1, 5, {"epochs": 2}, False)
    assert parser.parse_args([]).data == ["synthetic", "films"]

    parser = common.make_parser(__doc__, graph=("min_count",), results=False)
    assert vars(parser.parse_args([])) == {"min_count": 3}
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        common.make_parser(__doc__, params=True).parse_args(["--params", "[1]"])


def _private_uses(tree):
    """``sys.path`` edits and private names (``sklearn_linkembed._x``, ``obj._x``) in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("sklearn_linkembed._")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "sklearn_linkembed"):
            if node.module.startswith("sklearn_linkembed._"):
                found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute):
            own = isinstance(node.value, ast.Name) and node.value.id == "self"  # a class's own
            if node.attr.startswith("_") and not node.attr.startswith("__") and not own:
                found.append(f".{node.attr}")
            if node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                found.append("sys.path")
    return found


def _parse(name):
    return ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", [name for name in MODULES if name != "_common"])
def test_public_api_only(name):
    """Private code is reached through ``_common.engine_for`` only; no script edits sys.path."""
    assert _private_uses(_parse(name)) == []


def test_one_internal_hook():
    """In ``_common``, private names appear in ``engine_for`` and nowhere else."""
    tree = _parse("_common")
    hook = [node for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "engine_for"]
    assert len(hook) == 1 and "one internal hook" in ast.get_docstring(hook[0])
    assert _private_uses(hook[0])  # the hook does reach private code
    rest = ast.Module(body=[node for node in tree.body if node not in hook], type_ignores=[])
    assert _private_uses(rest) == []


def test_throughput_rounds_print_every_ratio_and_their_median(capsys):
    module = _import("bench_throughput")

    def one_round(steady, whole):
        return [{"method": "reference (Keras fit)", "ratio": 1.0, "fit_ratio": 1.0},
                {"method": "LinkEmbedder defaults", "optimizer": "default", "batch_size": 512,
                 "negative_sampling": "link", "negative_sharing": 4, "ratio": steady,
                 "fit_ratio": whole}]

    module._print_medians([one_round(10.0, 8.0), one_round(14.0, 12.0), one_round(12.0, 9.0)])
    out = capsys.readouterr().out
    assert "reference" not in out.split("\n", 1)[1]
    assert "batch 512, link, shared by 4: steady 10.00x, 14.00x, 12.00x (median 12.00x)" in out
    assert "whole fit 8.00x, 12.00x, 9.00x (median 9.00x)" in out
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        module.main(["--rounds", "0"])


def test_collector_clock_times_collections_by_generation_while_it_watches():
    import gc

    common = _import("_common")
    with common.CollectorClock() as clock:
        gc.collect()  # a full collection
        gc.collect(0)
    assert clock.seconds.get(2, 0) > 0 and clock.seconds.get(0, 0) > 0
    assert clock.total == sum(clock.seconds.values())
    total = clock.total
    gc.collect()  # after the block: not counted, and the callback is gone
    assert clock.total == total and clock._callback not in gc.callbacks


def test_profile_step_profiles_the_scaling_graph_without_a_fit(capsys, monkeypatch):
    module = _import("profile_step")
    monkeypatch.setattr(module, "phases", lambda *a: pytest.fail("--pairs skips the fit"))
    module.main(["--pairs", "3e4", "--steps", "3", "--params", '{"batch_size": 256}'])
    out = capsys.readouterr().out
    # bench_scaling's graph: a row per 100 pairs and a link column per 14 pairs
    assert "power-law graph: 300 rows x 2,100 link columns, 30,000 pairs" in out
    assert "step (batch 256, 10 negatives" in out
