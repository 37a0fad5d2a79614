"""The defaults and the seed's batch shape on one GPU beside the CPU: examples/s and time to quality.

Run (one prepared script, under 5 minutes on a GPU machine with the bundled films; on
a CPU-only machine it says so and prints the CPU figures only)::

    python -m benchmarks.bench_gpu
    python -m benchmarks.bench_gpu --data synthetic --target 0.40

Smoke test: ``--rows 300 --epochs-grid 1``.

For each configuration, ``defaults`` (``LinkEmbedder()``) and ``seed-shape`` (the
defaults with ``batch_size=512``: the seed notebook's 512 true pairs and 10 negatives a
step), and each device (``/CPU:0``, then ``/GPU:0`` when TensorFlow sees one), whole
fits run under ``tf.distribute.OneDeviceStrategy(device)``, the path the library
documents for one accelerator, on the training part of the graph (10% of each row's
links held out, ``train_test_split_links``, seed 0):

* **examples/s over the whole fit**: ``fit`` of ``--epochs`` epochs, set-up, tracing and
  the row vectors included, 11 examples per true pair and epoch (a true pair and its
  10 negatives; the link-context term's examples are not counted);
* **time to quality**: fits of 1, 2, 3, ... epochs (``--epochs-grid``) until the
  held-out Recall@10 (``link_prediction_scores``, full ranking) is above ``--target``
  (default 0.255, the seed notebook's model after its 15 epochs on the films in
  ``benchmarks/README.md``); the seconds of that fit, or "not reached".

The first fit on each device pays TensorFlow's start on it (CUDA context, kernels);
a warm-up fit of one epoch on 300 rows runs first and is not timed.
"""

import time

from . import _common

CONFIGS = {"defaults": {}, "seed-shape": {"batch_size": 512}}
EXAMPLES_PER_PAIR = 11


def fit_on(device, X, params):
    """``(estimator, seconds)`` of a fit under a one-device strategy on ``device``."""
    import tensorflow as tf

    from sklearn_linkembed import LinkEmbedder

    est = LinkEmbedder(random_state=0, **params)
    with tf.distribute.OneDeviceStrategy(device).scope():
        start = time.perf_counter()
        est.fit(X)
        return est, time.perf_counter() - start


def recall_at_10(est, X_train, X_test):
    from sklearn_linkembed import link_prediction_scores

    return link_prediction_scores(est, X_train, X_test, n_queries=2000,
                                  random_state=0)["recall@10"]


def run_device(device, X_train, X_test, params, epochs, grid, target):
    est, seconds = fit_on(device, X_train, {**params, "epochs": epochs})
    n_pairs = int(est.link_counts_.sum())
    record = {"device": device, "fit_s": seconds, "epochs": epochs,
              "examples_per_s": epochs * n_pairs * EXAMPLES_PER_PAIR / seconds,
              "recall@10": recall_at_10(est, X_train, X_test),
              "epochs_to_target": None, "time_to_target_s": None}
    for e in grid:
        est, seconds = (est, record["fit_s"]) if e == epochs else fit_on(
            device, X_train, {**params, "epochs": e})
        if recall_at_10(est, X_train, X_test) > target:
            record.update(epochs_to_target=e, time_to_target_s=seconds)
            break
    return record


def main(argv=None):
    parser = _common.make_parser(__doc__, data="films", holdout=0.1, results=False,
                                 params=True)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the timed fit")
    parser.add_argument("--epochs-grid", default="1,2,3,5,8",
                        help="epochs tried, in order, for the time to quality")
    parser.add_argument("--target", type=float, default=0.255,
                        help="held-out Recall@10 to reach (default: the seed model's on films)")
    args = parser.parse_args(argv)
    grid = [int(e) for e in args.epochs_grid.split(",") if e]
    _common.import_tensorflow()
    import tensorflow as tf

    data = _common.load_data_from_args(args)
    print(data.describe())
    devices = ["/CPU:0"]
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        devices.append("/GPU:0")
        print(f"GPU: {gpus[0].name}")
    else:
        print("GPU: none visible to TensorFlow on this machine; CPU figures only")
    X_train, X_test = data.X, data.X_test  # data.X is the training part
    for device in devices:  # warm-up: the device's start, not timed
        fit_on(device, X_train[:300], {**args.params, "epochs": 1, "min_count": 1})

    print(f"{'config':<11} {'device':<7} {'fit s':>7} {'M ex/s':>7} {'R@10':>6} "
          f"{'epochs to target':>16} {'s to target':>11}")
    for name, config in CONFIGS.items():
        params = {**config, **args.params}
        for device in devices:
            r = run_device(device, X_train, X_test, params, args.epochs, grid, args.target)
            reached = r["epochs_to_target"] is not None
            print(f"{name:<11} {device[1:4]:<7} {r['fit_s']:>7.2f} "
                  f"{r['examples_per_s'] / 1e6:>7.2f} {r['recall@10']:>6.3f} "
                  f"{r['epochs_to_target'] if reached else 'not reached':>16} "
                  f"{r['time_to_target_s'] if reached else float('nan'):>11.2f}", flush=True)
    print(f"target: held-out Recall@10 above {args.target}; M ex/s: millions of examples "
          f"per second over a whole {args.epochs}-epoch fit, set-up included")


if __name__ == "__main__":
    main()
