"""Training throughput of LinkEmbedder against the seed notebook's Keras training.

Run (both graphs; each takes a few minutes on a quiet machine)::

    python -m benchmarks.bench_throughput --data synthetic
    python -m benchmarks.bench_throughput --data films

Smoke test: ``--rows 2000 --reference-steps 50 --epochs 2 --configs nadam:512
--results-dir /tmp/smoke``.

Measures training examples (true pairs and non-pairs, 11 per true pair) per
second, in steady state, on one graph and in one run:

* the reference (``benchmarks.reference_seed.train_reference``: the notebook's
  model, Python batchifier and Keras ``fit``) for ``--reference-epochs`` epochs
  of ``--reference-steps`` steps of 512 true pairs; the first epoch (tracing,
  the generator's first batches) is the warm-up, the others are measured;
* :class:`~sklearn_linkembed.LinkEmbedder` with the seed's model (50 dimensions,
  ``cosine_mse``, 10 non-pairs per pair) for each ``--configs`` entry
  ``optimizer:batch_size``, or with its defaults for each ``default:batch_size``
  entry (``default:512`` is the seed's batch shape: 512 true pairs, 10 negatives), fitted for ``--epochs`` full epochs; epoch ends are
  timed from the estimator's per-epoch debug log record (``_common.EpochClock``),
  the first epoch (graph building, tracing) is the warm-up and epochs 2.. are
  measured. ``fit`` also folds in every row after training: reported separately
  as "after training".

Each method runs in a fresh process (``--in-process`` to turn that off) so its
peak memory (``getrusage``) is its own and no TensorFlow state is shared.
``--rounds N`` runs the reference and every config N times in turn, each round a
side-by-side run of its own (its table printed and saved), and prints each
ratio of every round and their median last: on a shared machine one run's
ratio moved from 8.5x to 13.7x between runs.
Prints a table with the ratio of each rate to the reference's and appends it to
``benchmarks/results/bench_throughput.jsonl``.
"""

import itertools
import logging
import statistics
import time

from . import _common
from .reference_seed import POSITIVE_SAMPLES, train_reference

EXAMPLES_PER_PAIR = 11  # one true pair and its 10 non-pairs
FULL_EPOCHS = 15  # the notebook's training, for the "15 epochs" estimate


def run_reference(data, epochs, steps, seed):
    """The notebook's training; runs in its own process."""
    epoch_seconds = []
    _, _, seconds, _ = train_reference(data.pairs_rows, data.pairs_links, data.n_rows,
                                       data.n_links, epochs, steps, seed,
                                       epoch_seconds=epoch_seconds)
    examples_per_epoch = steps * POSITIVE_SAMPLES * EXAMPLES_PER_PAIR
    measured = sum(epoch_seconds[1:])
    return {
        "method": "reference (Keras fit)", "optimizer": "nadam", "batch_size": POSITIVE_SAMPLES,
        "warmup_s": epoch_seconds[0], "measured_s": measured,
        "measured_examples": (epochs - 1) * examples_per_epoch, "total_s": seconds,
        "fit_examples": epochs * examples_per_epoch,
        "after_training_s": 0.0, "epoch_seconds": epoch_seconds,
        "epochs": epochs, "steps_per_epoch": steps,
    }


