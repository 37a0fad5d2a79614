"""The training settings, frozen: what the engine and the fold-in read, built once by the estimator."""

from dataclasses import dataclass

__all__ = ["TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a fit's engine needs besides the pairs.

    Built by ``LinkEmbedder._training_config`` from its parameters, with
    ``optimizer`` resolved (never ``"auto"``) and ``seed`` drawn from
    ``random_state``.
    """

    embedding_size: int
    batch_size: int
    negative_ratio: int
    negative_power: float
    negative_sampling: str  # "link" or "pair"
    negative_sharing: int
    loss: str  # "cosine_mse" or "logistic"
    optimizer: str  # "sgd", "nadam", "adam", "adagrad" or "rowwise_adagrad"
    learning_rate: float
    seed: int
    # Weight of the term where another link of the row predicts each link (0: none); the
    # engine then keeps separate input and output link tables.
    link_context: float = 0.0
