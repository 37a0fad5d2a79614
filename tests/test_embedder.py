"""Tests of LinkEmbedder: inputs, training, fold-in, reproducibility, sklearn integration."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_linkembed import LinkEmbedder, make_bipartite_graph

FAST = {"embedding_size": 16, "epochs": 4, "batch_size": 256}


@pytest.fixture(scope="module")
def planted():
    X, rows, _ = make_bipartite_graph(400, 300, 6000, n_communities=4, mixing=0.1,
                                      random_state=0)
    return X, rows


@pytest.fixture(scope="module")
def fitted(planted):
    X, _ = planted
    return LinkEmbedder(**FAST, random_state=0).fit(X)


FILMS = [["Harrison Ford", "George Lucas", "space"],
         ["Harrison Ford", "Steven Spielberg", "adventure"],
         ["Mark Hamill", "George Lucas", "space"],
         ["Steven Spielberg", "adventure", "shark"],
         ["Harrison Ford", "adventure", "space"]]


def test_loss_falls_and_curve_has_one_value_per_epoch(fitted):
    assert len(fitted.loss_curve_) == fitted.n_iter_ == 4
    assert fitted.loss_curve_[-1] < 0.6 * fitted.loss_curve_[0]


def test_rows_of_a_community_end_nearer_each_other(fitted, planted):
    _, communities = planted
    R = fitted.row_vectors_.vectors
    same = communities[:, None] == communities[None, :]
    cos = R @ R.T
    np.fill_diagonal(same, False)
    inside = cos[same].mean()
    across = cos[~same & ~np.eye(len(R), dtype=bool)].mean()
    assert inside > across + 0.2
    # nearest neighbour shares the community for almost every row
    np.fill_diagonal(cos, -np.inf)
    assert (communities[cos.argmax(1)] == communities).mean() > 0.9


def test_fit_transform_equals_fit_then_transform(planted):
    X, _ = planted
    a = LinkEmbedder(**FAST, random_state=1).fit_transform(X)
    b = LinkEmbedder(**FAST, random_state=1).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("weighted", [False, True])
def test_equal_weights_leave_memory_while_training_and_come_back(planted, monkeypatch, weighted):
    from sklearn_linkembed import _engine

    X, _ = planted
    X = X * 3.0  # every pair weighs 3: the CSR's values are one number
    if weighted:
        X.data[::2] = 1.0
    graphs, data_while_training = [], []
    real_encode, real_train = LinkEmbedder._encode, _engine.Trainer.train

    def encode(self, X, *, reset):
        graphs.append(real_encode(self, X, reset=reset))
        return graphs[-1]

    def train(self, *args):
        data_while_training.append(graphs[-1].csr.data.strides)
        return real_train(self, *args)

    monkeypatch.setattr(LinkEmbedder, "_encode", encode)
    monkeypatch.setattr(_engine.Trainer, "train", train)
    emb = LinkEmbedder(**FAST, random_state=0)
    rows = emb.fit_transform(X)
    # equal weights: no bytes per pair while the tables train; weighted: untouched
    assert set(data_while_training) == ({(4,)} if weighted else {(0,)})
    data = graphs[0].csr.data
    assert data.strides == (4,) and data.flags.writeable
    np.testing.assert_array_equal(np.unique(data), [1.0, 3.0] if weighted else [3.0])
    # the row vectors weigh the links as given: as transform's fold-in of X
    np.testing.assert_array_equal(rows, emb.transform(X))


def test_an_epochs_pair_order_goes_before_the_next_one_is_made(planted, monkeypatch):
    import weakref

    from sklearn_linkembed import _engine

    X, _ = planted
    real = _engine.Trainer.epoch_batches
    made, alive = [], []

    def epoch_batches(self, random_state):
        alive.append([order() is not None for order in made])
        order = real(self, random_state)
        made.append(weakref.ref(order))
        return order

    monkeypatch.setattr(_engine.Trainer, "epoch_batches", epoch_batches)
    LinkEmbedder(**FAST, random_state=0).fit(X)
    # 4 bytes a pair: two orders at once were a multi-epoch fit's peak
    assert alive == [[False] * epoch for epoch in range(FAST["epochs"])]


def test_transform_is_row_wise_bit_for_bit(fitted, planted):
    X, _ = planted
    full = fitted.transform(X)
    rows = np.array([5, 3, 399, 0, 17, 17])
    np.testing.assert_array_equal(fitted.transform(X[rows]), full[rows])
    assert full.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(full, axis=1), 1, rtol=1e-5)


def test_same_seed_bit_identical_other_seed_differs(planted):
    X, _ = planted
    a = LinkEmbedder(**FAST, random_state=3).fit(X)
    b = LinkEmbedder(**FAST, random_state=3).fit(X)
    c = LinkEmbedder(**FAST, random_state=4).fit(X)
    np.testing.assert_array_equal(a.link_vectors_.vectors, b.link_vectors_.vectors)
    np.testing.assert_array_equal(a.row_vectors_.vectors, b.row_vectors_.vectors)
    assert not np.array_equal(a.link_vectors_.vectors, c.link_vectors_.vectors)


_SCRIPT = """
import hashlib, numpy as np
from sklearn_linkembed import LinkEmbedder, make_bipartite_graph
X, _, _ = make_bipartite_graph(200, 150, 2000, n_communities=3, random_state=0)
emb = LinkEmbedder(embedding_size=8, epochs=2, batch_size=128, random_state=7).fit(X)
print(hashlib.sha256(emb.link_vectors_.vectors.tobytes()).hexdigest())
"""


def test_bit_identical_across_processes():
    digests = {subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                              check=True).stdout.strip().splitlines()[-1] for _ in range(2)}
    assert len(digests) == 1


def test_fit_leaves_global_random_state_alone(planted):
    X, _ = planted
    before = np.random.get_state()[1].copy()
    LinkEmbedder(**FAST, random_state=0).fit(X)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_link_lists_vocabulary_in_order_of_first_appearance():
    emb = LinkEmbedder(embedding_size=4, epochs=1, min_count=2, random_state=0).fit(FILMS)
    assert emb.links_ == ["Harrison Ford", "George Lucas", "space", "Steven Spielberg",
                          "adventure"]
    np.testing.assert_array_equal(emb.link_counts_, [3, 2, 3, 2, 3])
    assert emb.row_vectors_.index_to_key == [0, 1, 2, 3, 4]


def test_unseen_links_are_ignored_and_linkless_rows_are_zero():
    emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0).fit(FILMS)
    out = emb.transform([["space", "unknown thing"], ["nothing known"], []])
    np.testing.assert_array_equal(out[0], emb.transform([["space"]])[0])
    assert not out[1:].any()


def test_series_index_names_rows_and_set_output_keeps_it():
    pd = pytest.importorskip("pandas")
    titles = [f"film {i}" for i in range(len(FILMS))]
    X = pd.Series(FILMS, index=titles)
    emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0)
    emb.set_output(transform="pandas")
    out = emb.fit_transform(X)
    assert list(out.index) == titles
    assert list(out.columns) == [f"linkembedder{i}" for i in range(4)]
    assert emb.row_vectors_.index_to_key == titles
    assert "film 1" in dict(emb.most_similar("film 0", topn=10))
    assert "film 0" not in dict(emb.most_similar("film 0", topn=10))


def test_mapping_keys_name_rows_without_pandas():
    titles = [f"film {i}" for i in range(len(FILMS))]
    params = {"embedding_size": 4, "epochs": 2, "min_count": 1, "random_state": 0}
    emb = LinkEmbedder(**params).fit(dict(zip(titles, FILMS)))
    assert emb.row_vectors_.index_to_key == titles
    # the same vectors as the plain lists: only the names differ
    np.testing.assert_array_equal(emb.row_vectors_.vectors,
                                  LinkEmbedder(**params).fit(FILMS).row_vectors_.vectors)
    assert "film 0" not in dict(emb.most_similar("film 0", topn=10))


def test_dataframe_columns_name_the_links():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    df = pd.DataFrame((rng.rand(30, 5) < 0.4).astype(float), columns=list("abcde"))
    emb = LinkEmbedder(embedding_size=4, epochs=2, random_state=0).fit(df)
    assert emb.n_features_in_ == 5
    assert list(emb.feature_names_in_) == list("abcde")
    assert emb.links_ == [c for c in "abcde" if (df[c] > 0).sum() >= 3]


def test_sparse_and_dense_inputs_agree(planted):
    X, _ = planted
    X = X[:100, :80]
    a = LinkEmbedder(embedding_size=4, epochs=2, random_state=0, min_count=1).fit_transform(X)
    b = LinkEmbedder(embedding_size=4, epochs=2, random_state=0,
                     min_count=1).fit_transform(X.toarray())
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loss", ["cosine_mse", "logistic"])
@pytest.mark.parametrize("optimizer", ["nadam", "adam", "adagrad", "rowwise_adagrad", "sgd"])
def test_every_loss_and_optimizer_learns_the_communities(planted, loss, optimizer):
    X, communities = planted
    lr = {"sgd": 0.02, "adagrad": 0.1, "rowwise_adagrad": 0.1}.get(optimizer, 0.01)
    emb = LinkEmbedder(embedding_size=16, epochs=4, batch_size=256, loss=loss,
                       optimizer=optimizer, learning_rate=lr,
                       link_context=1.0 if loss == "logistic" else 0.0, random_state=0).fit(X)
    R = emb.row_vectors_.vectors
    cos = R @ R.T
    np.fill_diagonal(cos, -np.inf)
    assert (communities[cos.argmax(1)] == communities).mean() > 0.8


def test_most_similar_links_excludes_the_query():
    emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0).fit(FILMS)
    answer = emb.most_similar("George Lucas", topn=3, query="link")
    assert len(answer) == 3 and "George Lucas" not in dict(answer)
    with pytest.raises(ValueError, match="query"):
        emb.most_similar("George Lucas", query="film")


@pytest.mark.parametrize("params", [{"embedding_size": 0}, {"negative_ratio": -1},
                                    {"epochs": 0}, {"loss": "hinge"}, {"optimizer": "rmsprop"},
                                    {"learning_rate": 0.0}])
def test_bad_parameters_are_rejected_before_training(params):
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        LinkEmbedder(**params).fit(FILMS)


@pytest.mark.parametrize("X, error, match", [
    ("Star Wars", TypeError, "single string"),
    (["Star Wars", ["a"]], TypeError, r"X\[0\] is a string"),
    ([["a"], 3], TypeError, r"X\[1\] is 3"),
    ([["a", ["nested"]]], TypeError, "hashable"),
    ([], ValueError, "0 rows"),
    ([["a"], ["b"]], ValueError, "min_count"),
])
def test_bad_link_lists_get_clear_errors(X, error, match):
    with pytest.raises(error, match=match):
        LinkEmbedder(epochs=1).fit(X)


def test_bad_matrices_get_clear_errors():
    X = np.abs(np.random.RandomState(0).randn(20, 4))
    with pytest.raises(ValueError, match="Negative values"):
        LinkEmbedder(epochs=1).fit(-X)
    with pytest.raises(ValueError, match="NaN"):
        LinkEmbedder(epochs=1).fit(np.where(X > 1, np.nan, X))
    emb = LinkEmbedder(embedding_size=2, epochs=1, random_state=0).fit((X > 0.5) * 1.0)
    with pytest.raises(ValueError, match="4 features"):
        emb.transform(X[:, :3])
    with pytest.raises(TypeError, match="matrix"):
        emb.transform([["a"]])


def test_interrupted_fit_leaves_estimator_unchanged_and_refit_works(planted, monkeypatch):
    from sklearn_linkembed import _engine

    X, _ = planted
    emb = LinkEmbedder(embedding_size=4, epochs=3, batch_size=64, random_state=0)
    calls = []
    real = _engine.Trainer.train

    def interrupt(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(_engine.Trainer, "train", interrupt)
    with pytest.raises(KeyboardInterrupt):
        emb.fit(X)
    assert not [k for k in vars(emb) if k.endswith("_")]
    monkeypatch.setattr(_engine.Trainer, "train", real)
    emb.fit(X)
    assert emb.n_iter_ == 3


def test_verbose_shows_progress_and_quiet_prints_nothing(capsys):
    LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0).fit(FILMS)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=0, verbose=1).fit(FILMS)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err and "examples_s=" in err


def test_clone_and_pickle_round_trip(fitted, planted):
    import pickle

    X, _ = planted
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(X[:10]), fitted.transform(X[:10]))
    assert clone(fitted).get_params() == fitted.get_params()


def test_weights_change_the_model():
    X = sp.random(100, 60, density=0.1, random_state=0, format="csr", dtype=np.float32)
    binary = X.copy()
    binary.data[:] = 1
    a = LinkEmbedder(embedding_size=4, epochs=2, random_state=0).fit(binary)
    b = LinkEmbedder(embedding_size=4, epochs=2, random_state=0).fit(X)
    assert not np.array_equal(a.link_vectors_.vectors, b.link_vectors_.vectors)


@pytest.mark.parametrize("as_matrix", [False, True])
def test_save_load_round_trips_exactly(tmp_path, as_matrix):
    X = FILMS
    if as_matrix:
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame((np.random.RandomState(0).rand(30, 6) < 0.5) * 1.0,
                         columns=[f"link {i}" for i in range(6)])
    emb = LinkEmbedder(embedding_size=4, epochs=2, min_count=1, random_state=np.int64(3)).fit(X)
    path = emb.save(tmp_path / "model.npz")
    again = LinkEmbedder.load(path)
    assert again.get_params() == emb.get_params()
    assert again.links_ == emb.links_
    assert again.loss_curve_ == emb.loss_curve_
    np.testing.assert_array_equal(again.link_vectors_.vectors, emb.link_vectors_.vectors)
    np.testing.assert_array_equal(again.row_vectors_.vectors, emb.row_vectors_.vectors)
    np.testing.assert_array_equal(again.transform(X), emb.transform(X))
    if as_matrix:
        assert list(again.feature_names_in_) == list(emb.feature_names_in_)


def test_load_refuses_other_archives(tmp_path):
    from sklearn_linkembed import KeyedVectors

    path = KeyedVectors(np.eye(2, dtype=np.float32), ["a", "b"]).save(tmp_path / "kv.npz")
    with pytest.raises(ValueError, match="LinkEmbedder"):
        LinkEmbedder.load(path)


def test_cross_type_query_links_that_describe_a_row():
    emb = LinkEmbedder(embedding_size=8, epochs=5, min_count=1, random_state=0).fit(FILMS)
    answer = emb.most_similar(0, query="row", target="link", topn=7)
    assert sorted(k for k, _ in answer) == sorted(emb.links_)


def test_auto_optimizer_is_rowwise_adagrad_for_logistic_and_sgd_for_cosine(planted, monkeypatch):
    X, _ = planted
    from sklearn_linkembed import _engine

    seen = []
    original = _engine._LazyOptimizer.__init__

    def spy(self, name, *args, **kwargs):
        seen.append(name)
        original(self, name, *args, **kwargs)

    monkeypatch.setattr(_engine._LazyOptimizer, "__init__", spy)
    LinkEmbedder(embedding_size=4, epochs=1, random_state=0).fit(X)
    LinkEmbedder(embedding_size=4, epochs=1, loss="cosine_mse", random_state=0).fit(X)
    assert seen == ["rowwise_adagrad", "sgd"]


@pytest.mark.parametrize("params", [{"loss": "cosine_mse"}, {"negative_sampling": "pair"},
                                    {"link_context": 0}])
def test_link_context_is_used_only_with_the_logistic_loss_and_link_negatives(params):
    emb = LinkEmbedder(embedding_size=4, epochs=1, min_count=1, random_state=0,
                       **params).fit(FILMS)
    # one link table: rows are folded in and scored by cosine
    np.testing.assert_array_equal(emb.link_bias_, 0)
    np.testing.assert_allclose(np.linalg.norm(emb.link_output_vectors_.vectors, axis=1), 1,
                               rtol=1e-6)
    same = dict(params, link_context=0)
    np.testing.assert_array_equal(
        emb.link_vectors_.vectors,
        LinkEmbedder(embedding_size=4, epochs=1, min_count=1, random_state=0,
                     **same).fit(FILMS).link_vectors_.vectors)


def test_divergence_is_reported_and_leaves_the_estimator_unfitted(planted):
    X, _ = planted
    emb = LinkEmbedder(embedding_size=8, epochs=3, loss="logistic", optimizer="sgd",
                       learning_rate=1e6, batch_size=64, random_state=0)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        emb.fit(X)
    assert not hasattr(emb, "row_vectors_")


def test_tables_larger_than_memory_are_refused_before_tensorflow_allocates():
    with pytest.raises(MemoryError, match=r"embedding_size=1000000000 needs .* more than this machine"):
        LinkEmbedder(embedding_size=10**9, min_count=1).fit(FILMS)


def test_few_kept_links_warn_that_rows_share_vectors():
    with pytest.warns(UserWarning, match=r"Only 3 links are in min_count=3 .* identical vectors"):
        LinkEmbedder(embedding_size=8, epochs=1, min_count=3, random_state=0).fit(FILMS)


def test_rows_without_known_links_warn_with_their_count():
    emb = LinkEmbedder(embedding_size=4, epochs=1, min_count=1, random_state=0).fit(FILMS)
    with pytest.warns(UserWarning, match=r"2 of 3 rows have no known link"):
        out = emb.transform([["unknown"], ["space"], []])
    assert not out[[0, 2]].any() and out[1].any()


def test_early_stopping_keeps_the_best_epoch_and_stops_after_no_change(planted):
    X, _ = planted
    params = {**FAST, "early_stopping": True, "random_state": 0}
    params.pop("epochs")
    # tol=1: no later epoch can improve on the first, so training stops after
    # 1 + n_iter_no_change epochs and keeps the first epoch's vectors
    stopped = LinkEmbedder(**params, epochs=10, tol=1.0, n_iter_no_change=2).fit(X)
    assert stopped.n_iter_ == len(stopped.validation_scores_) == 3
    assert stopped.best_iteration_ == 1
    first = LinkEmbedder(**params, epochs=1).fit(X)
    np.testing.assert_array_equal(stopped.link_vectors_.vectors, first.link_vectors_.vectors)
    np.testing.assert_array_equal(stopped.transform(X), first.transform(X))


def test_early_stopping_scores_rise_and_reruns_are_identical(planted):
    X, _ = planted
    params = {**FAST, "epochs": 6, "early_stopping": True, "tol": 0.0, "random_state": 0}
    a, b = LinkEmbedder(**params).fit(X), LinkEmbedder(**params).fit(X)
    assert a.validation_scores_ == b.validation_scores_
    np.testing.assert_array_equal(a.link_vectors_.vectors, b.link_vectors_.vectors)
    assert 0 < a.validation_scores_[0] < max(a.validation_scores_) <= 1
    assert a.validation_scores_[a.best_iteration_ - 1] == max(a.validation_scores_)


def test_without_early_stopping_there_are_no_validation_scores(fitted):
    assert fitted.validation_scores_ is None and fitted.best_iteration_ is None


def test_save_and_load_keep_the_early_stopping_record(planted, tmp_path):
    X, _ = planted
    emb = LinkEmbedder(**FAST, early_stopping=True, random_state=0).fit(X)
    loaded = LinkEmbedder.load(emb.save(tmp_path / "model.npz"))
    assert loaded.validation_scores_ == emb.validation_scores_
    assert loaded.best_iteration_ == emb.best_iteration_
    np.testing.assert_array_equal(loaded.link_scores(X[:5]), emb.link_scores(X[:5]))