def run_linkembedder(X, epochs, optimizer, batch_size, sampling, sharing, seed):
    """LinkEmbedder with the seed's model, or its defaults (``optimizer="default"``: only
    ``batch_size`` and ``epochs`` are set); runs in its own process."""
    from sklearn_linkembed import LinkEmbedder

    _common.import_tensorflow()  # before the clock, as the reference has imported Keras
    if optimizer == "default":
        emb = LinkEmbedder(batch_size=batch_size, epochs=epochs, random_state=seed)
        sampling, sharing = emb.negative_sampling, emb.negative_sharing
    else:
        emb = LinkEmbedder(50, negative_ratio=10, loss="cosine_mse", optimizer=optimizer,
                           batch_size=batch_size, epochs=epochs, random_state=seed,
                           negative_sampling=sampling, negative_sharing=sharing)
    with _common.EpochClock() as clock:
        start = time.perf_counter()
        emb.fit(X)
        end = time.perf_counter()
    n_pairs = int(emb.link_counts_.sum())
    record = {
        "method": "LinkEmbedder defaults" if optimizer == "default" else "LinkEmbedder",
        "optimizer": optimizer, "batch_size": batch_size,
        "fit_examples": epochs * n_pairs * EXAMPLES_PER_PAIR,
        "negative_sampling": sampling, "negative_sharing": sharing,
        "total_s": end - start, "epochs": epochs, "final_loss": emb.loss_curve_[-1],
    }
    times = clock.times
    if len(times) == epochs:
        record.update(warmup_s=times[0] - start, measured_s=times[-1] - times[0],
                      measured_examples=(epochs - 1) * n_pairs * EXAMPLES_PER_PAIR,
                      after_training_s=end - times[-1],
                      epoch_seconds=[times[0] - start]
                      + [b - a for a, b in itertools.pairwise(times)])
    else:  # the per-epoch log record changed: fall back to the whole fit
        logging.getLogger(__name__).warning("no per-epoch log records; timing the whole fit")
        record.update(warmup_s=None, measured_s=end - start, after_training_s=None,
                      measured_examples=epochs * n_pairs * EXAMPLES_PER_PAIR, epoch_seconds=None)
    return record


def main(argv=None):
    parser = _common.make_parser(__doc__, data="synthetic", seed=0, isolate=True)
    parser.add_argument("--reference-steps", type=int, default=300,
                        help="steps of 512 true pairs per reference epoch")
    parser.add_argument("--reference-epochs", type=int, default=3,
                        help="reference epochs; the first is the warm-up")
    parser.add_argument("--epochs", type=int, default=5,
                        help="LinkEmbedder epochs (full passes); the first is the warm-up")
    parser.add_argument("--configs", default="default:512,default:4096,"
                        "nadam:512:pair,nadam:4096:pair,nadam:4096:link:1,"
                        "sgd:4096:link:1,nadam:4096:link:4,sgd:4096:link:4,sgd:4096:link:16",
                        help="LinkEmbedder runs, as optimizer:batch_size[:negative_sampling"
                             "[:negative_sharing]],... with the seed's model (defaults: link, "
                             "1), or default:batch_size with LinkEmbedder's defaults")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the reference (ratios are then left out)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the reference and every config this many times in turn; "
                             "each round is a side-by-side run of its own, and the median of "
                             "each ratio over the rounds is printed last")
    args = parser.parse_args(argv)
    if args.epochs < 2 or args.reference_epochs < 2:
        parser.error("--epochs and --reference-epochs need 2 or more: the first is the warm-up")
    if args.rounds < 1:
        parser.error(f"--rounds must be 1 or more, got {args.rounds}")
    configs = [(opt, int(size), (rest + ["link"])[0], int((rest[1:] + ["1"])[0]))
               for opt, size, *rest in (item.split(":") for item in args.configs.split(",")
                                        if item)]

    data = _common.load_data_from_args(args)
    print(data.describe())
    rounds = []
    for index in range(args.rounds):
        if args.rounds > 1:
            print(f"round {index + 1} of {args.rounds}", flush=True)
        rounds.append(_one_round(args, data, configs))
    if args.rounds > 1:
        _print_medians(rounds)
    print(f"peak memory of this process: {_common.peak_rss_mib():,.0f} MiB")


