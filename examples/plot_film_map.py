"""
=====================================
A map of the films, coloured by genre
=====================================

Film vectors live in 100 dimensions; t-SNE draws them in two, keeping films
that are close in the embedding close on the page. Colouring a sample of
films by genre (``load_wikipedia_movies().properties[i]["genres"]``) shows
what the embedding picked up from the links alone.

A caveat before reading too much into the picture: genres are among each
film's links, so the embedder saw them. The map shows that the vectors keep
that information, and how genres sit next to each other, not that genre was
discovered from scratch.
"""

# %%
# Fit the embedder on all films
# -----------------------------
# With the defaults, a film's vector is the mean of its links' input vectors
# (:ref:`model`).
import numpy as np

from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies

movies = load_wikipedia_movies(as_frame=True)
emb = LinkEmbedder(random_state=0)
vectors = emb.fit_transform(movies.links)
print(vectors.shape)

# %%
# A sample of films with one clear genre
# --------------------------------------
# Six genres, and only the films listed with exactly one of them, so that
# every point has one colour; at most 2,000 films keep t-SNE quick.
genres = ["Western", "Horror", "Musical", "Science Fiction", "War", "Animated"]
film_genres = [[g for g in p["genres"] if g in genres] for p in movies.properties]
candidates = np.array([i for i, found in enumerate(film_genres) if len(found) == 1])
rng = np.random.RandomState(0)
sample = np.sort(rng.choice(candidates, size=min(2000, len(candidates)), replace=False))
labels = np.array([film_genres[i][0] for i in sample])
for genre in genres:
    print(f"{genre:16s} {np.sum(labels == genre):5d} films")

# %%
# Project with t-SNE
# ------------------
# The vectors have unit length, so the cosine metric matches the geometry the
# model was trained for. PCA gives the starting layout; 500 iterations (half
# the default) are enough for a picture.
from sklearn.manifold import TSNE

xy = TSNE(n_components=2, metric="cosine", init="pca", perplexity=30, max_iter=500,
          random_state=0).fit_transform(vectors[sample])

# %%
# The map
# -------
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 7))
for genre in genres:
    mine = labels == genre
    ax.scatter(xy[mine, 0], xy[mine, 1], s=8, alpha=0.7, label=genre)
ax.legend(markerscale=3, fontsize=9)
ax.set_xticks([])
ax.set_yticks([])
ax.set_title(f"t-SNE of {len(sample):,} film vectors, coloured by genre")
fig.tight_layout()
plt.show()

# %%
# How well does the neighbourhood predict the genre? The share of each film's
# ten nearest neighbours (by cosine, in 100 dimensions) that share its genre,
# next to the share expected by chance:
from sklearn.neighbors import NearestNeighbors

nn = NearestNeighbors(n_neighbors=11, metric="cosine").fit(vectors[sample])
_, neighbours = nn.kneighbors(vectors[sample])
agreement = (labels[neighbours[:, 1:]] == labels[:, None]).mean()
chance = sum((labels == g).mean() ** 2 for g in genres)
print(f"neighbours sharing the genre: {agreement:.2f} (chance: {chance:.2f})")
