"""The seed notebook in one command: ``python -m sklearn_linkembed [--data FILE.ndjson]``.

Trains a :class:`LinkEmbedder` on the bundled Wikipedia films (or on a file in
the notebook's ``wp_movies_10k.ndjson`` layout) and prints what the notebook
printed: similar films, similar links, an SVM's best and worst films from a
small hand-labelled list, and a Rotten Tomatoes regression next to predicting
the mean.
"""

import argparse
import sys
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


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m sklearn_linkembed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="an ndjson(.gz) file in the notebook's layout "
                        "(default: the bundled Wikipedia films)")
    parser.add_argument("--embedding-size", type=int, default=None,
                        help="dimension of the vectors (default: LinkEmbedder's, 50)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the data (default: LinkEmbedder's)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _print_neighbours(title, neighbours):
    print(f"\n{title}")
    for key, score in neighbours:
        print(f"  {score:6.3f}  {key}")


def main(argv=None):
    args = _parse(argv)
    movies = read_movies_ndjson(args.data) if args.data else load_wikipedia_movies()
    import pandas as pd

    links = pd.Series(movies.links, index=pd.Index(movies.titles, name="title"))
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
    for link in [name for name in QUERY_LINKS if name in emb.link_vectors_]:
        _print_neighbours(f"Links like {link!r}:", emb.most_similar(link, topn=10, query="link"))

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