def _one_round(args, data, configs):
    """The reference and every config, each in a fresh process; prints and saves their table."""
    isolate = not args.in_process
    results = []
    if not args.no_reference:
        print(f"reference: {args.reference_epochs} epochs x {args.reference_steps} steps ...",
              flush=True)
        record, peak = _common.isolated(run_reference, data, args.reference_epochs,
                                        args.reference_steps, 5, isolate=isolate)
        results.append({**record, "peak_rss_mib": peak})
    for optimizer, batch_size, sampling, sharing in configs:
        what = (f"defaults, batch_size={batch_size}" if optimizer == "default" else
                f"{optimizer}, batch_size={batch_size}, negative_sampling={sampling}, "
                f"negative_sharing={sharing}")
        print(f"LinkEmbedder {what}: {args.epochs} epochs ...", flush=True)
        record, peak = _common.isolated(run_linkembedder, data.X, args.epochs, optimizer,
                                        batch_size, sampling, sharing, args.seed,
                                        isolate=isolate)
        results.append({**record, "peak_rss_mib": peak})

    full_epoch_examples = data.n_pairs * EXAMPLES_PER_PAIR
    reference_rate = None
    for record in results:
        record["examples_per_s"] = record["measured_examples"] / record["measured_s"]
        record["est_15_epochs_s"] = FULL_EPOCHS * full_epoch_examples / record["examples_per_s"]
        if record["method"].startswith("reference"):
            reference_rate = record["examples_per_s"]
    reference_fit_rate = next((r["fit_examples"] / r["total_s"] for r in results
                               if r["method"].startswith("reference")), None)
    for record in results:
        record["ratio"] = record["examples_per_s"] / reference_rate if reference_rate else None
        # Over a whole fit, set-up, tracing and the warm-up epoch included.
        record["fit_examples_per_s"] = record["fit_examples"] / record["total_s"]
        record["fit_ratio"] = (record["fit_examples_per_s"] / reference_fit_rate
                               if reference_fit_rate else None)

    _print_table(results)
    run = _common.new_run_id()
    for record in results:
        path = _common.write_result("bench_throughput", {
            "run": run, "data": data.tag, "graph": data.describe(), **record}, args.results_dir)
    print(f"figures: {path}")
    return results


def _print_medians(rounds):
    """Each method's ratios in every round (side by side within it) and their median."""
    print(f"ratios to the reference in each of {len(rounds)} rounds, and their median:")
    for position, record in enumerate(rounds[0]):
        if record["ratio"] is None or record["method"].startswith("reference"):
            continue
        steady = [results[position]["ratio"] for results in rounds]
        whole = [results[position]["fit_ratio"] for results in rounds]
        what = (f"{record['method']}, {record['optimizer']}, batch {record['batch_size']}, "
                f"{record.get('negative_sampling') or 'pair'}, shared by "
                f"{record.get('negative_sharing') or 1}")
        print(f"  {what}: steady {', '.join(f'{r:.2f}x' for r in steady)} "
              f"(median {statistics.median(steady):.2f}x); whole fit "
              f"{', '.join(f'{r:.2f}x' for r in whole)} (median {statistics.median(whole):.2f}x)")


def _print_table(results):
    header = (f"{'method':<22} {'optimizer':>9} {'batch':>6} {'negatives':>9} {'shared':>6} "
              f"{'examples/s':>12} "
              f"{'ratio':>7} {'fit ex/s':>11} {'fit ratio':>9} "
              f"{'warm-up s':>9} {'measured s':>10} {'after s':>8} {'15 ep. s':>9} "
              f"{'peak MiB':>9}")
    print(header)
    print("-" * len(header))

    def num(value, spec):
        return format(value, spec) if value is not None else "-"

    for r in results:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        print(f"{r['method']:<22} {r['optimizer']:>9} {r['batch_size']:>6} "
              f"{r.get('negative_sampling') or 'pair':>9} {r.get('negative_sharing') or 1:>6} "
              f"{r['examples_per_s']:>12,.0f} {ratio:>7} {r['fit_examples_per_s']:>11,.0f} "
              f"{num(r['fit_ratio'], '8.2f')}x {num(r['warmup_s'], '9.2f')} "
              f"{num(r['measured_s'], '10.2f')} {num(r['after_training_s'], '8.2f')} "
              f"{r['est_15_epochs_s']:>9,.0f} {r['peak_rss_mib']:>9,.0f}")
    print("examples/s: steady state (after the warm-up epoch), 11 examples per true pair "
          "(a link-context term's examples are not counted); fit ex/s: over the whole fit, "
          "set-up and warm-up included; "
          "15 ep. s: 15 full epochs at that rate (estimate); after s: LinkEmbedder's fold-in "
          "of the rows at the end of fit")


if __name__ == "__main__":
    main()
