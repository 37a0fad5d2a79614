"""One training epoch on the GPU against the CPU, on the same graph.

Run (on a machine with a GPU; on a CPU-only machine it says so and times the CPU)::

    python benchmarks/bench_gpu.py                 # the seed-shaped synthetic graph
    python benchmarks/bench_gpu.py --data films

The engine is the same code on both: TensorFlow places the tables and the
training step on ``/GPU:0`` or ``/CPU:0`` as asked. Prints seconds per epoch and
examples per second for each device and the speed-up.
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies, make_seed_shaped_graph
from sklearn_linkembed._graph import graph_from_input


def epoch_seconds(graph, device, est):
    with tf.device(device):
        sampler, trainer = est._trainer(graph, seed=0)
        batches = trainer.epoch_batches(np.random.RandomState(0))
        trainer.train(batches[:2], 0)  # tracing and warm-up
        start = time.perf_counter()
        trainer.train(batches, 0)
        seconds = time.perf_counter() - start
    return seconds, sampler.n_pairs * (1 + est.negative_ratio) / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["synthetic", "films"], default="synthetic")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    est = LinkEmbedder(min_count=3)
    if args.batch_size:
        est.set_params(batch_size=args.batch_size)
    X = (load_wikipedia_movies().links if args.data == "films"
         else make_seed_shaped_graph(random_state=0)[0])
    graph = graph_from_input(LinkEmbedder(), X, min_count=est.min_count, reset=True)
    graph.csr.sort_indices()
    gpus = tf.config.list_logical_devices("GPU")
    print(f"graph: {graph.csr.shape[0]:,} rows, {graph.csr.shape[1]:,} links, "
          f"{graph.csr.nnz:,} pairs; batch_size {est.batch_size}, "
          f"negative_ratio {est.negative_ratio}, optimizer {est._optimizer()}")
    cpu_s, cpu_rate = epoch_seconds(graph, "/CPU:0", est)
    print(f"CPU: {cpu_s:7.2f} s per epoch, {cpu_rate / 1e6:6.2f} M examples/s")
    if not gpus:
        print("GPU: none visible to TensorFlow on this machine")
        return
    gpu_s, gpu_rate = epoch_seconds(graph, "/GPU:0", est)
    print(f"GPU: {gpu_s:7.2f} s per epoch, {gpu_rate / 1e6:6.2f} M examples/s "
          f"({cpu_s / gpu_s:.1f}x the CPU) on {gpus[0].name}")


if __name__ == "__main__":
    main()
