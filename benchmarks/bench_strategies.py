"""Training throughput under each tf.distribute configuration this machine offers.

Run::

    python -m benchmarks.bench_strategies            # the bundled films, 3 epochs each

Smoke test: ``--rows 300 --epochs 2 --modes default``.

Configurations, each in fresh processes (``_common.make_strategy``): the default
strategy (one device, all cores); ``MirroredStrategy`` over the cores split into
two logical CPU devices; ``MultiWorkerMirroredStrategy`` with two worker
processes on loopback ports (``TF_CONFIG`` per worker,
``_common.multiworker_envs``). Prints seconds per epoch after the first (the
first includes tracing) and examples per second of LinkEmbedder's defaults.
"""

import argparse
import json
import subprocess
import sys

from . import _common

NAMES = {"default": "default strategy (1 device, 2 cores)",
         "mirrored": "MirroredStrategy, 2 logical CPUs",
         "multiworker": "MultiWorkerMirrored, 2 processes"}


def _worker(args):
    strategy = _common.make_strategy(args.worker)
    from sklearn_linkembed import LinkEmbedder

    X = _common.load_data_from_args(args).X
    with _common.EpochClock() as clock, strategy.scope():
        emb = LinkEmbedder(epochs=args.epochs, random_state=0).fit(X)
    pairs = int(emb.link_counts_.sum())
    ends = clock.times
    per_epoch = (ends[-1] - ends[0]) / (args.epochs - 1)
    print(json.dumps({"mode": args.worker, "replicas": strategy.num_replicas_in_sync,
                      "epoch_s": per_epoch,
                      "examples_per_s": pairs * (1 + emb.negative_ratio) / per_epoch}))


def _run(mode, argv):
    command = _common.module_command("bench_strategies", *argv, "--worker", mode)
    if mode != "multiworker":
        out = subprocess.run(command, capture_output=True, text=True, check=True,
                             cwd=_common.ROOT).stdout
        return json.loads(out.strip().splitlines()[-1])
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, cwd=_common.ROOT, env=env)
               for env in _common.multiworker_envs(2)]
    try:
        outs = [w.communicate(timeout=900)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    return json.loads(outs[0].strip().splitlines()[-1])


def main(argv=None):
    parser = _common.make_parser(__doc__, results=False)
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per fit; the first (tracing) is not measured")
    parser.add_argument("--modes", default=",".join(_common.STRATEGIES),
                        help=f"comma-separated, of {', '.join(_common.STRATEGIES)}")
    parser.add_argument("--worker", choices=_common.STRATEGIES, help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs needs 2 or more: the first is not measured")
    if args.worker:
        _worker(args)
        return
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - set(_common.STRATEGIES):
        parser.error(f"--modes: choose from {', '.join(_common.STRATEGIES)}")
    print(f"{'configuration':<40} {'replicas':>8} {'epoch s':>8} {'examples/s':>12}")
    for mode in modes:
        r = _run(mode, argv)
        print(f"{NAMES[mode]:<40} {r['replicas']:>8} {r['epoch_s']:>8.2f} "
              f"{r['examples_per_s']:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()
