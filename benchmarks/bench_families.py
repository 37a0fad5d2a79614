"""Do the defaults beat the seed notebook's 15 epochs on every graph family, in 1/50 of its time?

Run (every graph, one after the other, each in a fresh process; on a quiet machine)::

    python -m benchmarks.bench_families
    python -m benchmarks.bench_families --graphs base,dense,films
    python -m benchmarks.bench_families --graphs films --reference-full   # the real 15 epochs

Smoke test (about a minute; the figures mean nothing)::

    python -m benchmarks.bench_families --graphs base,mixing-0.5,films --scale 0.05 --rows 500 --reference-steps 5 --epochs-grid 1,2 --results-dir /tmp/smoke_families

Graphs (``--graphs``, comma-separated; all by default), links in fewer than
``--min-count`` (3) rows dropped first (as every benchmark here does, so every method
sees the same graph), then 10% of each row's links held out by
``train_test_split_links(X, 0.1, random_state=0)`` (``_common.split_data``):

* synthetic families, ``make_bipartite_graph(..., random_state=0)``: ``base`` is 5,000
  rows x 10,000 links x 150,000 pairs, ``n_communities=20``, ``mixing=0.1``,
  ``popularity_exponent=1.2`` (``bench_ranking.py``'s ``planted`` graph: the seed's
  model trains on it for 15 epochs in about half a minute on 2 cores); then one knob at
  a time: ``mixing-0.05``, ``mixing-0.5``; ``popularity-0.8``, ``popularity-1.6``;
  ``sparse`` and ``dense`` (75,000 and 300,000 pairs: half and twice the links per
  row); ``spread`` (rows of very different lengths, see below). ``--scale`` multiplies
  their rows, links, pairs and communities (at least 2; for smoke runs: the share of a
  community's cells that its pairs fill stays the full graph's);
* ``seed-shaped``: ``make_seed_shaped_graph(random_state=0)``, the seed notebook's shape
  (about 930,000 pairs after ``min_count``), the shape the defaults were tuned on;
* ``films``: the bundled Wikipedia films (``_common.load_data("films")``);
* ``debian``: Debian 12's package dependencies (``bench_ranking.load_graph("debian")``,
  read from ``--packages``); skipped, with the command that fetches it, where the file
  is not on disk.

``--rows`` keeps the first rows of ``seed-shaped``, ``films`` and ``debian`` (smoke runs).

**``spread``.** The generator draws each row's activity log-normal with a fixed spread
(no parameter for it), and putting two generated graphs on the same links one above the
other does not give light rows: ``make_bipartite_graph`` puts every link in at least one
row of each graph, so a block of 2,500 light rows on 10,000 links would get most of its
pairs from that rule. ``spread`` is instead one graph of 5,000 x 10,000 x 273,000 pairs
whose rows, a random half of them (seeded), keep a random tenth of their links (at least
one): about 2,500 rows of 5 links and 2,500 of 55, 150,000 pairs in all, the base's
mean, with the communities and popularity of one graph.

Per graph, everything fitted on the training part, scored by the library's own
``link_prediction_scores(model, X_train, X_test, n_queries=--n-queries,
random_state=0)`` (full ranking over all known links, training links excluded:
Recall@10, NDCG@10; sampled ROC-AUC, MRR, Hits@10), fits timed by ``perf_counter``
with TensorFlow and Keras imported before any clock:

1. **seed model**: ``LinkEmbedder(**LinkEmbedder.NOTEBOOK, random_state=0)``, the seed
   notebook's model (cosine MSE, 50 dimensions, Nadam, pair negatives, batches of 512)
   for its 15 epochs, trained by this library's engine: fit seconds and scores. Its
   Recall@10 is the quality to beat. Scored by ``link_prediction_report``, which gives
   the **popularity** and **item-kNN** baselines on the same held-out pairs and rows;
2. **seed reference time**: the notebook's own Keras training
   (``reference_seed.train_reference``, seed 5) for 2 epochs of ``--reference-steps``
   (100) steps; the first epoch is a warm-up, the second gives seconds per step, times
   15 epochs of ``len(pairs) // 512`` steps: an extrapolation (marked ``~``; the
   warm-up is left out, so it errs low, against the defaults). With
   ``--reference-full`` the reference trains its 15 full epochs instead, timed (the
   whole ``fit``), and its vectors are scored too (a ``(row_vectors, link_vectors)``
   tuple in the matrix's row and column order, by cosine, as the notebook compares them).
   It runs last in the graph's process: Keras' ``fit`` on a Python generator leaves
   threads and state behind that slowed the fits after it (a first version that ran it
   second measured the defaults' fits up to 2x slower than alone);
3. **defaults**: ``LinkEmbedder(random_state=0)``, whatever the defaults are, and
   ``LinkEmbedder(random_state=0, early_stopping=True, epochs=30)`` (its best epoch and
   the epochs it ran): fit seconds and scores;
4. **time to beat the seed**: ``LinkEmbedder(random_state=0, epochs=e)`` for each ``e``
   of ``--epochs-grid`` (1,2,3,5,8,12) in order, stopping at the first whose Recall@10
   is above the seed model's by more than ``--margin`` (0.01, about one standard error
   of a Recall@10 over 2,000 rows: a tie does not count); its ``e`` and fit seconds ("not reached"
   otherwise; a fit with the defaults' epochs is the defaults' fit, reused:
   ``random_state=0`` fits are bit-identical). **ratio** = reference seconds / those
   seconds; **beats** = yes when the seed's Recall@10 is beaten (not tied) with a ratio
   of at least 50, "slower" when beaten with a lower ratio, "no" when not beaten.

Prints one line per graph and a summary; appends one JSON object per graph to
``benchmarks/results/bench_families.jsonl`` (``--results-dir``).
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import _common, _real_graphs, bench_ranking
from .reference_seed import POSITIVE_SAMPLES, train_reference

HOLDOUT = 0.1
NOTEBOOK_EPOCHS = 15  # the seed notebook's training, which the reference extrapolates to
REFERENCE_SEED = 5  # the notebook's random.seed(5)
TARGET_RATIO = 50  # the defaults should reach the seed's quality in 1/50 of its time
# Beating is by more than this (absolute Recall@10), not a tie: about one standard
# error of a Recall@10 over 2,000 rows.
MARGIN = 0.01
EARLY_STOPPING = {"early_stopping": True, "epochs": 30}

BASE = {"n_rows": 5000, "n_links": 10000, "n_pairs": 150_000, "n_communities": 20,
        "mixing": 0.1, "popularity_exponent": 1.2}
# One knob of the base at a time.
FAMILIES = {
    "base": {},
    "mixing-0.05": {"mixing": 0.05},
    "mixing-0.5": {"mixing": 0.5},
    "popularity-0.8": {"popularity_exponent": 0.8},
    "popularity-1.6": {"popularity_exponent": 1.6},
    "sparse": {"n_pairs": 75_000},
    "dense": {"n_pairs": 300_000},
    "spread": {"n_pairs": 273_000},  # then thinned, see SPREAD
}
# Of the spread graph, a random half of the rows keep a tenth of their links:
# 273,000 * (1 + 0.1) / 2 = about 150,000 pairs, the base's.
SPREAD = {"thinned_rows": 0.5, "kept_links": 0.1}
GRAPHS = (*FAMILIES, "seed-shaped", "films", "debian")


# -- graphs --------------------------------------------------------------------

def family_parameters(name, scale=1.0):
    """``make_bipartite_graph``'s parameters of family ``name``, sizes times ``scale``."""
    params = {**BASE, **FAMILIES[name]}
    if scale != 1.0:
        for key in ("n_rows", "n_links", "n_pairs"):
            params[key] = max(1, round(params[key] * scale))
        # Communities scale too, which keeps the share of a community's cells that its
        # pairs fill (n_pairs * n_communities / (n_rows * n_links)) as in the full graph.
        params["n_communities"] = min(max(2, round(params["n_communities"] * scale)),
                                      params["n_rows"], params["n_links"])
        params["n_pairs"] = int(np.clip(params["n_pairs"], params["n_rows"] + params["n_links"],
                                        params["n_rows"] * params["n_links"] // 2))
    return params


def thin_rows(X, thinned_rows, kept_links, random_state=0):
    """``X`` with a random ``thinned_rows`` share of its rows keeping ``kept_links`` of their
    links (at least one each), drawn with ``random_state``."""
    rng = np.random.RandomState(random_state)
    X = sp.csr_matrix(X)
    thinned = np.zeros(X.shape[0], dtype=bool)
    thinned[rng.permutation(X.shape[0])[:round(thinned_rows * X.shape[0])]] = True
    keep = np.ones(X.nnz, dtype=bool)
    for i in np.flatnonzero(thinned):
        start, end = X.indptr[i], X.indptr[i + 1]
        if end > start:
            n = max(1, round(kept_links * (end - start)))
            row_keep = np.zeros(end - start, dtype=bool)
            row_keep[rng.choice(end - start, n, replace=False)] = True
            keep[start:end] = row_keep
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
    return sp.csr_matrix((X.data[keep], (rows, X.indices[keep])), shape=X.shape)


def _matrix_data(name, X, min_count, extra):
    """A ``_common.Data`` of matrix ``X``, links in fewer than ``min_count`` rows dropped."""
    X = sp.csr_matrix(X, dtype=np.float32)
    keep = np.flatnonzero(np.diff(X.tocsc().indptr) >= min_count)
    X = X[:, keep].tocsr()
    X.sort_indices()
    pairs_rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    return _common.Data(name, X, list(range(X.shape[0])), [f"l{j}" for j in keep], pairs_rows,
                        X.indices.astype(np.int64), min_count, None, extra)


def load_graph(name, *, scale=1.0, min_count=3, rows=None, packages=None):
    """``(data, info)``: graph ``name`` as a ``_common.Data`` (before the split) and what
    made it (generator parameters, source)."""
    if name in FAMILIES:
        from sklearn_linkembed import make_bipartite_graph

        params = family_parameters(name, scale)
        X, row_communities, _ = make_bipartite_graph(**params, random_state=0)
        info = {"generator": "make_bipartite_graph", "params": {**params, "random_state": 0},
                "scale": scale}
        if name == "spread":
            X = thin_rows(X, **SPREAD, random_state=0)
            info["thinned"] = {**SPREAD, "random_state": 0}
        return _matrix_data(name, X, min_count, {"row_communities": row_communities}), info
    if name == "seed-shaped":
        data = _common.load_data("synthetic", min_count=min_count, rows=rows)
        data.name = name
        return data, {"generator": "make_seed_shaped_graph", "params": {"random_state": 0}}
    if name == "films":
        return _common.load_data("films", min_count=min_count, rows=rows), {
            "source": "load_wikipedia_movies()"}
    if name == "debian":
        data = bench_ranking.load_graph("debian", min_count=min_count, rows=rows,
                                        packages=packages)
        return data, {"source": str(packages), "sha256": _real_graphs.file_digest(packages)}
    raise ValueError(f"unknown graph {name!r}; expected one of {GRAPHS}")


def graph_tag(data, name, scale):
    """``base-scale0.05-holdout0.1``, ``films-500rows-holdout0.1``, ``dense-holdout0.1``."""
    tag = data.tag
    if name in FAMILIES and scale != 1.0:
        tag = tag.replace(name, f"{name}-scale{scale:g}", 1)
    return tag


# -- one graph -------------------------------------------------------------------

def run_graph(name, scale, min_count, rows, packages, reference_steps, reference_full,
              epochs_grid, n_queries, margin=MARGIN):
    """Every fit and score of graph ``name`` (runs in a fresh process); returns its record."""
    import_s = _common.import_tensorflow()
    import keras  # noqa: F401  (the reference's; imported before its clock too)

    from sklearn_linkembed import LinkEmbedder, link_prediction_report, link_prediction_scores

    # Rows whose links all fall below min_count in the training part get zero vectors;
    # the estimator says so at every fit. Once is enough here: it is the same graph.
    warnings.filterwarnings("ignore", ".* rows have no known link", UserWarning)

    data, info = load_graph(name, scale=scale, min_count=min_count, rows=rows,
                            packages=packages)
    data = _common.split_data(data, HOLDOUT)
    X_train, X_test = data.X, data.X_test
    print(f"[{name}] {data.describe()}", flush=True)

    def scores_of(model):
        return link_prediction_scores(model, X_train, X_test, n_queries=n_queries,
                                      random_state=0)

    def fit(params):
        model = LinkEmbedder(random_state=0, **params)
        with _common.Timer() as timer:
            model.fit(X_train)
        return model, timer.seconds

    record = {"data": graph_tag(data, name, scale), "graph": name, "n_rows": data.n_rows,
              "n_links": data.n_links, "n_pairs": data.n_pairs + data.X_test.nnz,
              "n_train_pairs": data.n_pairs, "n_test_pairs": data.X_test.nnz}

    # 1. The seed notebook's model, trained by this library's engine, and the baselines.
    notebook, seconds = fit(dict(LinkEmbedder.NOTEBOOK))
    report = link_prediction_report(notebook, X_train, X_test, n_queries=n_queries,
                                    random_state=0, output_dict=True)
    del notebook
    seed = report["model"]
    record.update({"seed_recall@10": seed["recall@10"], "seed_fit_s": seconds})
    print(f"[{name}] seed model (NOTEBOOK, our engine, 15 epochs): fit {seconds:.1f} s, "
          f"R@10 {seed['recall@10']:.3f}", flush=True)

    # 2. The defaults, and the defaults with early stopping.
    model, seconds = fit({})
    default_epochs = model.epochs
    defaults = scores_of(model)
    del model
    record.update({"defaults_recall@10": defaults["recall@10"], "defaults_fit_s": seconds})
    print(f"[{name}] defaults ({default_epochs} epochs): fit {seconds:.1f} s, "
          f"R@10 {defaults['recall@10']:.3f}", flush=True)
    model, es_seconds = fit(EARLY_STOPPING)
    early = scores_of(model)
    record.update({"es_recall@10": early["recall@10"], "es_fit_s": es_seconds,
                   "es_best_epoch": model.best_iteration_,
                   "es_epochs_run": len(model.validation_scores_)})
    early["validation_scores"] = list(model.validation_scores_)
    del model
    print(f"[{name}] early stopping: fit {es_seconds:.1f} s, R@10 {early['recall@10']:.3f}, "
          f"best epoch {record['es_best_epoch']} of {record['es_epochs_run']} run", flush=True)

    # 3. The fewest epochs (of the grid) whose Recall@10 beats the seed's, and their time.
    grid, beaten = [], None
    for epochs in epochs_grid:
        if epochs == default_epochs:
            step = {"epochs": epochs, "fit_s": record["defaults_fit_s"], "reused": "defaults",
                    **defaults}
        else:
            model, seconds = fit({"epochs": epochs})
            step = {"epochs": epochs, "fit_s": seconds, **scores_of(model)}
            del model
        grid.append(step)
        print(f"[{name}] {epochs} epochs: fit {step['fit_s']:.1f} s, "
              f"R@10 {step['recall@10']:.3f}", flush=True)
        if step["recall@10"] > seed["recall@10"] + margin:
            beaten = step
            break
    # 4. The notebook's own Keras training: its time (extrapolated, or in full). Last:
    # Keras' generator threads and state must not slow this library's fits.
    epoch_seconds = []
    full_steps = max(1, data.n_pairs // POSITIVE_SAMPLES)
    reference = {"seed": REFERENCE_SEED, "steps_per_epoch": full_steps, "epochs": NOTEBOOK_EPOCHS}
    if reference_full:
        ref_rows, ref_links, seconds, _ = train_reference(
            data.pairs_rows, data.pairs_links, data.n_rows, data.n_links, NOTEBOOK_EPOCHS,
            full_steps, REFERENCE_SEED, epoch_seconds=epoch_seconds)
        reference.update(seconds=seconds, extrapolated=False, epoch_seconds=epoch_seconds,
                         scores=scores_of((ref_rows, ref_links)))
        del ref_rows, ref_links
        print(f"[{name}] reference (Keras, 15 full epochs): {seconds:.1f} s, "
              f"R@10 {reference['scores']['recall@10']:.3f}", flush=True)
    else:
        train_reference(data.pairs_rows, data.pairs_links, data.n_rows, data.n_links, 2,
                        reference_steps, REFERENCE_SEED, epoch_seconds=epoch_seconds)
        per_step = epoch_seconds[1] / reference_steps
        seconds = NOTEBOOK_EPOCHS * full_steps * per_step
        reference.update(seconds=seconds, extrapolated=True, measured_steps=reference_steps,
                         warmup_s=epoch_seconds[0], seconds_per_step=per_step,
                         epoch_seconds=epoch_seconds)
        print(f"[{name}] reference (Keras): {per_step * 1e3:.2f} ms/step over "
              f"{reference_steps} steps -> 15 x {full_steps} steps = {seconds:.1f} s "
              "(extrapolated)", flush=True)
    record.update({"reference_s": reference["seconds"],
                   "reference_extrapolated": reference["extrapolated"]})
    if reference_full:
        record["reference_recall@10"] = reference["scores"]["recall@10"]

    ratio = reference["seconds"] / beaten["fit_s"] if beaten else None
    record.update({
        "epochs_to_beat": beaten["epochs"] if beaten else None,
        "time_to_beat_s": beaten["fit_s"] if beaten else None,
        "time_ratio": ratio,
        "beats": ("no" if beaten is None else "yes" if ratio >= TARGET_RATIO else "slower"),
        "defaults_beat_quality": defaults["recall@10"] > seed["recall@10"] + margin,
        "margin": margin,
        "popularity_recall@10": report["popularity"]["recall@10"],
        "item_knn_recall@10": report["item-kNN"]["recall@10"],
    })
    if reference_full:
        record["beats_reference_quality"] = bool(
            beaten and beaten["recall@10"] > reference["scores"]["recall@10"])
    record.update({"info": info, "import_s": import_s, "seed_scores": seed,
                   "popularity_scores": report["popularity"],
                   "item_knn_scores": report["item-kNN"], "reference": reference,
                   "defaults_scores": defaults, "defaults_epochs": default_epochs,
                   "es_params": EARLY_STOPPING, "es_scores": early, "grid": grid})
    return record


# -- the run -------------------------------------------------------------------

def _graph_list(text):
    names = [name for name in text.split(",") if name]
    unknown = sorted(set(names) - set(GRAPHS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown or no graphs {unknown}; choose from {', '.join(GRAPHS)}")
    return names


def _epochs_list(text):
    epochs = [int(e) for e in text.split(",") if e]
    if not epochs or min(epochs) < 1:
        raise argparse.ArgumentTypeError("expected positive epoch counts such as 1,2,3,5,8,12")
    return epochs


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=("min_count", "rows"), isolate=True)
    parser.add_argument("--graphs", type=_graph_list, default=list(GRAPHS),
                        help=f"comma-separated, of {', '.join(GRAPHS)} (default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the synthetic families' rows, links and pairs "
                             "(smoke runs: 0.05)")
    parser.add_argument("--reference-steps", type=int, default=100,
                        help="steps of each of the reference's 2 timed epochs (the first "
                             "a warm-up), extrapolated to its 15 full epochs")
    parser.add_argument("--reference-full", action="store_true",
                        help="train the reference its 15 full epochs instead (slow), and "
                             "score its vectors too")
    parser.add_argument("--epochs-grid", type=_epochs_list, default=[1, 2, 3, 5, 8, 12],
                        help="epochs tried, in order, until the seed's Recall@10 is beaten")
    parser.add_argument("--margin", type=float, default=MARGIN,
                        help="Recall@10 above the seed's by more than this counts as beating it")
    parser.add_argument("--n-queries", type=int, default=2000,
                        help="rows (and queries) of link_prediction_scores, for every method")
    parser.add_argument("--packages", type=Path, default=_real_graphs.DEBIAN_PACKAGES,
                        help="Debian Packages index for the debian graph; fetch it once with: "
                             + _real_graphs.FETCH_DEBIAN.replace("%", "%%"))
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")

    print("seed model: LinkEmbedder(**LinkEmbedder.NOTEBOOK), the seed notebook's model "
          "trained by this library's engine for its 15 epochs; seed ref: the notebook's own "
          "Keras training, 15 epochs, "
          + ("timed in full" if args.reference_full else
             f"~ = extrapolated from {args.reference_steps} steps after a warm-up epoch")
          + f"; Recall@10 over all known links, {args.n_queries} rows, 10% held out",
          flush=True)
    run = _common.new_run_id()
    settings = {"n_queries": args.n_queries, "reference_steps": args.reference_steps,
                "reference_full": args.reference_full, "epochs_grid": args.epochs_grid,
                "scale": args.scale, "rows": args.rows, "min_count": args.min_count,
                "holdout": HOLDOUT}
    results, path = [], None
    for name in args.graphs:
        packages = args.packages.expanduser()
        if name == "debian" and not packages.exists():
            why = (f"no Debian package index at {packages}; fetch it once with: "
                   f"{_real_graphs.FETCH_DEBIAN}")
            print(f"[debian] skipped: {why}", flush=True)
            results.append({"graph": name, "skipped": why})
            continue
        with _common.Timer() as total:
            record, peak = _common.isolated(
                run_graph, name, args.scale, args.min_count, args.rows, packages,
                args.reference_steps, args.reference_full, args.epochs_grid, args.n_queries,
                args.margin,
                isolate=not args.in_process)
        record = {"run": run, **record, "peak_rss_mib": peak, "total_s": total.seconds,
                  "settings": settings}
        print(f"[{name}] done in {total.seconds:.0f} s", flush=True)
        results.append(record)
        path = _common.write_result("bench_families", record, args.results_dir)
    print()
    print_table(results, args)
    if path is not None:
        print(f"figures: {path}")


def _fmt(value, spec):
    return "-" if value is None else spec.format(value)


def print_table(results, args):
    marker = "" if args.reference_full else "~"
    titles = ["graph", "pairs", "seed R@10", "seed fit s", "seed ref s", "dflt R@10", "dflt s",
              "ES R@10", "ES s (best)", "ep beat", "s to beat", "ratio", "beats?", "pop R@10",
              "kNN R@10"]
    rows = []
    for r in results:
        if "skipped" in r:
            continue
        rows.append([r["data"], f"{r['n_pairs']:,}", f"{r['seed_recall@10']:.3f}",
                     f"{r['seed_fit_s']:.1f}", f"{marker}{r['reference_s']:,.0f}",
                     f"{r['defaults_recall@10']:.3f}", f"{r['defaults_fit_s']:.1f}",
                     f"{r['es_recall@10']:.3f}", f"{r['es_fit_s']:.1f} ({r['es_best_epoch']})",
                     _fmt(r["epochs_to_beat"], "{}") if r["epochs_to_beat"] else "not reached",
                     _fmt(r["time_to_beat_s"], "{:.1f}"), _fmt(r["time_ratio"], "{:.0f}x"),
                     r["beats"], f"{r['popularity_recall@10']:.3f}",
                     f"{r['item_knn_recall@10']:.3f}"])
    widths = [max(len(str(cell)) for cell in column) for column in zip(titles, *rows)]

    def line(cells):
        return " | ".join(f"{cell:>{width}}" if i else f"{cell:<{width}}"
                          for i, (cell, width) in enumerate(zip(cells, widths)))

    header = line(titles)
    print(header)
    print("-" * len(header))
    rows = iter(rows)
    for r in results:
        print(f"{r['graph']:<{widths[0]}} | skipped: {r['skipped']}" if "skipped" in r
              else line(next(rows)))
    measured = [r for r in results if "skipped" not in r]
    beaten = [r for r in measured if r["beats"] == "yes"]
    ratios = [r["time_ratio"] for r in measured if r["time_ratio"] is not None]
    print(f"beaten (R@10 above the seed's 15 epochs by more than {args.margin}, in <= "
          f"1/{TARGET_RATIO} of its time): "
          f"{len(beaten)} of {len(measured)} graphs"
          + (f"; not: {', '.join(r['graph'] for r in measured if r['beats'] != 'yes')}"
             if len(beaten) < len(measured) else "")
          + (f"; min ratio {min(ratios):.0f}x" if ratios else "; no ratio (never beaten)"))


if __name__ == "__main__":
    main()
