"""Helpers shared by the benchmark scripts: data, timing, peak memory, results.

Not a benchmark itself. Every script loads its graph with :func:`load_data`, so
all methods of one run see the same rows x links matrix, with the same column
order; vectors saved by :func:`save_vectors` are indexed by those rows and
columns. Figures go to ``benchmarks/results/<name>.jsonl`` (one JSON object a
line, appended) through :func:`write_result`, and ``make_table.py`` turns them
into the README's table.
"""

import argparse
import concurrent.futures
import dataclasses
import datetime
import importlib.metadata
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"

try:
    import sklearn_linkembed  # noqa: F401
except ImportError:  # a source checkout that is not installed
    sys.path.insert(0, str(ROOT))

DATASETS = ("films", "synthetic")

# Fewer TensorFlow start-up lines on stderr (it still prints a few).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclasses.dataclass
class Data:
    """A rows x links graph after ``min_count``, as every benchmark sees it.

    ``X`` is binary CSR (float32, sorted indices). ``pairs_rows`` and
    ``pairs_links`` list its true pairs in the notebook's order (row by row,
    each row's links in input order), which is what the reference batchifier
    samples from.
    """

    name: str
    X: sp.csr_matrix
    row_names: list
    link_names: list
    pairs_rows: np.ndarray
    pairs_links: np.ndarray
    min_count: int
    rows: int | None = None
    extra: dict = dataclasses.field(default_factory=dict)
    holdout: float = 0.0
    X_test: sp.csr_matrix | None = None

    @property
    def n_rows(self):
        return self.X.shape[0]

    @property
    def n_links(self):
        return self.X.shape[1]

    @property
    def n_pairs(self):
        return self.X.nnz

    @property
    def tag(self):
        """Name for files: ``films``, or ``films-2000rows`` for a cut graph."""
        tag = self.name if self.rows is None else f"{self.name}-{self.rows}rows"
        return tag if not self.holdout else f"{tag}-holdout{self.holdout:g}"

    def describe(self):
        return (f"{self.name}{'' if self.rows is None else f' (first {self.rows:,} rows)'}: "
                f"{self.n_rows:,} rows x {self.n_links:,} links, "
                f"{self.n_pairs:,} pairs (links in >= {self.min_count} rows)"
                + ("" if not self.holdout else
                   f", training part: {self.holdout:g} of each row's links "
                   f"({self.X_test.nnz:,} pairs) held out"))


def load_data_from_args(args):
    """:func:`load_data` (and :func:`split_data`) with :func:`add_common_arguments`' options."""
    data = load_data(args.data, min_count=args.min_count, rows=args.rows)
    return split_data(data, getattr(args, "holdout", 0.0))


def load_data(name, *, min_count=3, rows=None):
    """Load ``"films"`` (the bundled Wikipedia films) or ``"synthetic"`` (seed-shaped graph).

    ``rows`` keeps the first rows only (smoke tests). Links in fewer than
    ``min_count`` of the rows are then dropped, as the notebook did
    (``top_links``). For ``"films"`` the kept links are numbered in order of
    first appearance, like the notebook's ``link_to_index``; rows are films by
    position (titles are unique in the bundled data, but positions avoid the
    notebook's ``movie_to_index`` collapsing repeated titles).
    """
    from sklearn_linkembed.datasets import load_wikipedia_movies, make_seed_shaped_graph

    if name == "films":
        movies = load_wikipedia_movies()
        # Duplicate links of one film count once, as in LinkEmbedder.
        lists = [list(dict.fromkeys(links)) for links in movies.links[:rows]]
        counts = Counter(link for links in lists for link in links)
        link_names = [link for link, count in counts.items() if count >= min_count]
        link_to_index = {link: i for i, link in enumerate(link_names)}
        ids = [[link_to_index[link] for link in links if link in link_to_index] for links in lists]
        pairs_rows = np.repeat(np.arange(len(ids), dtype=np.int64), [len(r) for r in ids])
        pairs_links = np.fromiter((j for r in ids for j in r), dtype=np.int64,
                                  count=len(pairs_rows))
        X = _csr(pairs_rows, pairs_links, (len(ids), len(link_names)))
        return Data(name, X, list(movies.titles[:rows]), link_names, pairs_rows, pairs_links,
                    min_count, rows, {"rotten_tomatoes": movies.rotten_tomatoes[:rows]})
    if name == "synthetic":
        X, row_communities, link_communities = make_seed_shaped_graph(random_state=0)
        X = sp.csr_matrix(X[:rows], dtype=np.float32)
        row_communities = row_communities[:rows]
        keep = np.flatnonzero(np.diff(X.tocsc().indptr) >= min_count)
        X = X[:, keep].tocsr()
        X.sort_indices()
        pairs_rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
        pairs_links = X.indices.astype(np.int64)
        return Data(name, X, list(range(X.shape[0])), [f"l{j}" for j in keep],
                    pairs_rows, pairs_links, min_count, rows,
                    {"row_communities": row_communities,
                     "link_communities": link_communities[keep]})
    raise ValueError(f"unknown data {name!r}; expected one of {DATASETS}")


