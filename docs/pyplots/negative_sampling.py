"""The model in three panels (drawn at documentation build time).

Left: a small bipartite graph of rows and links, its true pairs (solid) and
a batch's random non-pairs (dashed). Middle: the two losses against the
score of a pair, for a true pair (y = +1) and a non-pair (y = -1). Right:
the chance of drawing a link as a negative against its degree in the bundled
films, for three values of ``negative_power``.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_linkembed import NegativeSampler, load_wikipedia_movies

fig, (ax_graph, ax_cos, ax_log, ax_power) = plt.subplots(
    1, 4, figsize=(15, 3.6), gridspec_kw={"width_ratios": [1.3, 1, 1, 1.2]})

# -- a toy graph and one batch of the sampler --------------------------------
films = [["Harrison Ford", "George Lucas", "space"],
         ["Harrison Ford", "Steven Spielberg", "adventure"],
         ["Mark Hamill", "George Lucas", "space"],
         ["Steven Spielberg", "adventure", "shark"]]
titles = ["Star Wars", "Raiders", "Empire", "Jaws"]
sampler = NegativeSampler(films, batch_size=4, negative_ratio=1, min_count=1, random_state=1)
rows, links, labels = next(sampler.batches())
n_rows, n_links = sampler.n_rows, sampler.n_links
row_y = np.linspace(1, 0, n_rows)
link_y = np.linspace(1, 0, n_links)
for row, link in zip(sampler.pair_rows, sampler.pair_links):
    ax_graph.plot([0, 1], [row_y[row], link_y[link]], color="0.75", lw=1, zorder=1)
for row, link, label in zip(rows, links, labels):
    style = ({"color": "tab:blue", "lw": 2} if label > 0
             else {"color": "tab:red", "lw": 1.5, "ls": "--"})
    ax_graph.plot([0, 1], [row_y[row], link_y[link]], zorder=2, **style)
ax_graph.scatter(np.zeros(n_rows), row_y, s=60, color="k", zorder=3)
ax_graph.scatter(np.ones(n_links), link_y, s=60, color="k", zorder=3)
for y, name in zip(row_y, titles):
    ax_graph.text(-0.06, y, name, ha="right", va="center")
for y, name in zip(link_y, sampler.link_keys):
    ax_graph.text(1.06, y, name, ha="left", va="center")
ax_graph.plot([], [], color="0.75", label="true pairs (graph)")
ax_graph.plot([], [], color="tab:blue", lw=2, label="batch: true pairs, y = +1")
ax_graph.plot([], [], color="tab:red", ls="--", label="batch: non-pairs, y = -1")
ax_graph.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, frameon=False)
ax_graph.set_xlim(-0.75, 1.9)
ax_graph.set_axis_off()
ax_graph.set_title("rows, links and one batch")

# -- the two losses ------------------------------------------------------------
cos = np.linspace(-1, 1, 201)
ax_cos.plot(cos, (cos - 1) ** 2, color="tab:blue", label="true pair, y = +1")
ax_cos.plot(cos, (cos + 1) ** 2, color="tab:red", ls="--", label="non-pair, y = -1")
ax_cos.set_xlabel("cos(r, l)")
ax_cos.set_ylabel("loss")
ax_cos.set_title('loss="cosine_mse"')
ax_cos.legend(fontsize=8)
dot = np.linspace(-6, 6, 201)
ax_log.plot(dot, np.logaddexp(0, -dot), color="tab:blue", label="true pair, y = +1")
ax_log.plot(dot, np.logaddexp(0, dot), color="tab:red", ls="--", label="non-pair, y = -1")
ax_log.set_xlabel("r . l")
ax_log.set_title('loss="logistic"')
ax_log.legend(fontsize=8)

# -- negatives drawn in proportion to degree ** power -----------------------------
movies = load_wikipedia_movies()
degree = np.bincount(NegativeSampler(movies.links, random_state=0).pair_links)
order = np.argsort(degree)
for power in (0.0, 0.75, 1.0):
    p = degree.astype(float) ** power
    ax_power.loglog(degree[order], (p / p.sum())[order], label=f"negative_power={power}")
ax_power.set_xlabel("degree of the link (films it is in)")
ax_power.set_ylabel("chance of being drawn")
ax_power.set_title(f"negative links, {len(degree):,} film links")
ax_power.legend(fontsize=8)

fig.tight_layout()
