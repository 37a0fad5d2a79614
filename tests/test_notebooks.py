"""The example notebook runs end to end and prints what its text describes.

The notebook is executed with nbclient in a temporary copy (about a minute on
two cores). The saved notebook keeps its outputs; to refresh them after a
change, execute it in place with::

    python tests/test_notebooks.py
"""

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebooks" / "movie_recommender.ipynb"
KERNEL = "python3"
CELL_TIMEOUT = 300
# TensorFlow's C++ start-up messages are written to file descriptor 2 before any
# log setting applies; leave them in the terminal instead of the saved outputs.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]
NEIGHBOUR_LINE = re.compile(r"^\s+(-?\d+\.\d{3})\s{2}(.+)$")


def _execute(path):
    """Execute the notebook at ``path`` in its folder; return it with its outputs."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT, extra_arguments=KERNEL_ARGS,
        coalesce_streams=True, record_timing=False,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute()
    return nb


def _text(cell):
    """Everything a code cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _output_of(nb, marker):
    """The text output of the one code cell whose output contains ``marker``."""
    found = [_text(cell) for cell in _code_cells(nb) if marker in _text(cell)]
    assert len(found) == 1, f"{len(found)} cells print {marker!r}"
    return found[0]


def _neighbours(nb, header):
    """The (score, key) lines printed under ``header`` by the notebook's ``show``."""
    lines = _output_of(nb, header).split(header, 1)[1].splitlines()[1:]
    neighbours = []
    for line in lines:
        match = NEIGHBOUR_LINE.match(line)
        if not match:
            break
        neighbours.append((float(match[1]), match[2]))
    return neighbours


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebook")
    copy = folder / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    return _execute(copy)


@pytest.fixture(scope="module")
def titles():
    from sklearn_linkembed import load_wikipedia_movies

    return set(load_wikipedia_movies().titles)


def test_notebook_runs_without_error(executed):
    errors = [output for cell in _code_cells(executed) for output in cell.outputs
              if output["output_type"] == "error"]
    assert not errors, errors[0]["ename"] + ": " + errors[0]["evalue"]
    assert all(cell.execution_count for cell in _code_cells(executed))


def test_notebook_counts_links_like_the_seed(executed):
    counted = _output_of(executed, "Number of pairs:")
    assert re.search(r"Number of links: [\d,]+", counted)
    # The Counter cell prints (link, count) tuples, most common first.
    printed = [_text(cell) for cell in _code_cells(executed) if "most_common(" in cell.source]
    assert len(printed) == 1
    counts = [int(n) for n in re.findall(r"\('[^']+', (\d+)\)", printed[0])]
    assert len(counts) == 10 and counts == sorted(counts, reverse=True)


def test_fit_shows_a_progress_bar(executed):
    fitted = _output_of(executed, "Trained in")
    assert "epoch 1/" in fitted and "loss=" in fitted


def test_rogue_one_neighbours_are_other_films(executed, titles):
    neighbours = _neighbours(executed, "Films like 'Rogue One':")
    assert len(neighbours) == 10
    assert all(title in titles for _, title in neighbours)
    assert "Rogue One" not in [title for _, title in neighbours]
    scores = [score for score, _ in neighbours]
    assert scores == sorted(scores, reverse=True)


def test_toy_story_neighbours_include_its_sequel(executed):
    neighbours = [title for _, title in _neighbours(executed, "Films like 'Toy Story':")]
    assert "Toy Story 2" in neighbours


def test_george_lucas_neighbours_are_links(executed):
    neighbours = _neighbours(executed, "Links like 'George Lucas':")
    assert len(neighbours) == 10
    assert "George Lucas" not in [name for _, name in neighbours]


def test_svm_ranks_best_and_worst_films(executed, titles):
    ranked = _output_of(executed, "Best:")
    assert "Worst:" in ranked
    best = _neighbours(executed, "Best:")
    worst = _neighbours(executed, "Worst:")
    assert len(best) == len(worst) == 5
    assert all(title in titles for _, title in best + worst)
    assert min(score for score, _ in best) > max(score for score, _ in worst)


def test_regression_is_compared_with_the_mean(executed):
    printed = _output_of(executed, "Mean squared error using linear regression:")
    errors = dict(re.findall(r"Mean squared error using (.+?): (\d+\.\d+)", printed))
    assert set(errors) == {"linear regression", "just the mean"}
    assert all(0 < float(value) < 1 for value in errors.values())


def test_link_prediction_report_shows_the_popularity_baseline(executed):
    report = _output_of(executed, "held-out pairs:")
    for name in ("model", "popularity", "item-kNN"):  # sampled and full-ranking measures
        assert re.search(rf"^{name}(\s+[\d.]+){{5}}$", report, re.MULTILINE), name


def test_notebook_draws_its_figures(executed):
    images = [output for cell in _code_cells(executed) for output in cell.outputs
              if "image/png" in output.get("data", {})]
    assert len(images) >= 2  # the loss curve and the map


def test_saved_notebook_is_executed_in_order():
    """The notebook in the repository carries the outputs of one top-to-bottom run."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    cells = _code_cells(nb)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    assert all(cell.outputs for cell in cells if "print(" in cell.source or "show(" in cell.source)
    assert not [output for cell in cells for output in cell.outputs
                if output["output_type"] == "error"]


def main():
    """Execute the notebook in place, saving its outputs."""
    import nbformat

    nb = _execute(NOTEBOOK)
    nbformat.write(nb, NOTEBOOK)
    print(f"executed and saved {NOTEBOOK}")


if __name__ == "__main__":
    sys.exit(main())
