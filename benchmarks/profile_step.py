"""Where the time of a fit goes: its phases, and the parts of one training step.

Run (a minute or two on a quiet machine)::

    python benchmarks/profile_step.py --data films
    python benchmarks/profile_step.py --data synthetic --params '{"negative_sharing": 1}'

Two views, on one graph, for ``LinkEmbedder`` with ``--params`` on top of its
defaults:

* **phases of a fit**, in a process that has imported TensorFlow: building the
  graph, sampler and engine; the first epoch (tracing and compiling, then
  training); the other epochs; the fold-in of every row at the end;
* **parts of a step**, by ablation (TensorFlow's op-level profiles need a
  plug-in that is not installed here; removing a part and timing the rest is
  as informative for a step of a few operations): one full epoch; without the
  update (negatives, gathers, loss and gradients only); with the duplicate
  merge but no optimizer update; each in ms per step, after a warm-up.
"""

import json
import logging
import time

import numpy as np


def phases(X, params):
    import sklearn_linkembed.embedder as embedder_module
    from sklearn_linkembed import LinkEmbedder

    marks = {}
    est = LinkEmbedder(random_state=0, **params)
    fold_in, train = est._fold_in, est._train

    def timed_train(trainer, rng):
        marks["setup"] = time.perf_counter()
        return train(trainer, rng)

    def timed_fold_in(csr):
        marks["trained"] = time.perf_counter()
        return fold_in(csr)

    epochs = []

    class Clock(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("epoch "):
                epochs.append(time.perf_counter())

    logger = logging.getLogger(embedder_module.__name__)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Clock())
    est._train, est._fold_in = timed_train, timed_fold_in
    start = time.perf_counter()
    est.fit(X)
    end = time.perf_counter()
    print(f"fit {end - start:.2f} s: setup {marks['setup'] - start:.2f}, first epoch "
          f"{epochs[0] - marks['setup']:.2f}, other epochs "
          f"{np.mean(np.diff(epochs)) if len(epochs) > 1 else float('nan'):.2f} each, fold-in "
          f"{end - marks['trained']:.2f}")


def step_parts(X, params, steps):
    import tensorflow as tf

    from sklearn_linkembed import LinkEmbedder, _engine
    from sklearn_linkembed._graph import graph_from_input

    est = LinkEmbedder(random_state=0, **params)
    graph = graph_from_input(est, X, min_count=est.min_count, reset=True)
    graph.csr.sort_indices()
    full = _engine.Trainer._apply

    def no_update(self, ctx, table, index, grad):
        return None

    def merge_only(self, ctx, table, index, grad):
        index, position = tf.unique(index)
        grad = tf.math.unsorted_segment_sum(grad, position, tf.size(index))
        table.scatter_sub(tf.IndexedSlices(0.0 * grad[:1], index[:1]))  # keep it alive

    results = {}
    for name, apply in [("full step", full), ("no update", no_update),
                        ("merge, no optimizer", merge_only)]:
        _engine.Trainer._apply = apply
        try:
            _, trainer = est._trainer(graph, seed=0)
            batches = trainer.epoch_batches(np.random.RandomState(0))[:steps]
            trainer.train(batches[:2], 0)  # tracing
            start = time.perf_counter()
            trainer.train(batches, 0)
            results[name] = (time.perf_counter() - start) / len(batches) * 1000
        finally:
            _engine.Trainer._apply = full
    full_ms, grad_ms, merge_ms = (results[k] for k in results)
    print(f"step (batch {est.batch_size}, {est.negative_ratio} negatives, shared by "
          f"{est.negative_sharing}, {est._optimizer()}): {full_ms:.2f} ms")
    print(f"  negatives, gathers, loss and gradients  {grad_ms:6.2f} ms")
    print(f"  merging duplicate rows                  {merge_ms - grad_ms:6.2f} ms")
    print(f"  optimizer update (scatter)              {full_ms - merge_ms:6.2f} ms")


def main():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common

    parser = _common.parser(__doc__)
    parser.add_argument("--data", choices=["films", "synthetic"], default="films")
    parser.add_argument("--params", default="{}", help="LinkEmbedder parameters as JSON")
    parser.add_argument("--steps", type=int, default=200, help="steps timed per variant")
    args = parser.parse_args()
    import sklearn_linkembed._engine  # noqa: F401  (TensorFlow, before any clock)

    data = _common.load_data(args.data)
    print(data.describe())
    params = json.loads(args.params)
    phases(data.X, params)
    step_parts(data.X, params, args.steps)


if __name__ == "__main__":
    main()
