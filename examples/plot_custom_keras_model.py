"""
==================================================
Negative sampling batches for your own Keras model
==================================================

:class:`~sklearn_linkembed.LinkEmbedder` trains its own TensorFlow model. To
try another architecture, take the batches instead:
:meth:`NegativeSampler.as_tf_dataset
<sklearn_linkembed.NegativeSampler.as_tf_dataset>` yields exactly what the
seed notebook's ``batchifier`` generator yielded, ``({"link": ..., "movie":
...}, label)`` with label +1 for a true (film, link) pair and -1 for a random
non-pair, ready for ``model.fit``.

Here the model is the notebook's own: two ``Embedding`` layers and a
normalised ``Dot``, trained with the mean squared error. It is also what
``LinkEmbedder(**LinkEmbedder.NOTEBOOK)`` trains; the estimator's default is
another model, skip-gram negative sampling with a link-context term
(:ref:`model`).
"""

# %%
# The sampler
# -----------
# Links in fewer than three films are dropped, as in the notebook; each batch
# holds 512 true pairs and 10 random non-pairs per true pair.
from sklearn_linkembed import NegativeSampler, load_wikipedia_movies

movies = load_wikipedia_movies(as_frame=True)
sampler = NegativeSampler(movies.links, batch_size=512, negative_ratio=10, random_state=0)
print(f"{sampler.n_rows:,} films, {sampler.n_links:,} links, {sampler.n_pairs:,} pairs, "
      f"{len(sampler)} batches per epoch")
dataset = sampler.as_tf_dataset()
inputs, labels = next(iter(dataset))
print({name: tuple(tensor.shape) for name, tensor in inputs.items()}, tuple(labels.shape))

# %%
# The notebook's model
# --------------------
# Integer inputs of shape ``()``, since each batch is a flat vector of ids.
# The notebook compiled with ``"nadam"`` at Keras' default step, 0.001; this
# short run takes a step of 0.01 so that the loss moves within a few hundred
# batches.
import keras
from keras import layers


def get_movie_embedding_model(n_links, n_movies, embedding_size=50, learning_rate=0.001):
    link = keras.Input(name="link", shape=(), dtype="int32")
    movie = keras.Input(name="movie", shape=(), dtype="int32")
    link_embedding = layers.Embedding(name="link_embedding", input_dim=n_links,
                                      output_dim=embedding_size)(link)
    movie_embedding = layers.Embedding(name="movie_embedding", input_dim=n_movies,
                                       output_dim=embedding_size)(movie)
    dot = layers.Dot(name="dot_product", normalize=True, axes=1)(
        [link_embedding, movie_embedding])
    merged = layers.Reshape(target_shape=(1,))(dot)
    model = keras.Model(inputs=[link, movie], outputs=[merged])
    model.compile(optimizer=keras.optimizers.Nadam(learning_rate=learning_rate), loss="mse")
    return model


keras.utils.set_random_seed(0)
model = get_movie_embedding_model(sampler.n_links, sampler.n_rows, learning_rate=0.01)
model.summary()

# %%
# Train on the sampler's batches
# ------------------------------
# Two short epochs of 150 batches, 300 batches in all, about 60% of one pass
# over the pairs: enough to watch the loss fall, not to train good vectors
# (the notebook ran 15 epochs of ``len(sampler)`` batches). ``shuffle=False``
# because the sampler already shuffles the pairs.
history = model.fit(dataset, epochs=2, steps_per_epoch=150, shuffle=False, verbose=2)

# %%
# The learnt vectors, with the package's neighbour queries
# ---------------------------------------------------------
# :class:`~sklearn_linkembed.KeyedVectors` wraps any table of vectors; the
# sampler's ``row_keys`` and ``link_keys`` name the rows of the two tables.
# After so little training the neighbours are still mostly noise; train for
# many more batches (or use :class:`~sklearn_linkembed.LinkEmbedder`, whose
# row-sparse optimizers update only the rows of each batch) before trusting
# them.
from sklearn_linkembed import KeyedVectors

films = KeyedVectors(model.get_layer("movie_embedding").get_weights()[0], sampler.row_keys)
links = KeyedVectors(model.get_layer("link_embedding").get_weights()[0], sampler.link_keys)
print(films, links)
for key, score in films.most_similar("Rogue One", topn=5):
    print(f"  {score:6.3f}  {key}")

# %%
# The loss per epoch.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(1, len(history.history["loss"]) + 1), history.history["loss"], marker="o")
ax.set_xlabel("epoch (150 batches)")
ax.set_ylabel("mean squared error")
ax.set_title("The notebook's Keras model on NegativeSampler batches")
fig.tight_layout()
plt.show()
