"""Rewrite the results table of ``benchmarks/README.md`` from ``benchmarks/results/*.jsonl``.

Run::

    python -m benchmarks.make_table

It replaces what lies between ``<!-- results:start -->`` and
``<!-- results:end -->`` with one Markdown table per benchmark, showing for each
graph the latest run recorded (``--check``: only report whether the README is up
to date, exit status 1 if not; ``--stdout``: print the tables instead).
"""

import json
import sys
from pathlib import Path

from . import _common

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

# (heading, [(column title, record key or function, format)]) per benchmark.
COLUMNS = {
    "reference_seed": ("Reference: the notebook's training in Keras 3 (`reference_seed.py`)", [
        ("graph", "data", "{}"),
        ("epochs x steps", lambda r: f"{r['epochs']} x {r['steps_per_epoch']}", "{}"),
        ("total s", "seconds", "{:,.1f}"),
        ("examples/s", "examples_per_s", "{:,.0f}"),
        ("examples/s after epoch 1", "examples_per_s_after_epoch_1", "{:,.0f}"),
        ("last loss", lambda r: r["epoch_losses"][-1], "{:.4f}"),
        ("peak MiB", "peak_rss_mib", "{:,.0f}"),
    ]),
    "bench_throughput": ("Training throughput (`bench_throughput.py`)", [
        ("graph", "data", "{}"),
        ("method", "method", "{}"),
        ("optimizer", "optimizer", "{}"),
        ("batch", "batch_size", "{}"),
        ("negatives", lambda r: r.get("negative_sampling") or "pair", "{}"),
        ("shared by", lambda r: r.get("negative_sharing") or 1, "{}"),
        ("examples/s", "examples_per_s", "{:,.0f}"),
        ("vs reference", "ratio", "{:.2f}x"),
        ("warm-up s", "warmup_s", "{:.1f}"),
        ("15 epochs s (est.)", "est_15_epochs_s", "{:,.0f}"),
        ("peak MiB", "peak_rss_mib", "{:,.0f}"),
    ]),
    "bench_baselines": ("Quality per second (`bench_baselines.py`)", [
        ("graph", "data", "{}"),
        ("method", "method", "{}"),
        ("fit s", "seconds", "{:,.1f}"),
        ("peak MiB", "peak_rss_mib", "{:,.0f}"),
        ("ROC-AUC", "roc_auc", "{:.3f}"),
        ("MRR", "mrr", "{:.3f}"),
        ("Hits@10", "hits@10", "{:.3f}"),
        ("community ARI", "community_ari", "{:.3f}"),
    ]),
    "bench_defaults": ("LinkEmbedder settings side by side (`bench_defaults.py`)", [
        ("graph", "data", "{}"),
        ("parameters (on top of the defaults)", "params", "`{}`"),
        ("fit s", "fit_s", "{:,.2f}"),
        ("ROC-AUC", "roc_auc", "{:.3f}"),
        ("MRR", "mrr", "{:.3f}"),
        ("Hits@10", "hits@10", "{:.3f}"),
        ("Rotten Tomatoes ratio", "rt_ratio", "{:.3f}"),
    ]),
    "bench_settings": ("Settings over seeds, full ranking (`bench_settings.py`)", [
        ("graph", "data", "{}"),
        ("parameters (on top of the defaults)", "params", "`{}`"),
        ("seed", "seed", "{}"),
        ("fit s", "fit_s", "{:,.2f}"),
        ("Recall@10", "recall@10", "{:.4f}"),
        ("NDCG@10", "ndcg@10", "{:.4f}"),
    ]),
    "bench_ranking": ("Full rankings and neighbours (`bench_ranking.py`)", [
        ("graph", "data", "{}"),
        ("method", "method", "{}"),
        ("fit s", "fit_s", "{:,.2f}"),
        ("Recall@10", "recall@10", "{:.3f}"),
        ("NDCG@10", "ndcg@10", "{:.3f}"),
        ("ROC-AUC", "roc_auc", "{:.3f}"),
        ("neighbours in a held-out row", "nb_held", "{:.3f}"),
        ("neighbours in any row", "nb_any", "{:.3f}"),
        ("neighbour / query degree", "nb_degree_ratio", "{:.2f}"),
        ("own-link rank", "row_rank", "{:.1f}"),
    ]),
    "bench_rotten_tomatoes": ("Rotten Tomatoes regression (`bench_rotten_tomatoes.py`)", [
        ("graph", "data", "{}"),
        ("method", "method", "{}"),
        ("MSE", "rt_mse", "{:.4f}"),
        ("predict-the-mean MSE", "rt_mean_mse", "{:.4f}"),
        ("ratio", "rt_ratio", "{:.3f}"),
    ]),
    "bench_families": ("The defaults against the seed's 15 epochs (`bench_families.py`)", [
        ("graph", "data", "{}"),
        ("training pairs", "n_train_pairs", "{:,}"),
        ("seed model R@10 (15 epochs)", "seed_recall@10", "{:.3f}"),
        ("seed reference 15 epochs s", "reference_s",
         lambda r: "{:,.0f}" if not r.get("reference_extrapolated") else "~{:,.0f}"),
        ("defaults R@10", "defaults_recall@10", "{:.3f}"),
        ("defaults fit s", "defaults_fit_s", "{:.1f}"),
        ("early stopping R@10 (best epoch)",
         lambda r: f"{r['es_recall@10']:.3f} ({r['es_best_epoch']})", "{}"),
        ("early stopping fit s", "es_fit_s", "{:.1f}"),
        ("epochs to beat the seed", "epochs_to_beat", "{}"),
        ("s to beat", "time_to_beat_s", "{:.1f}"),
        ("time ratio", "time_ratio", "{:.0f}x"),
        ("popularity R@10", "popularity_recall@10", "{:.3f}"),
        ("item-kNN R@10", "item_knn_recall@10", "{:.3f}"),
    ]),
    "bench_memory": ("Peak memory of a fit (`bench_memory.py`)", [
        ("pairs", "n_pairs", "{:,}"),
        ("rows x links kept", lambda r: f"{r['n_rows']:,} x {r['kept_links']:,}", "{}"),
        ("embedding, optimizer",
         lambda r: f"{r['embedding_size']}, {r['optimizer']}", "{}"),
        ("CSR MiB", "csr_mib", "{:,.0f}"),
        ("tables + optimizer state MiB", "state_mib", "{:,.0f}"),
        ("fit peak - before MiB",
         lambda r: r["fit_peak_rss_mib"] - r["rss_before_mib"], "{:,.0f}"),
        ("(peak - before - state) / CSR",
         lambda r: (r["fit_peak_rss_mib"] - r["rss_before_mib"] - r["state_mib"])
         / r["csr_mib"], "{:.2f}x"),
    ]),
}


