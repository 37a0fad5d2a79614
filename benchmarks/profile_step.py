"""Where the time of a fit goes: its phases, and the parts of one training step.

Run (a minute or two on a quiet machine)::

    python -m benchmarks.profile_step --data films
    python -m benchmarks.profile_step --data synthetic --params '{"negative_sharing": 1}'

Smoke test: ``--rows 300 --steps 5 --ops``.

``--pairs N`` profiles ``bench_scaling``'s power-law graph of about N pairs
instead of ``--data`` (``min_count=1``, as there), without the whole fit's
phases (a fit of 10^8 pairs takes minutes; ``bench_scaling`` times its epoch):
``--pairs 1e6 --steps 60 --ops`` and ``--pairs 1e8 --steps 60 --ops`` show
which operations grow when the tables outgrow the processor's caches.

Three views, on one graph, for ``LinkEmbedder`` with ``--params`` on top of its
defaults, in a process that has imported TensorFlow:

* **phases of a fit**: ``fit`` is timed whole, its epochs from its per-epoch
  log record (``_common.EpochClock``): setup and the first epoch (tracing and
  compiling, then training), each other epoch, and what follows the last epoch
  (the fold-in of every row); and the seconds Python's garbage collector ran
  during the fit, by generation (``_common.CollectorClock``). The setup alone
  (building the graph, pairs and engine) is timed apart through
  ``_common.engine_for``;
* **parts of a step**, by ablation: one full step; one without the update
  (negatives, gathers, loss and gradients only: each gradient is kept in use,
  or TensorFlow would drop its computation); one with the duplicate merge but
  no optimizer update; each in ms per step, over ``--steps`` steps after a
  warm-up. The engine's update is replaced on one engine at a time
  (``engine_for(..., update=...)``), never on its class;
* **operations** (``--ops``): TensorFlow's own profiler
  (``tf.profiler.experimental``) records ``--steps`` full steps, and the
  thread time of each kind of operation, summed over TensorFlow's threads, is
  printed per step. The trace is read with the ``xplane`` protocol buffer
  that TensorFlow ships, so no profiler plug-in is needed.
"""

import time

import numpy as np

from . import _common


def phases(X, params):
    from sklearn_linkembed import LinkEmbedder

    est = LinkEmbedder(random_state=0, **params)
    with _common.EpochClock() as clock, _common.CollectorClock() as collector:
        start = time.perf_counter()
        est.fit(X)
        end = time.perf_counter()
    with _common.Timer() as setup:
        _common.engine_for(LinkEmbedder(random_state=0, **params), X)
    epochs = clock.times
    if not epochs:
        print(f"fit {end - start:.2f} s (no per-epoch log records: no phases); "
              f"setup alone {setup.seconds:.2f} s")
        return
    print(f"fit {end - start:.2f} s: setup and first epoch {epochs[0] - start:.2f} "
          f"(setup alone {setup.seconds:.2f}), other epochs "
          f"{np.mean(np.diff(epochs)) if len(epochs) > 1 else float('nan'):.2f} each, "
          f"after the last epoch (fold-in) {end - epochs[-1]:.2f}")
    print("garbage collection during fit "
          f"{collector.total:.3f} s ({_seconds_by_generation(collector.seconds)})")


def _seconds_by_generation(seconds):
    return ", ".join(f"generation {g}: {s:.3f} s" for g, s in sorted(seconds.items())) or "none"


def _no_update(merge_rows, ctx, table, index, grad):
    import tensorflow as tf

    # Each gradient must still be computed: TensorFlow drops the operations whose
    # results nothing uses, and a step without any update measured 1.7 ms less than
    # one that kept a gradient alive (films, batch 4096).
    for rows, part in zip(index, grad):
        table.scatter_sub(tf.IndexedSlices(0.0 * part[:1], rows[:1]))


def _merge_only(merge_rows, ctx, table, index, grad):
    import tensorflow as tf

    index, position = tf.unique(tf.concat(index, 0))
    grad = merge_rows(position, *grad)[:tf.size(index)]
    table.scatter_sub(tf.IndexedSlices(0.0 * grad[:1], index[:1]))  # keep it alive


def step_parts(X, params, steps):
    from sklearn_linkembed import LinkEmbedder

    results = {}
    for name, update in [("full step", None), ("no update", _no_update),
                         ("merge, no optimizer", _merge_only)]:
        engine = _common.engine_for(LinkEmbedder(random_state=0, **params), X, update=update)
        batches = engine.epoch_batches(0)[:steps]
        engine.train(batches[:2], 0)  # tracing
        start = time.perf_counter()
        engine.train(batches, 0)
        results[name] = (time.perf_counter() - start) / len(batches) * 1000
    full_ms, grad_ms, merge_ms = (results[k] for k in results)
    config = engine.config
    print(f"step (batch {config.batch_size}, {config.negative_ratio} negatives, shared by "
          f"{config.negative_sharing}, {config.optimizer}): {full_ms:.2f} ms")
    print(f"  negatives, gathers, loss and gradients  {grad_ms:6.2f} ms")
    print(f"  merging duplicate rows                  {merge_ms - grad_ms:6.2f} ms")
    print(f"  optimizer update (scatter)              {full_ms - merge_ms:6.2f} ms")


def op_profile(X, params, steps, top=15):
    """Thread time per step of each kind of TensorFlow operation, from its profiler."""
    import collections
    import tempfile
    from pathlib import Path

    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    from sklearn_linkembed import LinkEmbedder

    engine = _common.engine_for(LinkEmbedder(random_state=0, **params), X)
    batches = engine.epoch_batches(0)[:steps]
    engine.train(batches[:2], 0)  # tracing and compiling stay out of the trace
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        engine.train(batches, 0)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    ms = collections.Counter()
    for plane in space.planes:
        names = plane.event_metadata
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # TensorFlow's worker threads
                continue
            for event in line.events:
                name = names[event.metadata_id].name
                if name == "CpuExecutable::ExecuteAsyncOnStream":
                    kind = "XLA-compiled functions"
                elif ":" in name and "::" not in name:  # "node name:op type"
                    kind = name.rsplit(":", 1)[1]
                else:  # the executor's own spans, which contain the operations
                    continue
                ms[kind] += event.duration_ps / 1e9 / len(batches)
    print(f"operations, thread ms per step over {len(batches)} steps "
          f"(summed over threads; total {sum(ms.values()):.2f}):")
    for op, value in ms.most_common(top):
        print(f"  {op:40s} {value:6.2f}")


def main(argv=None):
    parser = _common.make_parser(__doc__, results=False, params=True)
    parser.add_argument("--steps", type=int, default=200, help="steps timed per variant")
    parser.add_argument("--ops", action="store_true",
                        help="also profile the operations of --steps steps")
    parser.add_argument("--pairs", type=float, default=None,
                        help="profile bench_scaling's power-law graph of about this many pairs "
                             "(min_count=1) instead of --data, without the fit's phases")
    args = parser.parse_args(argv)
    _common.import_tensorflow()  # before any clock

    if args.pairs is not None:
        from ._graphs import power_law_graph

        X, params = power_law_graph(int(args.pairs)), {"min_count": 1, **args.params}
        print(f"power-law graph: {X.shape[0]:,} rows x {X.shape[1]:,} link columns, "
              f"{X.nnz:,} pairs")
    else:
        data = _common.load_data_from_args(args)
        print(data.describe())
        X, params = data.X, args.params
        phases(X, params)
    step_parts(X, params, args.steps)
    if args.ops:
        op_profile(X, params, args.steps)


if __name__ == "__main__":
    main()
