"""One process of a distributed fit, run by tests/test_distribute.py.

Usage: python _distributed_worker.py {mirrored|multiworker|single} OUT_DIR [INDEX]
(multiworker reads its cluster from TF_CONFIG, as TensorFlow's own workers do).
"""

import sys

import numpy as np
import tensorflow as tf


def main():
    mode, out = sys.argv[1], sys.argv[2]
    index = sys.argv[3] if len(sys.argv) > 3 else "0"
    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif mode == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()

    from sklearn_linkembed import LinkEmbedder, make_bipartite_graph

    X, _, _ = make_bipartite_graph(400, 300, 6000, n_communities=4, mixing=0.1, random_state=0)
    with strategy.scope():
        emb = LinkEmbedder(embedding_size=16, epochs=4, batch_size=256,
                           random_state=0).fit(X)
    np.save(f"{out}/links_{mode}_{index}.npy", emb.link_vectors_.vectors)
    np.save(f"{out}/rows_{mode}_{index}.npy", emb.row_vectors_.vectors)
    print("replicas", strategy.num_replicas_in_sync, flush=True)


if __name__ == "__main__":
    main()
