"""sklearn_linkembed: embeddings of entities and their links, as scikit-learn transformers.

Rows (films, shops, papers) and the links they point to (actors, products,
citations) get vectors by negative sampling, trained with TensorFlow.
"""

from .datasets import load_wikipedia_movies, make_bipartite_graph, read_movies_ndjson
from .embedder import LinkEmbedder
from .keyedvectors import KeyedVectors, most_similar
from .sampling import NegativeSampler

__version__ = "0.1.0"

__all__ = [
    "KeyedVectors",
    "LinkEmbedder",
    "NegativeSampler",
    "load_wikipedia_movies",
    "make_bipartite_graph",
    "most_similar",
    "read_movies_ndjson",
]
