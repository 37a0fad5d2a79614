"""Training throughput under each tf.distribute configuration this machine offers.

Run::

    python benchmarks/bench_strategies.py            # the bundled films, 3 epochs each

Configurations, each in fresh processes: the default strategy (one device, all
cores); ``MirroredStrategy`` over the cores split into two logical CPU devices;
``MultiWorkerMirroredStrategy`` with two worker processes on loopback ports
(``TF_CONFIG`` per worker). Prints seconds per epoch after the first (the
first includes tracing) and examples per second of LinkEmbedder's defaults.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time


def _worker(mode, epochs):
    import logging

    import tensorflow as tf

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif mode == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies

    ends = []

    class Clock(logging.Handler):
        def emit(self, record):
            ends.append(time.perf_counter())

    logger = logging.getLogger("sklearn_linkembed.embedder")
    logger.addHandler(Clock())
    logger.setLevel(logging.DEBUG)
    links = load_wikipedia_movies().links
    with strategy.scope():
        emb = LinkEmbedder(epochs=epochs, random_state=0).fit(links)
    pairs = int(emb.link_counts_.sum())
    per_epoch = (ends[-1] - ends[0]) / (epochs - 1)
    print(json.dumps({"mode": mode, "replicas": strategy.num_replicas_in_sync,
                      "epoch_s": per_epoch,
                      "examples_per_s": pairs * (1 + emb.negative_ratio) / per_epoch}))


def _run(mode, epochs):
    script = [sys.executable, __file__, "--worker", mode, "--epochs", str(epochs)]
    if mode != "multiworker":
        out = subprocess.run(script, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    sockets = [socket.socket() for _ in range(2)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
    for s in sockets:
        s.close()
    workers = [subprocess.Popen(script, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=dict(os.environ, TF_CONFIG=json.dumps(
                                    {"cluster": cluster, "task": {"type": "worker",
                                                                  "index": i}})))
               for i in range(2)]
    try:
        outs = [w.communicate(timeout=900)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    return json.loads(outs[0].strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.epochs)
        return
    print(f"{'configuration':<40} {'replicas':>8} {'epoch s':>8} {'examples/s':>12}")
    names = {"default": "default strategy (1 device, 2 cores)",
             "mirrored": "MirroredStrategy, 2 logical CPUs",
             "multiworker": "MultiWorkerMirrored, 2 processes"}
    for mode in ("default", "mirrored", "multiworker"):
        r = _run(mode, args.epochs)
        print(f"{names[mode]:<40} {r['replicas']:>8} {r['epoch_s']:>8.2f} "
              f"{r['examples_per_s']:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()
