"""What the benchmark scripts share: their argument parser, data, fits, timing, memory, scores.

Not a benchmark itself. Scripts run from the repository root as modules of the
``benchmarks`` package (``python -m benchmarks.bench_baselines --data films``)
and import this one relatively (``from . import _common``):

* :func:`make_parser`: the one argument parser; every script extends it with
  its own options. The graph options (``--data``, ``--min-count``, ``--rows``,
  ``--holdout``), ``--results-dir``, ``--seed``, ``--params`` and
  ``--in-process`` are defined here only.
* :func:`load_data_from_args`: every script's graph, so all methods of one run
  see the same rows x links matrix, with the same column order; vectors saved
  by :func:`save_vectors` are indexed by those rows and columns.
* :func:`fit_linkembedder`, :func:`score_vectors`, :func:`rotten_tomatoes_scores`:
  a timed fit (TensorFlow imported before the clock) and the quality figures.
* :func:`engine_for`: **the one internal hook** into ``sklearn_linkembed``'s
  private code, for the benchmarks that time training steps rather than fits.
  Nothing else in ``benchmarks/`` uses a private name of the library.
* :func:`write_result`: figures go to ``benchmarks/results/<name>.jsonl`` (one
  JSON object a line, appended), and ``make_table`` turns them into the
  README's table.
"""

import argparse
import concurrent.futures
import dataclasses
import datetime
import gc
import importlib.metadata
import json
import logging
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"

DATASETS = ("films", "synthetic")
GRAPH_OPTIONS = ("data", "min_count", "rows", "holdout")

# Fewer TensorFlow start-up lines on stderr (it still prints a few).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def module_command(name, *args):
    """The command line that runs ``benchmarks.<name>`` in a fresh Python (with ``cwd=ROOT``)."""
    return [sys.executable, "-m", f"{__package__ or 'benchmarks'}.{name}", *map(str, args)]


# -- the argument parser -------------------------------------------------------

def make_parser(doc, *, graph=True, data="films", holdout=0.0, results=True, seed=None,
                params=False, isolate=False):
    """The argument parser of a benchmark script, which adds its own options to it.

    Parameters
    ----------
    doc : str
        The script's docstring; its first paragraph is the description.
    graph : bool or iterable of str
        The graph options (:data:`GRAPH_OPTIONS`, read by :func:`load_data_from_args`):
        ``--data``, ``--min-count``, ``--rows`` and ``--holdout``; ``True`` for all,
        ``False`` for none, or the names of some (``("min_count",)``).
    data : str or tuple of str
        The default of ``--data``; a tuple takes one or more graphs (``nargs="+"``).
    holdout : float
        The default of ``--holdout``.
    results : bool
        Add ``--results-dir`` (default ``benchmarks/results``).
    seed : int or None
        Add ``--seed`` with this default.
    params : bool
        Add ``--params``: ``LinkEmbedder`` parameters as a JSON object, parsed.
    isolate : bool
        Add ``--in-process`` (else each method runs in a fresh process, :func:`isolated`).
    """
    script = Path(sys.argv[0])  # a module of this package run with -m: its usage says so
    prog = (f"python -m {__package__ or 'benchmarks'}.{script.stem}"
            if script.suffix == ".py" and script.resolve().parent == Path(__file__).resolve().parent
            else None)
    parser = argparse.ArgumentParser(prog=prog, description=doc.strip().split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    options = set(GRAPH_OPTIONS if graph is True else graph or ())
    unknown = options - set(GRAPH_OPTIONS)
    if unknown:
        raise ValueError(f"unknown graph options {sorted(unknown)}; expected {GRAPH_OPTIONS}")
    if "data" in options:
        several = isinstance(data, (tuple, list))
        parser.add_argument("--data", choices=DATASETS, default=list(data) if several else data,
                            nargs="+" if several else None,
                            help="graph(s) to train on" if several else "graph to train on")
    if "min_count" in options:
        parser.add_argument("--min-count", type=int, default=3,
                            help="drop links in fewer rows (the notebook's 3)")
    if "rows" in options:
        parser.add_argument("--rows", type=int, default=None,
                            help="keep the first ROWS rows only, for a smoke test (default: all)")
    if "holdout" in options:
        parser.add_argument("--holdout", type=float, default=holdout,
                            help="fraction of each row's links held out for link prediction "
                                 "(0: train on everything)")
    if results:
        parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                            help="where .jsonl figures and .npy vectors go "
                                 "(use a scratch folder for smoke runs)")
    if seed is not None:
        parser.add_argument("--seed", type=int, default=seed, help="random seed (random_state)")
    if params:
        parser.add_argument("--params", type=json_object, default={},
                            help="LinkEmbedder parameters as a JSON object, on top of its "
                                 "defaults (default: {})")
    if isolate:
        parser.add_argument("--in-process", action="store_true",
                            help="run every method in this process (peak memory is then "
                                 "cumulative, and TensorFlow's state shared)")
    return parser


