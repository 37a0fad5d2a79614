"""Training under tf.distribute strategies: two CPU replicas, and two workers on loopback."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_linkembed import make_bipartite_graph

WORKER = str(Path(__file__).with_name("_distributed_worker.py"))
TIMEOUT = 240


def _neighbour_accuracy(rows):
    _, communities, _ = make_bipartite_graph(400, 300, 6000, n_communities=4, mixing=0.1,
                                             random_state=0)
    cos = rows @ rows.T
    np.fill_diagonal(cos, -np.inf)
    return (communities[cos.argmax(1)] == communities).mean()


def _run(args, env=None):
    return subprocess.Popen([sys.executable, WORKER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def _wait(processes):
    try:
        outputs = [p.communicate(timeout=TIMEOUT)[0] for p in processes]
    finally:
        for p in processes:  # never leave a worker behind
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, out in zip(processes, outputs):
        assert p.returncode == 0, out[-3000:]
    return outputs


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    _wait([_run(["single", str(out)])])
    return np.load(out / "rows_single_0.npy")


def test_mirrored_strategy_on_two_cpu_replicas_matches_single_process(tmp_path, single):
    (out,) = _wait([_run(["mirrored", str(tmp_path)])])
    assert "replicas 2" in out
    rows = np.load(tmp_path / "rows_mirrored_0.npy")
    assert _neighbour_accuracy(rows) >= _neighbour_accuracy(single) - 0.05


def test_two_workers_multiworker_mirrored_agree_with_each_other_and_single(tmp_path, single):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    processes = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        processes.append(_run(["multiworker", str(tmp_path), str(index)], env=env))
    outputs = _wait(processes)
    assert all("replicas 2" in out for out in outputs)
    links = [np.load(tmp_path / f"links_multiworker_{i}.npy") for i in range(2)]
    np.testing.assert_array_equal(links[0], links[1])
    rows = np.load(tmp_path / "rows_multiworker_0.npy")
    assert _neighbour_accuracy(rows) >= _neighbour_accuracy(single) - 0.05
