"""The seed notebook's training, ported to Keras 3: the reference for speed and quality.

Run (the notebook's full training, 15 epochs of ``len(pairs) // 512`` steps)::

    python -m benchmarks.reference_seed --data films

``--data synthetic`` trains on the seed-shaped synthetic graph instead;
``--epochs 2 --steps-per-epoch 50`` is a smoke test; ``--holdout 0.1`` trains
on the link-prediction training part that ``benchmarks.bench_baselines`` scores. It
prints the seconds and examples/s (``steps * 512 * 11 / s``) of every epoch and
in total, appends them to ``benchmarks/results/reference_seed.jsonl`` and saves
the trained vectors as ``benchmarks/results/reference_<data>_rows.npy`` /
``_links.npy`` (``<data>`` is e.g. ``films`` or ``films-holdout0.1``; rows and
links indexed like the graph's matrix, ``_common.load_data``) for the quality
benchmark.

What is kept from the notebook: the model (two ``Embedding`` tables of 50
dimensions, ``Dot(normalize=True, axes=2)``, ``Reshape((1,))``, Nadam and MSE,
Keras' default ``uniform(-0.05, 0.05)`` initialiser), the Python batchifier
(``random.sample`` of 512 true pairs from the ``pairs`` list, 10 random
(link, film) non-pairs each, re-drawn while in ``pairs_set``, labels +1 / -1,
``np.random.shuffle``) and ``fit`` with ``steps_per_epoch=len(pairs) // 512``.
What differs, and why:

* ``random.seed(5)`` becomes a local ``random.Random(5)`` and
  ``np.random.shuffle`` a local ``np.random.RandomState(5).shuffle`` (the same
  algorithm), and the initialiser is seeded: no global seed is touched;
* ``fit_generator`` is ``fit`` (removed from Keras);
* the batchifier yields copies of its buffer: Keras 3 peeks at the first
  batches of a generator before training, so yielding views of one reused
  array would train on a repeated batch;
* films are rows by position (the notebook's ``movie_to_index`` maps titles,
  which would merge films sharing a title).

Import :func:`train_reference` to train it from another script.
"""

import random
import time
import warnings

import numpy as np

from . import _common

POSITIVE_SAMPLES = 512
NEGATIVE_RATIO = 10
EMBEDDING_SIZE = 50


def get_movie_embedding_model(n_links, n_movies, embedding_size=EMBEDDING_SIZE, seed=None):
    """The notebook's model, unchanged but for the seeded initialiser."""
    from keras import Model, initializers
    from keras.layers import Dot, Embedding, Input, Reshape

    link = Input(name="link", shape=(1,))
    movie = Input(name="movie", shape=(1,))

    link_embedding = Embedding(name="link_embedding", input_dim=n_links,
                               output_dim=embedding_size,
                               embeddings_initializer=initializers.RandomUniform(
                                   -0.05, 0.05, seed=seed))(link)
    movie_embedding = Embedding(name="movie_embedding", input_dim=n_movies,
                                output_dim=embedding_size,
                                embeddings_initializer=initializers.RandomUniform(
                                    -0.05, 0.05, seed=None if seed is None else seed + 1))(movie)
    dot = Dot(name="dot_product", normalize=True, axes=2)([link_embedding, movie_embedding])

    merged = Reshape(target_shape=(1,))(dot)

    model = Model(inputs=[link, movie], outputs=[merged])
    model.compile(optimizer="nadam", loss="mse")
    return model


def batchifier(pairs, pairs_set, n_links, n_movies, rng, np_rng,
               positive_samples=50, negative_ratio=NEGATIVE_RATIO):
    """The notebook's generator, drawing from ``rng`` (``random.Random``) and ``np_rng``."""
    batch_size = positive_samples * (1 + negative_ratio)
    batch = np.zeros((batch_size, 3))

    while True:
        for index, (link_id, movie_id) in enumerate(rng.sample(pairs, positive_samples)):
            batch[index, :] = (link_id, movie_id, 1)

        index = positive_samples

        while index < batch_size:
            movie_id = rng.randrange(n_movies)
            link_id = rng.randrange(n_links)

            if (link_id, movie_id) not in pairs_set:
                batch[index, :] = (link_id, movie_id, -1)
                index += 1

        np_rng.shuffle(batch)

        yield {"link": batch[:, 0].copy(), "movie": batch[:, 1].copy()}, batch[:, 2].copy()


def _epoch_timer(epoch_seconds, epoch_losses):
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self._start)
            epoch_losses.append(float((logs or {}).get("loss", np.nan)))

    return EpochTimer()


