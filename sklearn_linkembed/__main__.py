"""The seed notebook in one command: ``python -m sklearn_linkembed [--data FILE.ndjson]``."""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.svm import SVC

from .datasets import load_wikipedia_movies, read_movies_ndjson
from .embedder import LinkEmbedder

QUERY_FILMS = ["Rogue One", "Star Wars (film)", "Toy Story", "The Godfather"]
QUERY_LINKS = ["George Lucas", "Steven Spielberg", "Meryl Streep"]
# The notebook's hand-labelled favourites and dislikes.
BEST = ["Star Wars: The Force Awakens", "The Martian (film)", "Tangerine (film)",
        "Straight Outta Compton (film)", "Brooklyn (film)", "Carol (film)", "Spotlight (film)"]
WORST = ["American Ultra", "The Cobbler (2014 film)", "Entourage (film)",
         "Fantastic Four (2015 film)", "Get Hard", "Hot Pursuit (2015 film)",
         "Mortdecai (film)", "Serena (2014 film)", "Vacation (2015 film)"]


_DESCRIPTION = """\
Train a LinkEmbedder on the bundled Wikipedia films (or on FILE.ndjson in the
seed notebook's wp_movies_10k.ndjson layout) and print what the notebook
printed: films like a film, links like a link, an SVM's best and worst films
from the notebook's hand-labelled favourites, and a Rotten Tomatoes regression
next to predicting the mean.

TensorFlow's start-up lines (oneDNN, CUDA, CPU features) are hidden unless
you pass -v or set TF_CPP_MIN_LOG_LEVEL yourself."""


def _parser():
    parser = argparse.ArgumentParser(prog="python -m sklearn_linkembed", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", metavar="FILE",
                        help="an .ndjson or .ndjson.gz file in the notebook's layout "
                        "(default: the bundled Wikipedia films)")
    parser.add_argument("--embedding-size", type=int, default=None, metavar="N",
                        help="dimension of the vectors (default: LinkEmbedder's, 50)")
    parser.add_argument("--epochs", type=int, default=None, metavar="N",
                        help="passes over the data (default: LinkEmbedder's)")
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED",
                        help="seed of the initial vectors and the negatives (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's own start-up and log lines")
    return parser


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up lines hidden.

    ``TF_CPP_MIN_LOG_LEVEL`` silences TensorFlow's later logs, but the oneDNN,
    CUDA and CPU-feature lines are written before its logging is set up, so
    standard error itself is redirected while TensorFlow loads and looks for
    devices; what it wrote is shown if the import fails.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_logical_devices()  # the CUDA probe logs here
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.buffer.write(log.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _print_neighbours(title, neighbours):
    print(f"\n{title}")
    for key, score in neighbours:
        print(f"  {score:6.3f}  {key}")


def _share_a_row(by_link, link_vectors, query, keys):
    """How many of ``keys`` appear in a row together with ``query``."""
    ids = [link_vectors.get_index(key) for key in keys]
    together = by_link[ids] @ by_link[link_vectors.get_index(query)].T
    return int(np.count_nonzero(together.toarray()))


def _forget_blocked_modules():
    """Treat ``sys.modules[name] = None`` entries as absent modules.

    That entry is a common way to hide an optional library (pandas, say), and
    scikit-learn 1.9's dataframe checks then read ``None.DataFrame`` (in
    ``sklearn.utils._dataframe``), so ``SVC().fit`` fails where a machine without
    pandas, which has no entry at all, works. This job imports none of them.
    """
    for name in [name for name, module in sys.modules.items() if module is None]:
        del sys.modules[name]


def main(argv=None):
    args = _parser().parse_args(argv)
    _forget_blocked_modules()
    if not args.verbose and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        _import_tensorflow_quietly()
    movies = read_movies_ndjson(args.data) if args.data else load_wikipedia_movies()
    links = dict(zip(movies.titles, movies.links))  # {title: links}: titles name the rows
    emb = LinkEmbedder(random_state=args.random_state, verbose=0 if args.quiet else 1)
    if args.embedding_size:
        emb.set_params(embedding_size=args.embedding_size)
    if args.epochs:
        emb.set_params(epochs=args.epochs)
    start = time.perf_counter()
    emb.fit(links)
    print(f"Trained on {len(links)} rows, {len(emb.links_)} links "
          f"({emb.row_vectors_.vectors.shape[1]} dims) in {time.perf_counter() - start:.1f} s; "
          f"loss {emb.loss_curve_[0]:.3f} -> {emb.loss_curve_[-1]:.3f}")

    for film in [f for f in QUERY_FILMS if f in emb.row_vectors_]:
        _print_neighbours(f"Films like {film!r}:", emb.most_similar(film, topn=10))
    by_link = emb.vocabulary_.encode(links).csr.T.tocsr()  # links x films
    for link in [name for name in QUERY_LINKS if name in emb.link_vectors_]:
        neighbours = emb.most_similar(link, topn=10, query="link")
        _print_neighbours(f"Links like {link!r}:", neighbours)
        shared = _share_a_row(by_link, emb.link_vectors_, link, [key for key, _ in neighbours])
        print(f"  {shared} of {len(neighbours)} share a film with {link}")

    vectors = emb.row_vectors_.vectors
    best = [f for f in BEST if f in emb.row_vectors_]
    worst = [f for f in WORST if f in emb.row_vectors_]
    if best and worst:
        svm = SVC(kernel="linear").fit(emb.row_vectors_[best + worst],
                                       [1] * len(best) + [0] * len(worst))
        scores = svm.decision_function(vectors)
        order = np.argsort(scores)
        keys = emb.row_vectors_.index_to_key
        _print_neighbours("SVM over the notebook's favourites and dislikes - best:",
                          [(keys[i], scores[i]) for i in order[::-1][:5]])
        _print_neighbours("... and worst:", [(keys[i], scores[i]) for i in order[:5]])

    rated = ~np.isnan(movies.rotten_tomatoes)
    if rated.sum() >= 10:
        cv = KFold(5, shuffle=True, random_state=0)
        X, y = vectors[rated], movies.rotten_tomatoes[rated]
        mse = -cross_val_score(LinearRegression(), X, y, cv=cv,
                               scoring="neg_mean_squared_error").mean()
        mean = -cross_val_score(DummyRegressor(), X, y, cv=cv,
                                scoring="neg_mean_squared_error").mean()
        print(f"\nRotten Tomatoes score of {rated.sum()} films, 5-fold CV:")
        print(f"  mean squared error using linear regression: {mse:.4f}")
        print(f"  mean squared error using just the mean:     {mean:.4f}  (ratio {mse / mean:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
