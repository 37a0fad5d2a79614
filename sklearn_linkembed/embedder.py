"""LinkEmbedder: row and link embeddings of a bipartite graph, as a scikit-learn transformer."""

import logging
import os
import time
import warnings
from numbers import Integral, Real
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._config import TrainingConfig
from ._foldin import fold_in
from ._graph import LinkVocabulary, _unreadable_matrix_error, is_link_lists
from ._pairs import Pairs, negative_probability
from ._persistence import load_archive, save_archive
from ._utils import unit_rows
from .keyedvectors import KeyedVectors, most_similar

__all__ = ["LinkEmbedder"]

logger = logging.getLogger(__name__)

# Examples per call into the compiled training loop: large enough to hide the
# call overhead, small enough for a lively progress bar.
_EXAMPLES_PER_CALL = 2_000_000
# float32 tables per row of the embedding and of the optimizer's state, by optimizer.
_TABLES_PER_OPTIMIZER = {"sgd": 1, "adagrad": 2, "adam": 3, "nadam": 3}


class LinkEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Embed rows and their links by negative sampling, trained with TensorFlow.

    Rows are entities (films, shops, papers) and links what they point to
    (actors, products, citations). Every row and every link gets a vector so
    that true (row, link) pairs score high and random non-pairs score low.
    The model is the one of the notebook this library grew from: cosine of the
    two vectors, squared error against +1 for a true pair and -1 for a random
    non-pair. The defaults train it faster than the notebook did (plain SGD
    instead of Nadam, larger batches, 5 non-pairs drawn word2vec-style and
    shared by runs of 4 pairs, 5 epochs; benchmarks/README.md shows they pass
    the notebook's quality in a fraction of its time);
    ``LinkEmbedder(**LinkEmbedder.NOTEBOOK)`` gives the notebook's own settings.
    ``loss="logistic"`` is skip-gram negative sampling (word2vec, gensim's
    PV-DBOW).

    :meth:`transform` gives a vector to any row, unseen ones included, by
    folding it in: its vector is fitted against the frozen link vectors, like
    gensim's ``infer_vector``. It is row-wise, so ``transform(X[rows])`` equals
    ``transform(X)[rows]``, and ``fit_transform(X)`` equals
    ``fit(X).transform(X)``.

    Parameters
    ----------
    embedding_size : int, default=50
        Dimension of the vectors.
    negative_ratio : int, default=5
        Random non-pairs per true pair (the notebook: 10).
    batch_size : int, default=4096
        True pairs per training step, each with its ``negative_ratio``
        non-pairs (the notebook: 512).
    epochs : int, default=5
        Passes over all true pairs (the notebook: 15).
    loss : {"cosine_mse", "logistic"}, default="cosine_mse"
        ``"cosine_mse"``: ``(cos(row, link) - label) ** 2``, labels +1 / -1 (the
        notebook's ``Dot(normalize=True)`` with MSE). ``"logistic"``:
        ``-log sigmoid(label * row.link)`` (skip-gram negative sampling).
    optimizer : {"auto", "sgd", "nadam", "adam", "adagrad"}, default="auto"
        Updates touch only the rows in the batch (lazy Adam and Nadam).
        ``"auto"`` is ``"sgd"`` for ``cosine_mse`` (fastest, and the best
        quality measured in benchmarks/README.md) and ``"nadam"`` for
        ``logistic``, whose unbounded scores make plain SGD on large batches
        either slow to start or unstable (the notebook: ``"nadam"``).
    learning_rate : float, default=0.02
        Step size of the optimizer. For ``"sgd"`` it multiplies the gradient of
        each example's loss, as word2vec's ``alpha``; the adaptive optimizers
        do not depend on the loss's scale (the notebook: Keras' 0.001 with
        Nadam).
    negative_power : float, default=0.75
        Links of non-pairs are drawn in proportion to ``degree ** negative_power``:
        0 is uniform (the notebook), 0.75 is word2vec's choice.
    negative_sampling : {"link", "pair"}, default="link"
        ``"link"``: a non-pair keeps its true pair's row and draws only the
        link (word2vec), so a step updates one row per true pair.
        ``"pair"``: a non-pair is a random row with a random link (the notebook).
    negative_sharing : int, default=4
        With ``negative_sampling="link"``, each run of this many true pairs of a
        batch shares the same ``negative_ratio`` negative links, scored by a
        matrix product: a step gathers and updates ``negative_ratio`` link
        vectors per run instead of per pair. 1 draws fresh negatives for every
        true pair (word2vec). Ignored with ``"pair"``.
    min_count : int, default=3
        Links in fewer rows than this get no vector and are ignored.
    normalize : bool, default=True
        L2-normalise the output vectors (the notebook normalises before its SVM
        and its regression).
    fold_in_steps : int, default=5
        Gradient steps of the fold-in of each row in :meth:`transform`.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial vectors, the order of pairs and the non-pairs. With an
        int, results are bit-identical on CPU across runs and processes.
        No global seed is touched.
    verbose : int, default=0
        1 shows a progress bar per epoch with the loss and examples/s.

    Attributes
    ----------
    row_vectors_ : KeyedVectors
        Vector of every training row (``transform`` of the training data), keyed
        by the row names (the index of a pandas Series) or by position.
    link_vectors_ : KeyedVectors
        Vector of every link in ``min_count`` or more rows, keyed by link name
        (for matrices: the column name, or the column index).
    links_ : list
        The known links, in order of first appearance (for matrices: column order).
    link_counts_ : ndarray of shape (n_links,)
        Number of training rows of each known link.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of columns of a matrix ``X`` (not set for link lists).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``.

    See Also
    --------
    NegativeSampler : The batches this model trains on.
    sklearn.decomposition.TruncatedSVD : A linear embedding of the same matrix.

    Notes
    -----
    Training is a plain TensorFlow loop (no Keras ``fit``) that runs under the
    ``tf.distribute`` strategy in scope (``with strategy.scope(): emb.fit(X)``).
    Negatives that collide with a true pair are masked out of the loss.

    If ``fit`` is interrupted (``KeyboardInterrupt``), the estimator is left as
    it was before the call (unfitted on a first fit) and the interrupt
    propagates; a new ``fit`` works.

    Examples
    --------
    >>> from sklearn_linkembed import LinkEmbedder
    >>> films = [["Harrison Ford", "George Lucas", "space"],
    ...          ["Harrison Ford", "Steven Spielberg", "adventure"],
    ...          ["Mark Hamill", "George Lucas", "space"],
    ...          ["Steven Spielberg", "adventure", "shark"]]
    >>> emb = LinkEmbedder(embedding_size=8, epochs=5, min_count=1, random_state=0)
    >>> emb.fit_transform(films).shape
    (4, 8)
    >>> len(emb.links_)
    7
    """

    #: The seed notebook's training settings, for ``LinkEmbedder(**LinkEmbedder.NOTEBOOK)``.
    NOTEBOOK = MappingProxyType({"negative_ratio": 10, "batch_size": 512, "epochs": 15,
                                 "optimizer": "nadam", "learning_rate": 0.001, "negative_power": 0.0,
                                 "negative_sampling": "pair"})

    _parameter_constraints: ClassVar[dict] = {
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "negative_ratio": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"cosine_mse", "logistic"})],
        "optimizer": [StrOptions({"auto", "sgd", "nadam", "adam", "adagrad"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "negative_power": [Interval(Real, 0, None, closed="left")],
        "negative_sampling": [StrOptions({"pair", "link"})],
        "negative_sharing": [Interval(Integral, 1, None, closed="left")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "fold_in_steps": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, embedding_size=50, *, negative_ratio=5, batch_size=4096, epochs=5,
                 loss="cosine_mse", optimizer="auto", learning_rate=0.02, negative_power=0.75,
                 negative_sampling="link", negative_sharing=4, min_count=3, normalize=True,
                 fold_in_steps=5, random_state=None, verbose=0):
        self.embedding_size = embedding_size
        self.negative_ratio = negative_ratio
        self.batch_size = batch_size
        self.epochs = epochs
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.negative_power = negative_power
        self.negative_sampling = negative_sampling
        self.negative_sharing = negative_sharing
        self.min_count = min_count
        self.normalize = normalize
        self.fold_in_steps = fold_in_steps
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn row and link vectors from ``X``.

        Parameters
        ----------
        X : iterable of link lists, pandas Series of link lists, sparse matrix or array
            Link lists: ``X[i]`` is the links of row ``i`` (any hashable names;
            duplicates count once); a Series' index names the rows. Matrices:
            rows x links, a non-zero is a link and its value the edge weight.
        y : None
            Ignored.

        Returns
        -------
        self : LinkEmbedder
            The fitted estimator.

        See Also
        --------
        LinkEmbedder.fit_transform : Fit and return the row vectors.
        LinkEmbedder.transform : Vectors of new rows.

        Examples
        --------
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb.fit(films).links_
        ['Harrison Ford', 'George Lucas', 'Steven Spielberg', 'Mark Hamill']
        >>> emb.row_vectors_.vectors.shape, emb.n_iter_
        ((3, 4), 2)
        """
        before = dict(self.__dict__)
        try:
            self._fit(X)
        except BaseException:
            # Never leave a half-fitted model behind (KeyboardInterrupt included).
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit(self, X):
        graph = self._encode(X, reset=True)
        pairs = Pairs.from_csr(graph.csr)
        pairs.check_samplable(self.min_count)
        self._check_table_memory(pairs.n_rows, pairs.n_links)
        _warn_few_links(graph.csr, self.embedding_size, self.min_count)
        rng = check_random_state(self.random_state)
        config = self._training_config(int(rng.randint(np.iinfo(np.int32).max)))
        trainer = self._trainer(pairs, config)
        loss_curve = self._train(trainer, rng)
        links = KeyedVectors(trainer.link_vectors(), self.vocabulary_.link_keys)
        state = _FittedState(self.vocabulary_, links, pairs.link_degree(), loss_curve,
                             config.seed, row_vectors=None)
        state.apply(self)
        rows = self._fold_in(graph.csr)
        keys = graph.row_keys if graph.row_keys is not None else list(range(rows.shape[0]))
        self.row_vectors_ = KeyedVectors(rows, keys)

    def _encode(self, X, *, reset):
        """The graph of ``X`` through the vocabulary, learnt from ``X`` when ``reset``."""
        names = None
        if not is_link_lists(X):
            try:  # the estimator's own n_features_in_ and feature_names_in_
                X = validate_data(self, X, accept_sparse="csr",
                                  dtype=(np.float32, np.float64), reset=reset)
            except ValueError as exc:
                raise _unreadable_matrix_error(exc) from exc
            names = getattr(self, "feature_names_in_", None)
        elif reset:
            for stale in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(stale, None)
        if reset:
            self.vocabulary_ = LinkVocabulary(self.min_count)
            graph = self.vocabulary_.fit_encode(X, link_names=names)
        else:
            graph = self.vocabulary_.encode(X)
        graph.csr.sort_indices()
        return graph

    def _training_config(self, seed):
        """This estimator's parameters as the engine reads them, with ``seed`` drawn by fit."""
        return TrainingConfig(
            embedding_size=self.embedding_size, batch_size=self.batch_size,
            negative_ratio=self.negative_ratio, negative_power=self.negative_power,
            negative_sampling=self.negative_sampling, negative_sharing=self.negative_sharing,
            loss=self.loss, optimizer=self._optimizer(), learning_rate=self.learning_rate,
            seed=seed)

    @staticmethod
    def _trainer(pairs, config, strategy=None):
        """The TensorFlow engine for ``pairs`` (benchmarks reach it through ``benchmarks._common.engine_for``)."""
        from ._engine import Trainer  # TensorFlow is imported only to train

        return Trainer(pairs, config, strategy=strategy)

    def _check_table_memory(self, n_rows, n_links):
        """Refuse tables larger than this machine's memory before TensorFlow tries to allocate."""
        n_bytes = ((n_rows + n_links) * self.embedding_size * 4
                   * _TABLES_PER_OPTIMIZER[self._optimizer()])
        total = _physical_memory()
        if total is not None and n_bytes > total:
            raise MemoryError(
                f"embedding_size={self.embedding_size} needs {_format_bytes(n_bytes)} for the "
                f"vectors of {n_rows} rows and {n_links} links (with the state of optimizer "
                f"{self._optimizer()!r}), more than this machine's {_format_bytes(total)} of memory. "
                "Use a smaller embedding_size (50-300 is usual) or a larger min_count.")

    def _optimizer(self):
        if self.optimizer != "auto":
            return self.optimizer
        return "sgd" if self.loss == "cosine_mse" else "nadam"

    def _train(self, trainer, rng):
        steps = trainer.steps_per_epoch()
        examples_per_step = trainer.global_batch * (1 + self.negative_ratio)
        chunk = int(np.clip(_EXAMPLES_PER_CALL // examples_per_step, 1, steps))
        losses = []
        for epoch in range(self.epochs):
            batches = trainer.epoch_batches(rng)
            bar = _progress(self.verbose, steps, f"epoch {epoch + 1}/{self.epochs}")
            loss = weight = 0.0
            start = time.perf_counter()
            for first in range(0, steps, chunk):
                chunk_loss, chunk_weight = trainer.train(batches[first:first + chunk],
                                                         epoch * steps + first)
                loss += chunk_loss
                weight += chunk_weight
                if bar is not None:
                    done = min(first + chunk, steps)
                    bar.update(done - bar.n)
                    rate = done * examples_per_step / (time.perf_counter() - start)
                    bar.set_postfix(loss=f"{loss / max(weight, 1e-12):.4f}",
                                    examples_s=f"{rate:,.0f}")
            if bar is not None:
                bar.close()
            losses.append(loss / max(weight, 1e-12))
            if not np.isfinite(losses[-1]):
                raise FloatingPointError(
                    f"Training diverged in epoch {epoch + 1}: the loss is {losses[-1]}. Use a "
                    f"smaller learning_rate (now {self.learning_rate}) or an adaptive optimizer "
                    f"(optimizer='nadam'; now {self._optimizer()!r}).")
            logger.debug("epoch %d: loss %.5f", epoch + 1, losses[-1])
        return losses

    def _fold_in(self, csr):
        probability = negative_probability(self.link_counts_, self.negative_power)
        empty = int(np.count_nonzero(np.diff(csr.indptr) == 0))
        if empty:
            warnings.warn(
                f"{empty} of {csr.shape[0]} rows have no known link (none of their links is in "
                f"the {len(self.links_)} links kept at fit, those in min_count={self.min_count} "
                "or more training rows): their vectors are zero.", UserWarning, stacklevel=3)
        vectors = fold_in(csr, self.link_vectors_.vectors, loss=self.loss, seed=self._seed,
                          negative_ratio=self.negative_ratio, link_probability=probability,
                          n_steps=self.fold_in_steps)
        return unit_rows(vectors) if self.normalize else vectors

    def transform(self, X):
        """Vectors of the rows of ``X``, folded in against the fitted link vectors.

        Links unseen at fit time are ignored; a row with no known link gets
        the zero vector.

        Parameters
        ----------
        X : same kinds as in :meth:`fit`
            Rows to embed.

        Returns
        -------
        X_new : ndarray of shape (n_rows, embedding_size), dtype float32
            The row vectors (unit norm when ``normalize=True``).

        See Also
        --------
        LinkEmbedder.fit_transform : The vectors of the training rows.

        Examples
        --------
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb = emb.fit(films)
        >>> emb.transform([["Harrison Ford", "a link never seen"]]).shape
        (1, 4)
        >>> emb.transform([["a link never seen"]])
        array([[0., 0., 0., 0.]], dtype=float32)
        """
        check_is_fitted(self)
        return self._fold_in(self._encode(X, reset=False).csr)

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its row vectors; equals ``fit(X).transform(X)``.

        Parameters
        ----------
        X : same kinds as in :meth:`fit`
            Training rows.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_rows, embedding_size), dtype float32
            The row vectors.

        See Also
        --------
        LinkEmbedder.fit : Fit without returning the vectors.
        LinkEmbedder.transform : Vectors of new rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> vectors = emb.fit_transform(films)
        >>> vectors.shape
        (3, 4)
        >>> np.allclose(vectors, emb.transform(films))
        True
        """
        return self.fit(X).row_vectors_.vectors.copy()

    def most_similar(self, positive=None, negative=None, topn=10, *, query="row", target=None,
                     restrict_to=None):
        """The ``topn`` rows or links nearest the query, by cosine.

        A shortcut for :func:`sklearn_linkembed.most_similar` over this model.

        Parameters
        ----------
        positive, negative : key, vector or list of them, default=None
            As in gensim's ``most_similar``: the query is the normalised mean of
            the positive unit vectors minus the negative ones.
        topn : int, default=10
            Number of neighbours; the query keys themselves are excluded.
        query : {"row", "link"}, default="row"
            The table the query keys belong to.
        target : {"row", "link"}, default=None
            The table searched (default: the query's). ``query="row",
            target="link"`` asks which links best describe a row.
        restrict_to : iterable of keys, default=None
            Only these candidates are considered.

        Returns
        -------
        neighbours : list of (key, float)
            Names and cosine similarities, best first.

        See Also
        --------
        most_similar : The same query over any fitted model or KeyedVectors.
        KeyedVectors.most_similar : Neighbours in one table, with more options.

        Examples
        --------
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb = emb.fit(films)
        >>> sorted(key for key, _ in emb.most_similar(0, topn=5))  # rows are keyed by position
        [1, 2]
        >>> len(emb.most_similar("George Lucas", topn=2, query="link"))
        2
        """
        check_is_fitted(self)
        return most_similar(self, positive, negative, topn, query=query, target=target,
                            restrict_to=restrict_to)

    def save(self, path):
        """Save the fitted model to ``path`` in the library's safe format (no pickle).

        The file is a versioned ``.npz`` archive of plain arrays plus JSON
        metadata (see :mod:`sklearn_linkembed._persistence`); loading it never
        runs code. Use ``pickle``/``joblib`` when the estimator travels inside a
        pipeline between trusted processes, and ``save`` to keep or share a
        model.

        Parameters
        ----------
        path : str or path-like
            Destination file.

        Returns
        -------
        path : str
            The path written.

        See Also
        --------
        LinkEmbedder.load : Read the model back.
        KeyedVectors.save_word2vec_format : Export vectors for other tools.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb = emb.fit(films)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = emb.save(os.path.join(folder, "films.npz"))
        ...     saved = os.path.basename(path)
        >>> saved
        'films.npz'
        """
        check_is_fitted(self)
        params = self.get_params()
        if not (params["random_state"] is None or isinstance(params["random_state"], Integral)):
            params["random_state"] = None  # a RandomState instance has no faithful JSON form
        params = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}
        arrays, meta = _FittedState.of(self).to_arrays()
        meta["params"] = params
        return save_archive(path, "LinkEmbedder", arrays, meta)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`; ``transform`` gives the same vectors.

        Parameters
        ----------
        path : str or path-like
            A file written by :meth:`save`.

        Returns
        -------
        estimator : LinkEmbedder
            The fitted estimator.

        Raises
        ------
        ValueError
            If the file is corrupt, truncated, not a LinkEmbedder archive, or
            from a newer format version.

        See Also
        --------
        LinkEmbedder.save : Write the model.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb = emb.fit(films)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     loaded = LinkEmbedder.load(emb.save(os.path.join(folder, "films.npz")))
        >>> np.array_equal(loaded.transform(films), emb.transform(films))
        True
        """
        arrays, meta = load_archive(path, expected_kind="LinkEmbedder")
        try:
            est = cls(**meta["params"])
            est._validate_params()
            _FittedState.from_arrays(arrays, meta).apply(est)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is not a valid LinkEmbedder archive: missing or bad "
                             f"entry {exc}") from None
        return est

    @property
    def _input_kind(self):  # TEMPORARY, removed with evaluation's update
        return self.vocabulary_.input_kind

    @property
    def _link_columns(self):  # TEMPORARY, removed with evaluation's update
        return self.vocabulary_.columns

    @property
    def _n_features_out(self):
        return self.embedding_size

    def __sklearn_is_fitted__(self):
        return hasattr(self, "row_vectors_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


@dataclass
class _FittedState:
    """Everything ``fit`` learns, in one place: set by fit, written by save, read by load.

    ``apply`` sets the estimator's fitted attributes, the derived ones
    (``links_``, ``n_iter_``, ``n_features_in_``, ``feature_names_in_``) included.
    The archive layout (format version 1) is the one earlier releases wrote.
    """

    vocabulary: LinkVocabulary
    link_vectors: KeyedVectors
    link_counts: np.ndarray
    loss_curve: list
    seed: int
    row_vectors: KeyedVectors | None
    feature_names: np.ndarray | None = None

    @classmethod
    def of(cls, est):
        return cls(est.vocabulary_, est.link_vectors_, est.link_counts_, est.loss_curve_,
                   est._seed, est.row_vectors_, getattr(est, "feature_names_in_", None))

    def apply(self, est):
        est.vocabulary_ = self.vocabulary
        est.link_vectors_ = self.link_vectors
        est.links_ = list(self.vocabulary.link_keys)
        est.link_counts_ = self.link_counts
        est.loss_curve_ = list(self.loss_curve)
        est.n_iter_ = len(self.loss_curve)
        est._seed = int(self.seed)
        if self.row_vectors is not None:
            est.row_vectors_ = self.row_vectors
        if self.vocabulary.input_kind == "matrix":
            est.n_features_in_ = self.vocabulary.n_features
            if self.feature_names is not None:
                est.feature_names_in_ = self.feature_names

    def to_arrays(self):
        arrays, meta = self.row_vectors._to_arrays("row_")
        link_arrays, link_meta = self.link_vectors._to_arrays("link_")
        arrays.update(link_arrays, link_counts=self.link_counts,
                      loss_curve=np.asarray(self.loss_curve, dtype=np.float64))
        meta.update(link_meta, seed=int(self.seed), input_kind=self.vocabulary.input_kind,
                    min_count=self.vocabulary.min_count)
        if self.vocabulary.input_kind == "matrix":
            arrays["link_columns"] = self.vocabulary.columns
            meta["n_features_in"] = int(self.vocabulary.n_features)
            if self.feature_names is not None:
                arrays["feature_names_in"] = np.asarray(self.feature_names, dtype=str)
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays, meta):
        links = KeyedVectors._from_arrays(arrays, meta, "link_")
        matrix = meta["input_kind"] == "matrix"
        vocabulary = LinkVocabulary.from_arrays(
            {"vocabulary_columns": arrays["link_columns"]} if matrix else {},
            {"input_kind": meta["input_kind"],
             "n_features": meta["n_features_in"] if matrix else None,
             "min_count": meta.get("min_count", meta["params"]["min_count"])},
            links.index_to_key)
        names = arrays.get("feature_names_in")
        return cls(vocabulary, links, arrays["link_counts"], arrays["loss_curve"].tolist(),
                   meta["seed"], KeyedVectors._from_arrays(arrays, meta, "row_"),
                   None if names is None else names.astype(object))


def _warn_few_links(csr, embedding_size, min_count):
    """Warn when so few links are kept that many rows must share a vector."""
    n_rows, n_links = csr.shape
    if n_links >= embedding_size or n_links >= n_rows:
        return
    warnings.warn(
        f"Only {n_links} links are in min_count={min_count} or more of the {n_rows} training "
        f"rows, fewer than embedding_size={embedding_size}: rows with the same known links get "
        "identical vectors. Fit on more rows (in a Pipeline or a cross-validation the embedder "
        "sees only the training rows) or lower min_count.", UserWarning, stacklevel=4)


def _physical_memory():
    """Bytes of physical memory, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _format_bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            break
        n /= 1024
    return f"{n:.3g} {unit}"


def _progress(verbose, total, description):
    if not verbose:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="step", leave=True)
