"""Datasets: the bundled film links and synthetic bipartite graphs.

:func:`load_wikipedia_movies` loads 36,116 American films and their links,
shipped with the package in the layout of ``wp_movies_10k.ndjson``, the data
of notebook 04.2 of the Deep Learning Cookbook (Douwe Osinga, O'Reilly 2018;
https://github.com/DOsinga/deep_learning_cookbook), the seed notebook this
library grew from; :func:`read_movies_ndjson` reads that layout from any
file. :func:`make_bipartite_graph` generates rows x links graphs with planted
communities and heavy-tailed link popularity, and
:func:`make_seed_shaped_graph` one of that notebook's size.

>>> from sklearn_linkembed.datasets import load_wikipedia_movies, make_bipartite_graph
>>> movies = load_wikipedia_movies()
>>> movies.links[0][-3:]
['Steven Soderbergh', 'Biography', '2008 in film']
>>> X, row_communities, link_communities = make_bipartite_graph(random_state=0)
>>> X.shape, X.nnz
((1000, 2000), 20000)
"""

from ._movies import load_wikipedia_movies, read_movies_ndjson
from ._synthetic import make_bipartite_graph, make_seed_shaped_graph

__all__ = [
    "load_wikipedia_movies",
    "make_bipartite_graph",
    "make_seed_shaped_graph",
    "read_movies_ndjson",
]
