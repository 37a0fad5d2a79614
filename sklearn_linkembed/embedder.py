"""LinkEmbedder: row and link embeddings of a bipartite graph, as a scikit-learn transformer."""

import logging
import os
import time
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
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
from ._graph import LinkVocabulary, _unreadable_matrix_error, column_counts, is_link_lists
from ._pairs import Pairs, negative_probability
from ._persistence import load_archive, save_archive
from ._utils import aligned_copy, unit_rows
from .keyedvectors import KeyedVectors

__all__ = ["LinkEmbedder"]

logger = logging.getLogger(__name__)

# Examples per call into the compiled training loop: large enough to hide the
# call overhead, small enough for a lively progress bar.
_EXAMPLES_PER_CALL = 2_000_000
# float32s of a vector and its optimizer state, by optimizer: (per coordinate, per vector).
_FLOATS_PER_VECTOR = {"sgd": (1, 0), "adagrad": (2, 0), "adam": (3, 0), "nadam": (3, 0),
                      "rowwise_adagrad": (1, 1)}
# Weight of log(link degree) in link_scores with link context (benchmarks/bench_ranking.py).
_POPULARITY_WEIGHT = 0.1
# Rows ranked after each epoch for early stopping: enough for a steady Recall@10.
_VALIDATION_ROWS = 2000
# Rows scored at once by recommend: bounds the (rows x links) score block.
_ROWS_PER_BLOCK = 1024
# learning_rate="auto", by optimizer (benchmarks/bench_ranking.py and bench_defaults.py).
_AUTO_LEARNING_RATE = {"sgd": 0.02, "adagrad": 0.25, "adam": 0.02, "nadam": 0.02,
                       "rowwise_adagrad": 0.15}


class LinkEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Embed rows and their links by negative sampling, trained with TensorFlow.

    Rows are entities (films, shops, papers) and links what they point to
    (actors, products, citations). Every row and every link gets a vector so
    that true (row, link) pairs score high and random non-pairs score low.

    The default model is skip-gram negative sampling (word2vec, gensim's
    PV-DBOW) with a link-context term: each true pair (row, link) is
    predicted from the row's vector and, as in Doc2Vec's ``dbow_words`` or
    item2vec, from another link of the same row, against negative links drawn
    word2vec-style. Links thus have an input vector (as a context) and an
    output vector (as a target), and a row's vector is the mean of its links'
    input vectors. Ranked over all links, this finds a row's missing links
    better than item-kNN on the bundled films, and its link neighbours are
    links that share rows (benchmarks/bench_ranking.py).
    ``LinkEmbedder(**LinkEmbedder.NOTEBOOK)`` is the notebook this library grew
    from: cosine of the two vectors, squared error against +1 for a true pair
    and -1 for a random non-pair, trained with Nadam.

    :meth:`transform` gives a vector to any row, unseen ones included: the
    weighted mean of its known links' input vectors (with ``link_context=0``,
    a fold-in, gensim's ``infer_vector``: the vector is fitted against the
    frozen link vectors). It is row-wise, so ``transform(X[rows])`` equals
    ``transform(X)[rows]``, and ``fit_transform(X)`` equals
    ``fit(X).transform(X)``. :meth:`recommend` and :meth:`link_scores` rank
    every link for a row; :meth:`most_similar` answers neighbour queries
    within and across rows and links.

    Parameters
    ----------
    embedding_size : int, default=100
        Dimension of the vectors (the notebook: 50).
    negative_ratio : int, default=10
        Random non-pairs per true pair (the notebook: 10).
    batch_size : int, default=4096
        True pairs per training step, each with its ``negative_ratio``
        non-pairs (the notebook: 512).
    epochs : int, default=5
        Passes over all true pairs (the notebook: 15); with ``early_stopping``,
        the most passes.
    loss : {"logistic", "cosine_mse"}, default="logistic"
        ``"logistic"``: ``-log sigmoid(label * row.link)`` (skip-gram negative
        sampling). ``"cosine_mse"``: ``(cos(row, link) - label) ** 2``, labels
        +1 / -1 (the notebook's ``Dot(normalize=True)`` with MSE).
    optimizer : {"auto", "sgd", "nadam", "adam", "adagrad", "rowwise_adagrad"}, \
            default="auto"
        Updates touch only the rows in the batch (lazy Adam and Nadam).
        ``"rowwise_adagrad"`` is Adagrad with one accumulator per row (the mean
        square of its gradients' coordinates), as in FBGEMM and TorchRec: its
        state is one float per row instead of a second table.
        ``"auto"`` is ``"rowwise_adagrad"`` for ``logistic`` and ``"sgd"`` for
        ``cosine_mse``, the fastest to good rankings measured in
        benchmarks/README.md (the notebook: ``"nadam"``).
    learning_rate : float or "auto", default="auto"
        Step size of the optimizer; ``"auto"`` is 0.15 for row-wise Adagrad,
        0.25 for Adagrad, 0.02 for the others. For ``"sgd"`` it multiplies the
        gradient of each example's loss, as word2vec's ``alpha``; the adaptive
        optimizers do not depend on the loss's scale (the notebook: Keras'
        0.001 with Nadam).
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
    link_context : float, default=1.0
        Weight of the link-context term: for each true pair, another link of
        the same row, drawn at random, predicts the pair's link with the same
        negatives. Links then have separate input and output vectors. 0 trains
        the row vectors alone. Only used with ``loss="logistic"`` and
        ``negative_sampling="link"``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of each row's pairs (seeded), rank them
        over all links after each epoch (Recall@10, as :meth:`link_scores`
        ranks) and stop when that has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, keeping the best epoch's vectors, as
        scikit-learn's ``MLPClassifier``. ``epochs`` is then the most epochs
        run. The held-out pairs are not trained on; ``transform`` uses them.
    validation_fraction : float, default=0.1
        Share of each row's pairs held out with ``early_stopping``.
    n_iter_no_change : int, default=2
        Epochs without improvement before stopping, with ``early_stopping``.
    tol : float, default=1e-3
        Improvement of the validation Recall@10 that counts, with ``early_stopping``.
    min_count : int, default=3
        Links in fewer rows than this get no vector and are ignored.
    normalize : bool, default=True
        L2-normalise the output vectors (the notebook normalises before its SVM
        and its regression).
    fold_in_steps : int, default=5
        Gradient steps of the fold-in of each row in :meth:`transform` (only
        with ``link_context=0``).
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
        (for matrices: the column name, or the column index): its input vector
        (word2vec's ``wv``), from which rows are averaged.
    link_output_vectors_ : KeyedVectors
        What rows are scored against (:meth:`link_scores`): every link's output
        vector (word2vec's ``syn1neg``), or with ``link_context=0`` its unit
        ``link_vectors_``.
    link_bias_ : ndarray of shape (n_links,)
        The popularity term of :meth:`link_scores` (zeros with ``link_context=0``).
    vocabulary_ : LinkVocabulary
        The fitted mapping from the input's links to the columns of the graph.
    links_ : list
        The known links, in order of first appearance (for matrices: column order).
    link_counts_ : ndarray of shape (n_links,)
        Number of training rows of each known link.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_scores_ : list of float or None
        Validation Recall@10 after each epoch (``None`` without ``early_stopping``).
    best_iteration_ : int or None
        The epoch whose vectors were kept (``None`` without ``early_stopping``).
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
    NOTEBOOK = MappingProxyType({"embedding_size": 50, "negative_ratio": 10, "batch_size": 512,
                                 "epochs": 15, "loss": "cosine_mse", "optimizer": "nadam",
                                 "learning_rate": 0.001, "negative_power": 0.0,
                                 "negative_sampling": "pair", "link_context": 0.0})

    _parameter_constraints: ClassVar[dict] = {
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "negative_ratio": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"cosine_mse", "logistic"})],
        "optimizer": [StrOptions({"auto", "sgd", "nadam", "adam", "adagrad",
                                  "rowwise_adagrad"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "negative_power": [Interval(Real, 0, None, closed="left")],
        "negative_sampling": [StrOptions({"pair", "link"})],
        "negative_sharing": [Interval(Integral, 1, None, closed="left")],
        "link_context": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "fold_in_steps": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, embedding_size=100, *, negative_ratio=10, batch_size=4096, epochs=5,
                 loss="logistic", optimizer="auto", learning_rate="auto", negative_power=0.75,
                 negative_sampling="link", negative_sharing=4, link_context=1.0,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=2, tol=1e-3,
                 min_count=3, normalize=True, fold_in_steps=5, random_state=None, verbose=0):
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
        self.link_context = link_context
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
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
        if not self.early_stopping:  # else the engine trains on the split's own CSR
            # fit's own CSR, never the caller's: aligned, the engine reads its links in place.
            graph.csr.indices = aligned_copy(graph.csr.indices)
        pairs = Pairs.from_csr(graph.csr)
        pairs.check_samplable(self.min_count)
        self._check_table_memory(pairs.n_rows, pairs.n_links)
        _warn_few_links(graph.csr, self.embedding_size, self.min_count)
        rng = check_random_state(self.random_state)
        config = self._training_config(int(rng.randint(np.iinfo(np.int32).max)))
        validation = None
        uniform_weight = graph.csr.data[0] if pairs.weights is None else None
        if self.early_stopping:
            validation = self._validation_split(graph.csr, rng)
            pairs = Pairs.from_csr(validation.train)
            pairs.check_samplable(self.min_count)
        if uniform_weight is not None:
            # Every pair weighs the same (link lists always do): the CSR's values are
            # one number, and their 4 bytes a pair need not sit beside the tables while
            # they train (76 MiB at 20 million pairs: half the input's CSR size). A
            # read-only view stands in; the values come back for the row vectors.
            graph.csr.data = np.broadcast_to(uniform_weight, graph.csr.data.shape)
        trainer = self._trainer(pairs, config)
        try:
            loss_curve, tables, scores, best_iteration = self._train(trainer, rng, validation)
        finally:  # the TensorFlow tables go before the row vectors are made, or at once
            trainer.release()  # if training stops (Ctrl-C, divergence)
        del trainer, pairs
        if uniform_weight is not None:
            graph.csr.data = np.full(graph.csr.data.shape, uniform_weight, dtype=np.float32)
        # Fresh arrays of this fit: kept, not copied (a copy of the row vectors was
        # the peak of a 20-million-pair fit's memory).
        links = KeyedVectors(tables[0], self.vocabulary_.link_keys, copy=False)
        output = tables[1] if config.link_context else None
        counts = column_counts(graph.csr)
        state = _FittedState(self.vocabulary_, links, counts, loss_curve,
                             config.seed, row_vectors=None, link_output_vectors=output,
                             validation_scores=scores, best_iteration=best_iteration)
        state.apply(self)
        rows = self._fold_in(graph.csr)
        keys = graph.row_keys if graph.row_keys is not None else list(range(rows.shape[0]))
        self.row_vectors_ = KeyedVectors(rows, keys, copy=False)

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
            loss=self.loss, optimizer=self._optimizer(), learning_rate=self._learning_rate(),
            seed=seed, link_context=self._link_context())

    @staticmethod
    def _trainer(pairs, config, strategy=None):
        """The TensorFlow engine for ``pairs`` (benchmarks reach it through ``benchmarks._common.engine_for``)."""
        from ._engine import Trainer  # TensorFlow is imported only to train

        return Trainer(pairs, config, strategy=strategy)

    def _check_table_memory(self, n_rows, n_links):
        """Refuse tables larger than this machine's memory before TensorFlow tries to allocate."""
        n_link_tables = 2 if self._link_context() else 1
        per_coordinate, per_vector = _FLOATS_PER_VECTOR[self._optimizer()]
        floats = self.embedding_size * per_coordinate + per_vector
        n_bytes = (n_rows + n_link_tables * n_links) * floats * 4
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
        return "sgd" if self.loss == "cosine_mse" else "rowwise_adagrad"

    def _learning_rate(self):
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        return _AUTO_LEARNING_RATE[self._optimizer()]

    def _link_context(self):
        """The link-context weight in use: only with the logistic loss and link negatives."""
        if self.loss != "logistic" or self.negative_sampling != "link":
            return 0.0
        return float(self.link_context)

    def _train(self, trainer, rng, validation=None):
        """Run the epochs; returns the loss curve, the (link, output link) tables kept, the
        validation scores and the best epoch (``None`` without early stopping).

        With early stopping, the held-out pairs are ranked after each epoch
        (``validation_scores_``), training stops after ``n_iter_no_change`` epochs
        without an improvement of ``tol``, and the tables of the best epoch are kept.
        """
        steps = trainer.steps_per_epoch()
        examples_per_step = trainer.global_batch * (1 + self.negative_ratio)
        chunk = int(np.clip(_EXAMPLES_PER_CALL // examples_per_step, 1, steps))
        losses, scores, best_iteration = [], [], None
        best, stale = -np.inf, 0
        tables = None
        for epoch in range(self.epochs):
            batches = None  # the last epoch's order goes before the next one is made
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
                    f"smaller learning_rate (now {self._learning_rate()}) or an adaptive optimizer "
                    f"(optimizer='nadam'; now {self._optimizer()!r}).")
            logger.debug("epoch %d: loss %.5f", epoch + 1, losses[-1])
            if validation is None:
                continue
            current = (trainer.link_vectors(), trainer.output_vectors())
            score = self._validation_score(validation, trainer, *current)
            scores.append(score)
            logger.debug("epoch %d: validation recall@10 %.4f", epoch + 1, score)
            if score > best + self.tol:
                best, stale, tables, best_iteration = score, 0, current, epoch + 1
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    break
        batches = None  # the epoch's pair order goes before the tables are copied out
        if tables is None:
            tables = trainer.final_tables()
        return losses, tables, (scores if validation is not None else None), best_iteration

    def _validation_split(self, csr, rng):
        """Hold out ``validation_fraction`` of each row's pairs (seeded by ``rng``)."""
        from .evaluation import _ValidationRanking, train_test_split_links

        train, held_out = train_test_split_links(csr, self.validation_fraction,
                                                 random_state=rng)
        return _ValidationRanking(train, held_out, _VALIDATION_ROWS, rng)

    def _validation_score(self, validation, trainer, links, output):
        """Recall@10 of the held-out pairs, rows and links as the fitted model scores them."""
        if self._link_context():
            counts = column_counts(validation.train)
            R = _row_means(validation.train, links, np.asarray(validation.train.sum(1)).ravel())
            bias = (_POPULARITY_WEIGHT * np.log(np.maximum(counts, 1))).astype(np.float32)
            return validation.score(unit_rows(R), output, bias)
        return validation.score(unit_rows(trainer.row_vectors()), unit_rows(links), None)

    def _fold_in(self, csr):
        empty = int(np.count_nonzero(np.diff(csr.indptr) == 0))
        if empty:
            warnings.warn(
                f"{empty} of {csr.shape[0]} rows have no known link (none of their links is in "
                f"the {len(self.links_)} links kept at fit, those in min_count={self.min_count} "
                "or more training rows): their vectors are zero.", UserWarning, stacklevel=3)
        if self._rows_are_means:
            # With link context a row is the mean of its links' input vectors (the
            # vectors its links predict each other with): row-wise and exact.
            weights = csr.astype(np.float32, copy=False)
            totals = np.asarray(weights.sum(axis=1)).ravel()
            vectors = _row_means(weights, self.link_vectors_.vectors, totals)
            return unit_rows(vectors, copy=False) if self.normalize else vectors
        probability = negative_probability(self.link_counts_, self.negative_power)
        vectors = fold_in(csr, self.link_vectors_.vectors, loss=self.loss, seed=self._seed,
                          negative_ratio=self.negative_ratio, link_probability=probability,
                          n_steps=self.fold_in_steps)
        return unit_rows(vectors, copy=False) if self.normalize else vectors

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

    def link_scores(self, X):
        """How strongly the model expects each row of ``X`` to link to each known link.

        The score of (row, link) is ``unit(row) . link_output_vectors_[link] +
        link_bias_[link]``. With ``link_context > 0``, ``link_bias_`` is
        ``0.1 * log(link_counts_)``: skip-gram negative sampling scores a pair
        against the negative distribution ``degree ** negative_power``, and this
        turns the scores back toward how often links occur (the 0.1 was
        measured with ``benchmarks/bench_ranking.py``). With
        ``link_context=0`` it is the cosine of the row and link vectors. Higher
        is more likely; compare scores within a row.

        Parameters
        ----------
        X : same kinds as in :meth:`fit`
            Rows to score, seen or unseen.

        Returns
        -------
        scores : ndarray of shape (n_rows, n_links), dtype float32
            ``scores[i, j]`` for row ``i`` and link ``links_[j]``.

        See Also
        --------
        LinkEmbedder.recommend : The best links of each row, known ones left out.

        Examples
        --------
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> emb.fit(films).link_scores([["George Lucas"]]).shape
        (1, 4)
        """
        check_is_fitted(self)
        return self._scores_of_rows(unit_rows(self.transform(X)))

    def recommend(self, X, topn=10, *, exclude_known=True):
        """The ``topn`` links each row of ``X`` is most likely to have: "what is it missing?".

        Parameters
        ----------
        X : same kinds as in :meth:`fit`
            Rows, seen or unseen.
        topn : int, default=10
            Links per row.
        exclude_known : bool, default=True
            Leave out the links a row already has.

        Returns
        -------
        recommendations : list of list of (link, float)
            For each row, link names and their :meth:`link_scores`, best first.

        See Also
        --------
        LinkEmbedder.link_scores : The scores of every link.

        Examples
        --------
        >>> from sklearn_linkembed import LinkEmbedder
        >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
        ...          ["Mark Hamill", "George Lucas"]]
        >>> emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
        >>> [len(links) for links in emb.fit(films).recommend(films, topn=2)]
        [2, 2, 2]
        """
        check_is_fitted(self)
        csr = self._encode(X, reset=False).csr
        rows = unit_rows(self._fold_in(csr))
        out = []
        for start in range(0, csr.shape[0], _ROWS_PER_BLOCK):
            scores = self._scores_of_rows(rows[start:start + _ROWS_PER_BLOCK])
            if exclude_known:
                block = csr[start:start + _ROWS_PER_BLOCK]
                scores[np.repeat(np.arange(block.shape[0]), np.diff(block.indptr)),
                       block.indices] = -np.inf
            k = min(topn, scores.shape[1])
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            out.extend([(self.links_[j], float(row[j])) for j in ids if np.isfinite(row[j])]
                       for ids, row in zip(top, scores))
        return out

    def _scores_of_rows(self, unit_vectors):
        """:meth:`link_scores` of rows given by their unit vectors."""
        return unit_vectors @ self.link_output_vectors_.vectors.T + self.link_bias_

    def most_similar(self, positive=None, negative=None, topn=10, *, query="row", target=None,
                     restrict_to=None, restrict_vocab=None):
        """The ``topn`` rows or links nearest the query, within or across tables.

        Rows and links were trained in one space (a true pair scores high), so besides
        "rows like this row" and "links like this link" the model answers "which links
        best describe this row" (``query="row", target="link"``) and "which rows best
        match this link" (``query="link", target="row"``). Each query uses the table
        made for it: rows by the cosine of ``row_vectors_``; links by the cosine of
        their input and output vectors summed (with ``link_context > 0``; else
        ``link_vectors_``); "links of a row" by :meth:`link_scores` of the query's
        unit vector; "rows of a link" by the cosine of rows with the link's output
        vector, the order :meth:`link_scores` puts rows in for that link. The query
        is resolved with :meth:`KeyedVectors.query_vector`.

        Parameters
        ----------
        positive, negative : key, vector or list of them, default=None
            As in gensim's ``most_similar``: the query is the normalised mean of
            the positive unit vectors minus the negative ones; ``(term, weight)``
            pairs weigh a term (see :meth:`KeyedVectors.most_similar`).
        topn : int or None, default=10
            Number of neighbours; ``None`` returns the cosine of every candidate as
            an array. Within one table the query keys themselves are excluded;
            across tables nothing is.
        query : {"row", "link"}, default="row"
            The table the query keys belong to.
        target : {"row", "link"}, default=None
            The table searched (default: the query's). ``query="row",
            target="link"`` asks which links best describe a row.
        restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
            Only these candidates of the ``target`` table are considered.
        restrict_vocab : int or None, default=None
            Only the first ``restrict_vocab`` keys of the ``target`` table are
            candidates, as in gensim. Rows keep the order of ``X``, links that of
            their first appearance (of the columns, for a matrix).

        Returns
        -------
        neighbours : list of (key, float) or ndarray
            Names and cosine similarities, best first.

        Raises
        ------
        KeyError
            If a query key is not in the ``query`` table (when it is a key of the
            other table the message says which ``query`` to pass), or a
            ``restrict_to`` key is not in the ``target`` table.
        ValueError
            If ``query`` or ``target`` is not ``"row"`` or ``"link"``.

        See Also
        --------
        most_similar : The same query over this model or a KeyedVectors.
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
        >>> sorted(key for key, _ in emb.most_similar(0, target="link", restrict_vocab=2))
        ['George Lucas', 'Harrison Ford']
        >>> emb.most_similar("George Lucas")
        Traceback (most recent call last):
            ...
        KeyError: "'George Lucas' is not a row key; it is a link key: pass query='link'"
        """
        check_is_fitted(self)
        for name, value in (("query", query), ("target", target)):
            if value not in ("row", "link") and not (name == "target" and value is None):
                raise ValueError(f"{name} must be 'row' or 'link', got {value!r}.")
        target = query if target is None else target
        # The table behind each kind of query: rows and links by their own similarity
        # vectors; across tables, the table link_scores scores rows against.
        similar = {"row": self.row_vectors_, "link": self._link_similarity}
        source = (self.link_output_vectors_ if (query, target) == ("link", "row")
                  else similar[query])
        other_name = "link" if query == "row" else "row"
        try:
            vector = source.query_vector(positive, negative)
        except KeyError as error:
            # a link queried as a row (or the reverse) gets a pointer to the right table
            if not hasattr(error, "missing_key"):
                raise
            key = error.missing_key
            if key in source or key not in similar[other_name]:
                raise
            wrong_table = KeyError(f"{key!r} is not a {query} key; it is a {other_name} key: "
                                   f"pass query={other_name!r}")
            wrong_table.missing_key = key
            raise wrong_table from None
        if target == query:  # the query keys are left out of their own table's answer
            return source.most_similar(positive, negative, topn, restrict_to,
                                       restrict_vocab=restrict_vocab)
        if target == "row":
            return self.row_vectors_.similar_by_vector(vector, topn, restrict_to,
                                                       restrict_vocab=restrict_vocab)
        return self._top_links(vector, topn, restrict_to, restrict_vocab)

    @property
    def _link_similarity(self):
        """Links as "links like this link" compares them (cached, derived from the fit).

        With link context, the normalised sum of a link's unit input and output
        vectors (GloVe's W + C): its cosines add the links' co-occurrence
        (input . output) to the similarity of their contexts; alone, the input
        vectors favour rare links (benchmarks/bench_ranking.py).
        """
        cache = self.__dict__.get("_link_similarity_cache")
        if cache is None or cache[0] is not self.link_vectors_:
            vectors = self.link_vectors_
            if self._rows_are_means:
                summed = (unit_rows(self.link_vectors_.vectors)
                          + unit_rows(self.link_output_vectors_.vectors))
                vectors = KeyedVectors(unit_rows(summed), self.link_vectors_.index_to_key)
            cache = (self.link_vectors_, vectors)
            self.__dict__["_link_similarity_cache"] = cache
        return cache[1]

    def _top_links(self, vector, topn, restrict_to, restrict_vocab):
        """Links by :meth:`link_scores` of the unit row vector ``vector``, best first."""
        scores = self._scores_of_rows(vector[None, :].astype(np.float32))[0]
        candidates = np.arange(len(scores))
        if restrict_vocab is not None:
            candidates = candidates[:restrict_vocab]
        if restrict_to is not None:
            chosen = np.asarray(restrict_to) if not isinstance(restrict_to, (set, frozenset)) \
                else np.asarray(list(restrict_to), dtype=object)
            if chosen.dtype == bool:
                chosen = np.flatnonzero(chosen)
            elif chosen.dtype.kind not in "iu":
                chosen = np.array([self.link_vectors_.get_index(key) for key in restrict_to],
                                  dtype=np.int64)
            candidates = np.intersect1d(candidates, chosen)
        if topn is None:
            return scores[candidates]
        order = candidates[np.argsort(-scores[candidates], kind="stable")[:topn]]
        keys = self.link_vectors_.index_to_key
        return [(keys[i], float(scores[i])) for i in order]

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
    link_output_vectors: np.ndarray | None = None
    validation_scores: list | None = None
    best_iteration: int | None = None

    @classmethod
    def of(cls, est):
        output = est.link_output_vectors_.vectors if est._rows_are_means else None
        return cls(est.vocabulary_, est.link_vectors_, est.link_counts_, est.loss_curve_,
                   est._seed, est.row_vectors_, getattr(est, "feature_names_in_", None), output,
                   est.validation_scores_, est.best_iteration_)

    def apply(self, est):
        est.vocabulary_ = self.vocabulary
        est.link_vectors_ = self.link_vectors
        keys = self.link_vectors.index_to_key
        if self.link_output_vectors is None:  # one table, scored by cosine
            est.link_output_vectors_ = KeyedVectors(unit_rows(self.link_vectors.vectors), keys,
                                                    copy=False)
            est.link_bias_ = np.zeros(len(keys), dtype=np.float32)
        else:
            est.link_output_vectors_ = KeyedVectors(self.link_output_vectors, keys, copy=False)
            est.link_bias_ = (_POPULARITY_WEIGHT
                              * np.log(np.maximum(self.link_counts, 1))).astype(np.float32)
        est._rows_are_means = self.link_output_vectors is not None
        est.links_ = list(self.vocabulary.link_keys)
        est.link_counts_ = self.link_counts
        est.loss_curve_ = list(self.loss_curve)
        est.n_iter_ = len(self.loss_curve)
        est.validation_scores_ = (None if self.validation_scores is None
                                  else list(self.validation_scores))
        est.best_iteration_ = self.best_iteration
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
        if self.link_output_vectors is not None:
            arrays["link_output_vectors"] = self.link_output_vectors
        if self.validation_scores is not None:
            arrays["validation_scores"] = np.asarray(self.validation_scores, dtype=np.float64)
            meta["best_iteration"] = self.best_iteration
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
                   None if names is None else names.astype(object),
                   arrays.get("link_output_vectors"),
                   None if "validation_scores" not in arrays
                   else arrays["validation_scores"].tolist(),
                   meta.get("best_iteration"))


def _row_means(weights, vectors, totals):
    """Each row's weighted mean of ``vectors`` (rows x links ``weights``), row by row.

    scipy's sparse-dense product sums each row's terms in order, in one loop
    without BLAS or threads, so that a row's mean does not depend on the other
    rows or the thread count; it was 13 times faster than gathering the terms
    and summing them with ``np.add.reduceat`` (0.01 against 0.14 s on the
    films). Blocks of rows bound its temporary when the weights are float64.
    """
    out = np.zeros((weights.shape[0], vectors.shape[1]), dtype=np.float32)
    has = totals > 0
    for start in range(0, weights.shape[0], 1 << 16):
        stop = start + (1 << 16)
        sums = weights[start:stop] @ vectors
        rows = has[start:stop]
        out[start:stop][rows] = sums[rows] / totals[start:stop][rows, None].astype(np.float32)
    return out


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