def read_records(results_dir):
    records = {}
    for path in sorted(Path(results_dir).glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            records[path.stem] = [json.loads(line) for line in f if line.strip()]
    return records


def latest_runs(records):
    """The records of the latest run on each graph, graphs in alphabetical order."""
    runs = {}
    for record in records:
        run = record.get("run", record.get("time", ""))
        runs.setdefault(record.get("data", "-"), {}).setdefault(run, []).append(record)
    return [record for data in sorted(runs) for record in runs[data][max(runs[data])]]


def _cell(record, key, spec):
    try:
        value = key(record) if callable(key) else record.get(key)
    except (KeyError, IndexError):
        value = None
    if value is None:
        return "-"
    if callable(spec):  # the format depends on the record
        spec = spec(record)
    try:
        return spec.format(value)
    except (TypeError, ValueError):
        return str(value)


def _row(record, columns):
    return "| " + " | ".join(_cell(record, key, spec) for _, key, spec in columns) + " |"


def render(records_by_benchmark):
    parts = []
    order = [name for name in COLUMNS if name in records_by_benchmark]
    order += sorted(set(records_by_benchmark) - set(order))
    for name in order:
        records = records_by_benchmark[name]
        heading, columns = COLUMNS.get(name, (f"`{name}`", None))
        rows = latest_runs(records)
        if not rows:
            continue
        if columns is None:  # a benchmark this script does not know: its scalar fields
            keys = [k for k, v in rows[0].items()
                    if isinstance(v, (int, float, str)) and k not in ("benchmark", "time", "run")]
            columns = [(k, k, "{}") for k in keys]
        lines = [f"#### {heading}", "",
                 "| " + " | ".join(title for title, _, _ in columns) + " |",
                 "|" + "|".join("---" for _ in columns) + "|"]
        for i, record in enumerate(rows):
            lines.append(_row(record, columns))
            last_of_graph = i + 1 == len(rows) or rows[i + 1].get("data") != record.get("data")
            if last_of_graph and "popularity_roc_auc" in record and name == "bench_baselines":
                # bench_baselines' reference line: links ranked by training degree.
                lines.append(_row({"data": record["data"], "method": "popularity (no embedding)",
                                   **{m: record[f"popularity_{m}"]
                                      for m in ("roc_auc", "mrr", "hits@10")}}, columns))
        lines += ["", _provenance(rows), ""]
        parts.append("\n".join(lines))
    if not parts:
        return "_No results yet: run the benchmarks, then `python -m benchmarks.make_table`._\n"
    return "\n".join(parts)


def _provenance(rows):
    seen = []
    for record in rows:
        env = record.get("environment", {})
        note = (f"{record.get('data', '-')}: {record.get('time', '?')}, commit {env.get('commit', '?')}, "
                f"{env.get('cpus', '?')} CPUs, load {env.get('load_1min', '?')}, "
                f"TensorFlow {env.get('tensorflow', '-')}, gensim {env.get('gensim', '-')}")
        if note not in seen:
            seen.append(note)
    return "Measured: " + "; ".join(seen) + "."


def rewrite(readme, table):
    text = readme.read_text(encoding="utf-8")
    try:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        sys.exit(f"{readme} lacks the markers {START} and {END}")
    return f"{head}{START}\n{table.rstrip()}\n{END}{tail}"


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False)
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the README's table is not up to date")
    parser.add_argument("--stdout", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)

    table = render(read_records(args.results_dir))
    if args.stdout:
        print(table)
        return
    new = rewrite(args.readme, table)
    if args.check:
        up_to_date = new == args.readme.read_text(encoding="utf-8")
        print(f"{args.readme} is {'up to date' if up_to_date else 'out of date'}")
        sys.exit(0 if up_to_date else 1)
    args.readme.write_text(new, encoding="utf-8")
    print(f"rewrote the results table of {args.readme}")


if __name__ == "__main__":
    main()