def train_reference(pairs_rows, pairs_links, n_rows, n_links, epochs=15, steps_per_epoch=None,
                    seed=5, *, epoch_seconds=None, epoch_losses=None, verbose=0):
    """Train the notebook's model on the given pairs; the notebook's ``In [9]``-``In [12]``.

    Parameters
    ----------
    pairs_rows, pairs_links : array-like of int
        The true pairs, in the order the ``pairs`` list is built.
    n_rows, n_links : int
        Sizes of the two embedding tables (``len(movie_to_index)``, ``len(top_links)``).
    epochs : int, default=15
    steps_per_epoch : int or None, default=None
        ``None`` is the notebook's ``len(pairs) // 512``.
    seed : int, default=5
        The notebook's ``random.seed(5)``, applied to local generators only.
    epoch_seconds, epoch_losses : list or None
        If given, each epoch's wall time and mean loss are appended.
    verbose : int, default=0
        Keras' progress output.

    Returns
    -------
    row_vectors : ndarray of shape (n_rows, 50)
        The ``movie_embedding`` weights.
    link_vectors : ndarray of shape (n_links, 50)
        The ``link_embedding`` weights.
    seconds : float
        Wall time of ``model.fit`` (all epochs, tracing and the generator's first
        batches included).
    examples_per_s : float
        ``epochs * steps_per_epoch * 512 * 11 / seconds``.
    """
    pairs = [(int(link), int(row)) for link, row in zip(pairs_links, pairs_rows)]
    pairs_set = set(pairs)
    if steps_per_epoch is None:
        steps_per_epoch = len(pairs) // POSITIVE_SAMPLES
    epoch_seconds = [] if epoch_seconds is None else epoch_seconds
    epoch_losses = [] if epoch_losses is None else epoch_losses

    model = get_movie_embedding_model(n_links, n_rows, seed=seed)
    data_generator = batchifier(pairs, pairs_set, n_links, n_rows, random.Random(seed),
                                np.random.RandomState(seed), POSITIVE_SAMPLES)
    # Keras 3 warns that shuffle=True (fit's default) is ignored for generators.
    warnings.filterwarnings("ignore", "`shuffle=True` was passed", UserWarning)
    start = time.perf_counter()
    model.fit(data_generator, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=verbose,
              callbacks=[_epoch_timer(epoch_seconds, epoch_losses)])
    seconds = time.perf_counter() - start

    row_vectors = model.get_layer("movie_embedding").get_weights()[0]
    link_vectors = model.get_layer("link_embedding").get_weights()[0]
    examples = epochs * steps_per_epoch * POSITIVE_SAMPLES * (1 + NEGATIVE_RATIO)
    return row_vectors, link_vectors, seconds, examples / seconds


def main(argv=None):
    parser = _common.make_parser(__doc__, seed=5)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="default: len(pairs) // 512, the notebook's")
    parser.add_argument("--verbose", type=int, default=0, help="Keras' fit verbosity")
    args = parser.parse_args(argv)

    data = _common.load_data_from_args(args)
    steps = args.steps_per_epoch or data.n_pairs // POSITIVE_SAMPLES
    print(data.describe())
    print(f"reference (Keras {_keras_version()}): {args.epochs} epochs x {steps} steps x "
          f"{POSITIVE_SAMPLES} pairs x {1 + NEGATIVE_RATIO} examples")

    epoch_seconds, epoch_losses = [], []
    rows, links, seconds, rate = train_reference(
        data.pairs_rows, data.pairs_links, data.n_rows, data.n_links, args.epochs, steps,
        args.seed, epoch_seconds=epoch_seconds, epoch_losses=epoch_losses, verbose=args.verbose)

    examples_per_epoch = steps * POSITIVE_SAMPLES * (1 + NEGATIVE_RATIO)
    for epoch, (s, loss) in enumerate(zip(epoch_seconds, epoch_losses), 1):
        print(f"epoch {epoch:2d}/{args.epochs}: {s:8.2f} s {examples_per_epoch / s:12,.0f} "
              f"examples/s  loss {loss:.4f}")
    steady = epoch_seconds[1:]
    steady_rate = (len(steady) * examples_per_epoch / sum(steady)) if steady else None
    print(f"total: {seconds:.2f} s, {rate:,.0f} examples/s"
          + (f" ({steady_rate:,.0f} examples/s after epoch 1)" if steady_rate else ""))
    print(f"peak memory: {_common.peak_rss_mib():,.0f} MiB")

    paths = _common.save_vectors("reference", data.tag, rows, links, args.results_dir)
    path = _common.write_result("reference_seed", {
        "run": _common.new_run_id(), "data": data.tag, "graph": data.describe(),
        "method": "reference (Keras fit)",
        "epochs": args.epochs, "steps_per_epoch": steps, "seed": args.seed,
        "seconds": seconds, "examples_per_s": rate, "examples_per_s_after_epoch_1": steady_rate,
        "epoch_seconds": epoch_seconds, "epoch_losses": epoch_losses,
        "peak_rss_mib": _common.peak_rss_mib(), "vectors": [str(p) for p in paths],
    }, args.results_dir)
    print(f"vectors: {', '.join(str(p) for p in paths)}\nfigures: {path}")


def _keras_version():
    import keras

    return keras.__version__


if __name__ == "__main__":
    main()