def json_object(text):
    """An argparse type: a JSON object (``{"epochs": 4}``), parsed."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object such as '{\"epochs\": 4}'")
    return value


# -- data --------------------------------------------------------------------

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
    def graph_tag(self):
        """The graph's name for files: ``films``, or ``films-2000rows`` for a cut graph."""
        return self.name if self.rows is None else f"{self.name}-{self.rows}rows"

    @property
    def tag(self):
        """:attr:`graph_tag` and the split: ``films-holdout0.1``."""
        tag = self.graph_tag
        return tag if not self.holdout else f"{tag}-holdout{self.holdout:g}"

    def describe(self):
        return (f"{self.name}{'' if self.rows is None else f' (first {self.rows:,} rows)'}: "
                f"{self.n_rows:,} rows x {self.n_links:,} links, "
                f"{self.n_pairs:,} pairs (links in >= {self.min_count} rows)"
                + ("" if not self.holdout else
                   f", training part: {self.holdout:g} of each row's links "
                   f"({self.X_test.nnz:,} pairs) held out"))


def load_data_from_args(args, name=None):
    """:func:`load_data` and :func:`split_data` with :func:`make_parser`'s graph options.

    ``name`` overrides ``args.data`` (for a script that takes several graphs).
    """
    data = load_data(name or args.data, min_count=getattr(args, "min_count", 3),
                     rows=getattr(args, "rows", None))
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
    from sklearn_linkembed import load_wikipedia_movies, make_seed_shaped_graph

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
    ``sklearn_linkembed.train_test_split_links`` with a fixed seed, so every
    script that splits the same graph gets the same parts.
    """
    if not holdout:
        return data
    from sklearn_linkembed import train_test_split_links

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


# -- LinkEmbedder: a timed fit, its epochs, and the one internal hook -------------------

def import_tensorflow():
    """Import TensorFlow now, before any clock starts; returns the seconds that took.

    ``LinkEmbedder`` imports TensorFlow lazily, at its first fit. A process pays
    that once, not per fit, so benchmarks that time fits import it first (as
    they import Keras for the reference and gensim for Doc2Vec) and report the
    import apart.
    """
    start = time.perf_counter()
    import tensorflow  # noqa: F401

    return time.perf_counter() - start


def vectors_by_column(estimator, n_links):
    """A fitted ``LinkEmbedder``'s ``(row_vectors, link_vectors)`` for a matrix input.

    Link vectors are indexed by the input's columns (``estimator.links_``); a
    column dropped by ``min_count`` gets a row of zeros.
    """
    links = np.zeros((n_links, estimator.link_vectors_.vectors.shape[1]), dtype=np.float32)
    links[np.asarray(estimator.links_, dtype=np.int64)] = estimator.link_vectors_.vectors
    return estimator.row_vectors_.vectors, links


def fit_linkembedder(X, params, seed):
    """Fit ``LinkEmbedder(random_state=seed, **params)`` on ``X``, TensorFlow imported first.

    Returns ``(row_vectors, link_vectors by column, fit seconds, import seconds)``;
    module-level, so :func:`isolated` can run it in a fresh process.
    """
    import_s = import_tensorflow()
    from sklearn_linkembed import LinkEmbedder

    estimator = LinkEmbedder(random_state=seed, **params)
    with Timer() as timer:
        estimator.fit(X)
    return *vectors_by_column(estimator, X.shape[1]), timer.seconds, import_s


class EpochClock(logging.Handler):
    """The end time (``perf_counter``) of each epoch of the ``LinkEmbedder`` fits it watches.

    ``with EpochClock() as clock: estimator.fit(X)``; then ``clock.times``. It
    listens to the ``epoch N: loss ...`` debug record that the public module
    ``sklearn_linkembed.embedder`` logs after every epoch (a log record, no
    private call); ``len(clock.times) != epochs`` says that record changed.
    """

    LOGGER = "sklearn_linkembed.embedder"

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.times = []

    def emit(self, record):
        if record.getMessage().startswith("epoch "):
            self.times.append(time.perf_counter())

    def __enter__(self):
        logger = logging.getLogger(self.LOGGER)
        self.previous_level = logger.level
        logger.addHandler(self)
        logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self.previous_level)
        return False


class CollectorClock:
    """Seconds Python's garbage collector ran, by generation, while it watches.

    ``with CollectorClock() as gc_clock: estimator.fit(X)``; then
    ``gc_clock.seconds`` (``{generation: seconds}``) and ``gc_clock.total``.
    It times each collection through ``gc.callbacks``.
    """

    def __init__(self):
        self.seconds = {}
        self._start = None

    def _callback(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        elif self._start is not None:
            generation = info["generation"]
            self.seconds[generation] = (self.seconds.get(generation, 0.0)
                                        + time.perf_counter() - self._start)
            self._start = None

    @property
    def total(self):
        return sum(self.seconds.values())

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)
        return False


@dataclasses.dataclass
class Engine:
    """The TensorFlow engine a ``LinkEmbedder`` trains, as :func:`engine_for` hands it out.

    ``config`` holds the settings the engine reads (``embedding_size``,
    ``batch_size``, ``negative_ratio``, ``negative_sharing``, ``loss``,
    ``optimizer`` resolved from ``"auto"``, ``seed``, ...).
    """

    config: object
    n_rows: int
    n_links: int
    n_pairs: int
    global_batch: int  # true pairs per step, over all replicas
    bitmap_hashed: bool  # the engine's pair bitmap is hashed (32 to 64 bits per pair), not exact
    state_mib: float  # the training tables and the optimizer's state
    epoch_batches: Callable  # (seed) -> int32 (steps, global_batch): an epoch's pairs, shuffled
    train: Callable  # (batches, first_step) -> (sum of weighted losses, sum of weights)
    link_vectors: Callable  # () -> (n_links, embedding_size) float32
    row_vectors: Callable  # () -> (n_rows, embedding_size) float32, the trained table
    fold_in: Callable  # () -> every row folded in against link_vectors(), as fit ends

    @property
    def examples_per_pair(self):
        """One true pair and its negatives."""
        return 1 + self.config.negative_ratio


def engine_for(estimator, X, *, seed=0, strategy=None, update=None):
    """The engine ``estimator.fit(X)`` would train: **the one internal hook of the benchmarks**.

    For the benchmarks that time training steps, not whole fits (``bench_gpu``,
    ``bench_scaling``, ``profile_step``). Every use of ``sklearn_linkembed``'s
    private code by ``benchmarks/`` is in this function, so that a change of
    the engine's interface is fixed here, once. It relies on:

    * ``LinkEmbedder._encode(X, reset=True)`` -> a graph whose ``csr`` is ``X``
      after ``min_count`` (it sets ``estimator.vocabulary_``, as ``fit`` does);
    * ``sklearn_linkembed._pairs.Pairs.from_csr(csr)`` (``n_rows``, ``n_links``,
      ``n_pairs``, ``bitmap_hash_bits``, ``link_degree()``);
    * ``LinkEmbedder._training_config(seed)`` -> ``TrainingConfig`` and
      ``LinkEmbedder._trainer(pairs, config, strategy)`` -> ``_engine.Trainer``,
      with ``global_batch``, ``epoch_batches(random_state)``,
      ``train(batches, first_step)``, ``link_vectors()`` and ``row_vectors()``;
    * for ``update``: ``Trainer._apply(ctx, table, index, grad)``, the update of
      one table by one step's gradient rows (``index`` and ``grad`` are lists of
      parts: two for the output links, one for the other tables), which every step calls for each table, and
      ``Trainer._merge_rows(position, *grads)``, its merge of repeated rows;
    * for ``Engine.fold_in``, the row vectors as ``fit`` makes them after training
      (without ``normalize``): with a link-context term (``config.link_context``)
      ``sklearn_linkembed.embedder._row_means(csr, link_vectors, row_totals)``, else
      ``sklearn_linkembed._foldin.fold_in`` and
      ``sklearn_linkembed._pairs.negative_probability``, called as
      ``LinkEmbedder._fold_in`` calls them;
    * for ``Engine.state_mib``: ``Trainer.state_bytes()``, the bytes of its tables and
      optimizer state (counted as they are made: reading a variable after a sparse
      update copies it).

    Parameters
    ----------
    estimator : LinkEmbedder
        Its parameters set the engine (``min_count`` included).
    X : matrix or link lists
        As for ``fit``.
    seed : int
        The engine's seed (``fit`` draws it from ``random_state``).
    strategy : tf.distribute.Strategy or None
        Default: the current one. Call inside ``tf.device(...)`` to place it.
    update : callable or None
        ``update(merge_rows, ctx, table, index, grad)`` replaces the engine's
        per-table update on this engine only (for ablations; the class and
        other engines are untouched). ``merge_rows(position, *grads)`` is the
        engine's merge of repeated rows.
    """
    import types

    from sklearn_linkembed._foldin import fold_in
    from sklearn_linkembed._pairs import Pairs, negative_probability
    from sklearn_linkembed.embedder import _row_means

    csr = estimator._encode(X, reset=True).csr
    csr.sort_indices()
    pairs = Pairs.from_csr(csr)
    config = estimator._training_config(int(seed))
    trainer = estimator._trainer(pairs, config, strategy)
    if update is not None:
        def apply(trainer, ctx, table, index, grad):
            return update(trainer._merge_rows, ctx, table, index, grad)

        trainer._apply = types.MethodType(apply, trainer)

    def fold_in_rows():
        if config.link_context:  # rows are their links' mean input vector
            return _row_means(csr, trainer.link_vectors(), np.asarray(csr.sum(axis=1)).ravel())
        return fold_in(csr, trainer.link_vectors(), loss=config.loss, seed=config.seed,
                       negative_ratio=config.negative_ratio,
                       link_probability=negative_probability(pairs.link_degree(),
                                                             config.negative_power),
                       n_steps=estimator.fold_in_steps)

    state_mib = trainer.state_bytes() / 2**20
    return Engine(config=config, n_rows=pairs.n_rows, n_links=pairs.n_links,
                  n_pairs=pairs.n_pairs, global_batch=trainer.global_batch,
                  bitmap_hashed=pairs.bitmap_hash_bits is not None, state_mib=state_mib,
                  epoch_batches=lambda seed=0: trainer.epoch_batches(np.random.RandomState(seed)),
                  train=trainer.train, link_vectors=trainer.link_vectors,
                  row_vectors=trainer.row_vectors, fold_in=fold_in_rows)


def time_epoch(engine, *, examples_per_call=2_000_000, seed=0):
    """Seconds of one full epoch of ``engine``, after a warm-up call of 2 steps (tracing).

    Steps run in calls of about ``examples_per_call`` examples, as ``fit`` does.
    """
    batches = engine.epoch_batches(seed)
    engine.train(batches[:2], 0)  # tracing and warm-up
    chunk = max(1, examples_per_call // (engine.global_batch * engine.examples_per_pair))
    start = time.perf_counter()
    for first in range(0, len(batches), chunk):
        engine.train(batches[first:first + chunk], first)
    return time.perf_counter() - start


# -- tf.distribute -------------------------------------------------------------

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(mode):
    """``"default"`` (one device), ``"mirrored"`` (two logical CPUs) or ``"multiworker"``.

    Call before TensorFlow's runtime starts (``"mirrored"`` splits the CPU);
    ``"multiworker"`` reads its cluster from ``TF_CONFIG`` (:func:`multiworker_envs`).
    """
    import tensorflow as tf

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    if mode == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if mode == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"unknown strategy {mode!r}; expected one of {STRATEGIES}")


def multiworker_envs(n_workers=2):
    """An environment per worker of a loopback cluster, ``TF_CONFIG`` set (free ports)."""
    sockets = [socket.socket() for _ in range(n_workers)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
    for s in sockets:
        s.close()
    return [dict(os.environ, TF_CONFIG=json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": i}}))
        for i in range(n_workers)]


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


def median_seconds(function, repeat):
    """``(median, all timings)`` of ``repeat`` calls of ``function()``."""
    timings = []
    for _ in range(repeat):
        with Timer() as timer:
            function()
        timings.append(timer.seconds)
    return statistics.median(timings), timings


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (``getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def csr_mib(X):
    """Size of a CSR matrix (data, indices and indptr) in MiB."""
    return (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20


def status_mib(field):
    """``VmRSS`` (resident now) or ``VmHWM`` (peak) of this process in MiB; None off Linux."""
    return proc_mib("/proc/self/status", field)


def proc_mib(path, field):
    """The ``field`` (a size in kB) of a /proc file such as /proc/meminfo, in MiB; None off
    Linux."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _call_and_measure(function, args, kwargs):
    result = function(*args, **kwargs)
    return result, peak_rss_mib()


