"""
==================================================
Choosing the embedding size without labels
==================================================

Most uses of an embedding have no labels to tune it against. The task the
model is trained on gives one anyway: hide some of a row's links, embed the
row from the rest, and check that the hidden links come out on top when all
links are ranked. :func:`~sklearn_linkembed.make_link_prediction_scorer`
turns that into a scorer for :class:`~sklearn.model_selection.GridSearchCV`.

The graph here is synthetic, from
:func:`~sklearn_linkembed.make_bipartite_graph`, with planted communities:
knowing them lets us check, at the end, that the size picked without labels
is also one that recovers the communities.
"""

# %%
# A graph with ten planted communities
# ------------------------------------
# 1,000 rows, 2,000 links and 20,000 (row, link) pairs; 90% of each row's
# links come from its own community, and a few links are very popular.
from sklearn_linkembed import LinkEmbedder, make_bipartite_graph

X, row_communities, link_communities = make_bipartite_graph(random_state=0)
print(X.shape, X.nnz)

# %%
# The grid search
# ---------------
# The scorer needs no ``y``: on every validation fold it hides half of each
# row's known links, embeds the row from the other half
# (:meth:`~sklearn_linkembed.LinkEmbedder.transform`) and computes Recall@10:
# all known links but the visible ones are ranked for the row, and it counts
# how many hidden links reach the first ten places (out of at most ten). The
# graph is small, so each fit takes batches of 256 true pairs for 10 epochs.
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_linkembed.evaluation import make_link_prediction_scorer

scorer = make_link_prediction_scorer(metric="recall@10", random_state=0)
sizes = [2, 4, 16, 64]
search = GridSearchCV(
    LinkEmbedder(epochs=10, batch_size=256, random_state=0),
    {"embedding_size": sizes},
    scoring=scorer,
    cv=KFold(3, shuffle=True, random_state=0),
)
search.fit(X)
print("best:", search.best_params_)
for size, mean, std in zip(sizes, search.cv_results_["mean_test_score"],
                           search.cv_results_["std_test_score"]):
    print(f"embedding_size={size:<3d} link-prediction Recall@10 {mean:.3f} (+/- {std:.3f})")

# %%
# Held-out links, next to baselines without embedding
# ---------------------------------------------------
# Ranking links by popularity alone already scores well against uniformly
# drawn non-links; :func:`~sklearn_linkembed.link_prediction_report`
# always shows the model next to that baseline and to item-kNN (item-based
# collaborative filtering), with sampled measures (ROC-AUC, MRR, Hits@10)
# and full-ranking ones (Recall@10, NDCG@10). Here a tenth of every row's
# links is held out, the best model is refitted on the rest and scored on
# them.
from sklearn.base import clone

from sklearn_linkembed.evaluation import link_prediction_report, train_test_split_links

X_train, X_test = train_test_split_links(X, test_size=0.1, random_state=0)
best = clone(search.best_estimator_).fit(X_train)
print(link_prediction_report(best, X_train, X_test))

# %%
# Did the labels we did not use agree?
# ------------------------------------
# :func:`~sklearn_linkembed.community_recovery_score` clusters the
# row vectors with k-means and compares the clusters with the planted
# communities (adjusted Rand index: 1 is perfect, 0 is chance). Each size is
# refitted on the whole graph.
from sklearn_linkembed.evaluation import community_recovery_score

recovery = []
for size in sizes:
    model = clone(search.estimator).set_params(embedding_size=size).fit(X)
    recovery.append(community_recovery_score(model.row_vectors_, row_communities))
    print(f"embedding_size={size:<3d} community recovery (ARI) {recovery[-1]:.3f}")

# %%
# Both measures against the embedding size.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.errorbar(sizes, search.cv_results_["mean_test_score"],
            yerr=search.cv_results_["std_test_score"], marker="o",
            label="link-prediction Recall@10 (no labels, CV)")
ax.plot(sizes, recovery, marker="s", label="community recovery (ARI, uses labels)")
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_xlabel("embedding_size")
ax.set_ylim(0, 1.02)
ax.legend(loc="lower right", fontsize=9)
ax.set_title("Choosing the embedding size")
fig.tight_layout()
plt.show()
