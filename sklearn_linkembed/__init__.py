"""sklearn_linkembed: embeddings of entities and their links, as scikit-learn transformers.

Rows (films, shops, papers) and the links they point to (actors, products,
citations) get vectors by negative sampling, trained with TensorFlow.
"""

from .datasets import (
    load_wikipedia_movies,
    make_bipartite_graph,
    make_seed_shaped_graph,
    read_movies_ndjson,
)
from .embedder import LinkEmbedder
from .evaluation import (
    community_recovery_score,
    link_prediction_report,
    link_prediction_scores,
    make_link_prediction_scorer,
    train_test_split_links,
)
from .keyedvectors import KeyedVectors, most_similar
from .sampling import NegativeSampler

__version__ = "0.1.0"

__all__ = [
    "KeyedVectors",
    "LinkEmbedder",
    "NegativeSampler",
    "community_recovery_score",
    "link_prediction_report",
    "link_prediction_scores",
    "load_wikipedia_movies",
    "make_bipartite_graph",
    "make_link_prediction_scorer",
    "make_seed_shaped_graph",
    "most_similar",
    "read_movies_ndjson",
    "train_test_split_links",
]