def isolated(function, *args, isolate=True, **kwargs):
    """Run ``function(*args, **kwargs)``; returns ``(result, peak_rss_mib)``.

    With ``isolate`` (the default) it runs in a fresh process (spawned: no
    TensorFlow state, thread pools or memory shared with earlier methods), so
    the peak memory is that method's own. ``function`` and its arguments must
    be picklable (a module-level function of the script or of this module).
    """
    if not isolate:
        return _call_and_measure(function, args, kwargs)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_call_and_measure, function, args, kwargs).result()


# -- scores ------------------------------------------------------------------

def score_vectors(data, row_vectors, link_vectors):
    """Link prediction on ``data``'s held-out links; community recovery on the synthetic graph.

    ``sklearn_linkembed.link_prediction_report`` (ROC-AUC, MRR and Hits@10, and
    the same for the popularity baseline as ``popularity_*``) where ``data`` has
    a held-out part; ``community_recovery_score`` against the planted row
    communities where it has them.
    """
    from sklearn_linkembed import community_recovery_score, link_prediction_report

    scores = {}
    if data.X_test is not None:
        report = link_prediction_report((row_vectors, link_vectors), data.X, data.X_test,
                                        output_dict=True)
        for name in ("model", "popularity"):
            prefix = "" if name == "model" else "popularity_"
            for measure in ("roc_auc", "mrr", "hits@10"):
                scores[prefix + measure] = report[name][measure]
        scores["n_scored_pairs"] = report["model"]["n_positives"]
    if "row_communities" in data.extra:
        scores["community_ari"] = community_recovery_score(row_vectors,
                                                           data.extra["row_communities"])
    return scores


def rotten_tomatoes_scores(row_vectors, scores, *, n_splits=5, random_state=0):
    """How well film vectors predict Rotten Tomatoes scores, next to predicting the mean.

    ``n_splits``-fold cross-validated mean squared error of ``LinearRegression``
    on the L2-normalised vectors of the films with a score (NaN: none), and of
    ``DummyRegressor`` (the training fold's mean). Returns ``rt_mse``,
    ``rt_mean_mse`` and their ratio ``rt_ratio`` (lower is better; 1 is no
    better than the mean).
    """
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.preprocessing import normalize

    scores = np.asarray(scores, dtype=np.float64)
    rated = ~np.isnan(scores)
    X, y = normalize(np.nan_to_num(row_vectors))[rated], scores[rated]
    cv = KFold(n_splits, shuffle=True, random_state=random_state)
    mse, mean_mse = (-cross_val_score(model, X, y, cv=cv, scoring="neg_mean_squared_error").mean()
                     for model in (LinearRegression(), DummyRegressor()))
    return {"rt_mse": mse, "rt_mean_mse": mean_mse, "rt_ratio": mse / mean_mse}


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
    """Groups the records of one run of a script (``make_table`` shows the latest run)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{os.getpid()}"
