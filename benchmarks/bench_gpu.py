"""One training epoch on the GPU against the CPU, on the same graph.

Run (on a machine with a GPU; on a CPU-only machine it says so and times the CPU)::

    python -m benchmarks.bench_gpu                 # the seed-shaped synthetic graph
    python -m benchmarks.bench_gpu --data films

Smoke test: ``--data films --rows 300``.

The engine is the same code on both (``_common.engine_for``): TensorFlow places
the tables and the training step on ``/GPU:0`` or ``/CPU:0`` as asked. Prints
seconds per epoch (after a warm-up call) and examples per second for each
device and the speed-up.
"""

from . import _common


def epoch_seconds(X, device, params):
    """Seconds and examples/s of one epoch of ``LinkEmbedder(**params)``'s engine on ``device``."""
    import tensorflow as tf

    from sklearn_linkembed import LinkEmbedder

    with tf.device(device):
        engine = _common.engine_for(LinkEmbedder(**params), X)
        seconds = _common.time_epoch(engine)
    return engine, seconds, engine.n_pairs * engine.examples_per_pair / seconds


def main(argv=None):
    parser = _common.make_parser(__doc__, data="synthetic", results=False, params=True)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="LinkEmbedder's batch_size (default: its own)")
    args = parser.parse_args(argv)
    params = dict(args.params)
    if args.batch_size:
        params["batch_size"] = args.batch_size
    _common.import_tensorflow()
    import tensorflow as tf

    data = _common.load_data_from_args(args)
    gpus = tf.config.list_logical_devices("GPU")
    print(data.describe())
    engine, cpu_s, cpu_rate = epoch_seconds(data.X, "/CPU:0", params)
    config = engine.config
    print(f"engine: batch_size {config.batch_size}, negative_ratio {config.negative_ratio}, "
          f"optimizer {config.optimizer}")
    print(f"CPU: {cpu_s:7.2f} s per epoch, {cpu_rate / 1e6:6.2f} M examples/s")
    if not gpus:
        print("GPU: none visible to TensorFlow on this machine")
        return
    _, gpu_s, gpu_rate = epoch_seconds(data.X, "/GPU:0", params)
    print(f"GPU: {gpu_s:7.2f} s per epoch, {gpu_rate / 1e6:6.2f} M examples/s "
          f"({cpu_s / gpu_s:.1f}x the CPU) on {gpus[0].name}")


if __name__ == "__main__":
    main()
