"""Fixtures shared by the test modules."""

import numpy as np
import pytest
import scipy.sparse as sp


def random_graph(n_rows, n_links, density, seed):
    """A binary rows x links CSR graph with about ``density`` of its cells set."""
    X = sp.random(n_rows, n_links, density=density, format="csr", random_state=seed,
                  dtype=np.float32)
    X.data[:] = 1
    return X


def _make_trainer(sampler, **settings):
    from sklearn_linkembed._config import TrainingConfig
    from sklearn_linkembed._engine import Trainer

    config = {"embedding_size": 4, "batch_size": sampler.batch_size,
              "negative_ratio": sampler.negative_ratio,
              "negative_power": sampler.negative_power,
              "negative_sampling": sampler.negative_sampling, "negative_sharing": 1,
              "loss": "cosine_mse", "optimizer": "sgd", "learning_rate": 0.1, "seed": 0}
    config.update(settings)
    return Trainer(sampler.pairs, TrainingConfig(**config))


@pytest.fixture(scope="session")
def make_trainer():
    """``make_trainer(sampler, **settings)``: the engine over a NegativeSampler's pairs.

    The sampler gives the batch size and the negative distribution; ``settings``
    override any :class:`~sklearn_linkembed._config.TrainingConfig` field.
    """
    return _make_trainer
