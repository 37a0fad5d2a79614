"""
=======================================
A film recommender from Wikipedia links
=======================================

The seed notebook, retold with :class:`~sklearn_linkembed.LinkEmbedder`: learn
a vector for every film and for every article the films link to (actors,
directors, genres, years), look up similar films and similar links, ask which
links a film is missing, then train a linear SVM on a handful of
hand-labelled favourites and dislikes and let it rank all 36,116 films.

The SVM sits in a :class:`~sklearn.pipeline.Pipeline` behind a
:class:`~sklearn.frozen.FrozenEstimator`: the embedder is fitted once on all
films (no labels needed), and the pipeline then takes link lists as input, so
it can score any film, even one written after the embedder was trained.
"""

# %%
# The films and their links
# -------------------------
# ``as_frame=True`` gives the links as a pandas Series indexed by title, so
# that every vector is keyed by its film's title.
from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies

movies = load_wikipedia_movies(as_frame=True)
links = movies.links
print(f"{len(links):,} films, {links.map(len).sum():,} (film, link) pairs")
print(links["Rogue One"][:8])

# %%
# Fit the embedder
# ----------------
# The defaults: skip-gram negative sampling with a link-context term (each
# true pair is also predicted from another link of the same film), 100
# dimensions, 5 epochs, row-wise Adagrad (see :ref:`model` and
# :ref:`hyperparameters`).
# A film's vector is the mean of its links' input vectors.
# ``LinkEmbedder(**LinkEmbedder.NOTEBOOK)`` would train the notebook's own
# cosine-MSE model instead.
emb = LinkEmbedder(random_state=0)
emb.fit(links)
print(f"{len(emb.links_):,} links kept (in 3 films or more)")
print("loss per epoch:", [round(loss, 3) for loss in emb.loss_curve_])

# %%
# Similar films, similar links
# ----------------------------
# :meth:`~sklearn_linkembed.LinkEmbedder.most_similar` ranks by cosine, as the
# notebook's ``similar_movies`` and ``similar_links`` did: films by their
# vectors, links by their input and output vectors together.


def show(title, neighbours):
    print(title)
    for key, score in neighbours:
        print(f"  {score:6.3f}  {key}")


show("Films like Rogue One:", emb.most_similar("Rogue One", topn=8))
show("Links like George Lucas:", emb.most_similar("George Lucas", topn=8, query="link"))

# %%
# Rows and links share one space, so a film can also be asked which links
# describe it best (by :meth:`~sklearn_linkembed.LinkEmbedder.link_scores`, its
# own links included), and a link which films it fits best.
show("Links that describe Alien:",
     emb.most_similar("Alien (film)", topn=8, query="row", target="link"))
show("Films that best fit 'Western':",
     emb.most_similar("Western", topn=5, query="link", target="row"))

# %%
# Which links is a film missing?
# ------------------------------
# :meth:`~sklearn_linkembed.LinkEmbedder.recommend` ranks every known link for
# each film and leaves out the links it already has.
show("Links Shrek is missing:", emb.recommend(links[["Shrek"]], topn=8)[0])

# %%
# A recommender from sixteen opinions
# -----------------------------------
# The notebook's hand-labelled films: seven favourites and nine dislikes.
best = ["Star Wars: The Force Awakens", "The Martian (film)", "Tangerine (film)",
        "Straight Outta Compton (film)", "Brooklyn (film)", "Carol (film)",
        "Spotlight (film)"]
worst = ["American Ultra", "The Cobbler (2014 film)", "Entourage (film)",
         "Fantastic Four (2015 film)", "Get Hard", "Hot Pursuit (2015 film)",
         "Mortdecai (film)", "Serena (2014 film)", "Vacation (2015 film)"]
labelled = links[best + worst]
y = [1] * len(best) + [0] * len(worst)

# %%
# :class:`~sklearn.frozen.FrozenEstimator` keeps the fitted embedder as it is:
# ``pipe.fit`` fits only the SVM, on the vectors of the sixteen films.
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

pipe = Pipeline([("emb", FrozenEstimator(emb)), ("svm", SVC(kernel="linear"))])
pipe.fit(labelled, y)

# %%
# The pipeline takes link lists: score every film, then show the five the SVM
# likes most and least (the labelled films left out).
import numpy as np

scores = pipe.decision_function(links)
order = np.argsort(scores)
unlabelled = [i for i in order if links.index[i] not in set(best + worst)]
top, bottom = unlabelled[::-1][:5], unlabelled[:5]
show("Best:", [(links.index[i], scores[i]) for i in top])
show("Worst:", [(links.index[i], scores[i]) for i in bottom])

# %%
# A film the embedder never saw gets its vector from its links alone: the mean
# of the input vectors of the links the model knows.
new_film = [["Harrison Ford", "Steven Spielberg", "Adventure", "2015 in film"]]
print(f"score of an unseen film: {pipe.decision_function(new_film)[0]:.3f}")

# %%
# The ranking at a glance.
import matplotlib.pyplot as plt

shown = top + bottom[::-1]
fig, ax = plt.subplots(figsize=(7, 4))
ax.barh([links.index[i] for i in shown][::-1], scores[shown][::-1],
        color=["tab:red"] * 5 + ["tab:blue"] * 5)
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel("SVM decision function")
ax.set_title("Films the SVM likes most (blue) and least (red)")
fig.tight_layout()
plt.show()