def split_data(data, holdout, *, random_state=0):
    """Hold out ``holdout`` of each row's links for link prediction.

    Returns a copy of ``data`` whose ``X`` and pairs (still in the notebook's
    order) are the training part and whose ``X_test`` is the held-out part, by
    ``sklearn_linkembed.evaluation.train_test_split_links`` with a fixed seed,
    so every script that splits the same graph gets the same parts.
    """
    if not holdout:
        return data
    # Optional: the evaluation module is the link-prediction split's only source.
    from sklearn_linkembed.evaluation import train_test_split_links

    X_train, X_test = train_test_split_links(data.X, test_size=holdout,
                                             random_state=random_state)
    X_train = sp.csr_matrix(X_train, dtype=np.float32)
    X_train.sort_indices()
    keys = data.pairs_rows * data.n_links + data.pairs_links
    train_keys = (np.repeat(np.arange(data.n_rows, dtype=np.int64), np.diff(X_train.indptr))
                  * data.n_links + X_train.indices)  # sorted: CSR with sorted indices
    position = np.minimum(np.searchsorted(train_keys, keys), len(train_keys) - 1)
    kept = train_keys[position] == keys
    return dataclasses.replace(data, X=X_train, pairs_rows=data.pairs_rows[kept],
                               pairs_links=data.pairs_links[kept], holdout=holdout,
                               X_test=sp.csr_matrix(X_test, dtype=np.float32))


def _csr(rows, cols, shape):
    X = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    X.sum_duplicates()
    X.data[:] = 1.0
    X.sort_indices()
    return X


def add_common_arguments(parser, *, data="films", holdout=0.0):
    """``--data``, ``--min-count``, ``--holdout``, ``--rows`` and ``--results-dir``."""
    parser.add_argument("--data", choices=DATASETS, default=data,
                        help=f"graph to train on (default: {data})")
    parser.add_argument("--min-count", type=int, default=3,
                        help="drop links in fewer rows (default: 3, the notebook's)")
    parser.add_argument("--holdout", type=float, default=holdout,
                        help="fraction of each row's links held out for link prediction "
                             "(needs sklearn_linkembed.evaluation; 0: train on everything)")
    parser.add_argument("--rows", type=int, default=None,
                        help="keep the first ROWS rows only, for a smoke test (default: all)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where .jsonl figures and .npy vectors go "
                             "(default: benchmarks/results; use a scratch folder for smoke runs)")
    return parser


def parser(doc):
    return argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


# -- timing and memory -------------------------------------------------------

class Timer:
    """``with Timer() as t: ...``; then ``t.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = None
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (``getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _call_and_measure(function, args, kwargs):
    result = function(*args, **kwargs)
    return result, peak_rss_mib()


def isolated(function, *args, isolate=True, **kwargs):
    """Run ``function(*args, **kwargs)``; returns ``(result, peak_rss_mib)``.

    With ``isolate`` (the default) it runs in a fresh process (spawned: no
    TensorFlow state, thread pools or memory shared with earlier methods), so
    the peak memory is that method's own. ``function`` and its arguments must
    be picklable (a module-level function of the script).
    """
    if not isolate:
        return _call_and_measure(function, args, kwargs)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_call_and_measure, function, args, kwargs).result()


# -- results -----------------------------------------------------------------

def environment():
    """What a figure depends on besides the code: machine, versions, commit."""
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    # Installed versions, read without importing (the methods run in child processes).
    for name, distribution in (("numpy", "numpy"), ("scipy", "scipy"), ("sklearn", "scikit-learn"),
                               ("tensorflow", "tensorflow"), ("keras", "keras"),
                               ("gensim", "gensim")):
        try:
            info[name] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            info[name] = None
    try:
        info["commit"] = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    return info


def write_result(name, record, results_dir=RESULTS_DIR):
    """Append ``record`` (plus time and environment) to ``<results_dir>/<name>.jsonl``."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    line = {"benchmark": name,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **record, "environment": environment()}
    path = results_dir / f"{name}.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, default=_jsonable) + "\n")
    return path


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def save_vectors(method, data, row_vectors, link_vectors, results_dir=RESULTS_DIR):
    """Save ``<method>_<data>_rows.npy`` and ``..._links.npy``; returns their paths.

    Rows and links are indexed like ``load_data(data).X`` (rows by position,
    links by column); a link a method gave no vector is a row of zeros.
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, vectors in (("rows", row_vectors), ("links", link_vectors)):
        path = results_dir / f"{method}_{data}_{kind}.npy"
        np.save(path, np.asarray(vectors, dtype=np.float32))
        paths.append(path)
    return paths


def load_vectors(method, data, results_dir=RESULTS_DIR):
    """The ``(row_vectors, link_vectors)`` saved by :func:`save_vectors`."""
    return tuple(np.load(Path(results_dir) / f"{method}_{data}_{kind}.npy")
                 for kind in ("rows", "links"))


def new_run_id():
    """Groups the records of one run of a script (``make_table.py`` shows the latest run)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{os.getpid()}"
