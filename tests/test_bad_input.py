"""Bad input gets a clear error, raised before any training (the table of docs/bad_input.rst).

Each rejected input is checked with ``no_training``: ``Trainer.__init__`` fails if reached, so
an error that only comes after TensorFlow started training fails the test. Cases already
covered elsewhere are not repeated here:

* tests/test_embedder.py: bad parameters (embedding_size=0, negative_ratio=-1, epochs=0,
  loss, optimizer, learning_rate), a string X or row, int rows, nested links, ``[]``, no
  links left after min_count, negative and NaN dense matrices, n_features_in_ mismatch,
  link lists after a matrix, linkless rows at transform, LinkEmbedder.load of a
  KeyedVectors archive;
* tests/test_sampling.py: NegativeSampler on a complete graph and with no pairs left;
* tests/test_keyedvectors.py: unknown keys (KeyError with suggestions), restrict_to;
* tests/test_persistence.py: load_archive of truncated, corrupt, foreign, newer files and
  pickled payloads (KeyedVectors.load included);
* tests/test_datasets.py: make_bipartite_graph's argument errors.
"""

import json
import math
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_linkembed import KeyedVectors, LinkEmbedder, NegativeSampler, _pairs
from sklearn_linkembed._persistence import FORMAT_VERSION, load_archive

pd = pytest.importorskip("pandas")

TINY = {"embedding_size": 4, "epochs": 1, "batch_size": 64, "random_state": 0}
FILMS = [["Harrison Ford", "George Lucas", "space"],
         ["Harrison Ford", "Steven Spielberg", "adventure"],
         ["Mark Hamill", "George Lucas", "space"],
         ["Steven Spielberg", "adventure", "shark"],
         ["Harrison Ford", "adventure", "space"]]


@pytest.fixture
def no_training(monkeypatch):
    """Make reaching the TensorFlow trainer an error: bad input must be refused before."""
    from sklearn_linkembed import _engine

    def refuse(self, *args, **kwargs):
        raise AssertionError("training started before the bad input was refused")

    monkeypatch.setattr(_engine.Trainer, "__init__", refuse)


@pytest.fixture(scope="module")
def lists_model():
    return LinkEmbedder(**TINY, min_count=1).fit(FILMS)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    return pd.DataFrame((rng.rand(30, 5) < 0.4) * 1.0, columns=list("abcde"))


@pytest.fixture(scope="module")
def frame_model(frame):
    return LinkEmbedder(**TINY).fit(frame)


def _sparse(rows):
    return sp.csr_matrix(np.array(rows, dtype=np.float64))


_X = np.abs(np.random.RandomState(0).randn(8, 4)) + 0.1
_HUGE = _X.copy()
_HUGE[0, 0] = 1e300  # finite in float64, inf in float32

# (X, fit kwargs, error type, message pattern): each names X (or X[i]) and what is accepted.
FIT_ERRORS = {
    # empty X
    "0-row array": (np.empty((0, 4)), {}, ValueError, r"0 sample\(s\).*minimum of 1"),
    "0-row sparse": (sp.csr_matrix((0, 4)), {}, ValueError, r"0 sample\(s\)"),
    "0-column array": (np.empty((5, 0)), {}, ValueError, r"0 feature\(s\)"),
    "empty Series": (pd.Series([], dtype=object), {}, ValueError, "X has 0 rows"),
    "empty generator": ((row for row in []), {}, ValueError, "X has 0 rows"),
    # no links left after min_count
    "rows without links": ([[], [], []], {}, ValueError, "no .* pairs left after min_count=3"),
    "all-zero matrix": (np.zeros((4, 4)), {}, ValueError, "min_count=3"),
    "links below min_count": (np.eye(4), {"min_count": 2}, ValueError, "min_count=2"),
    # NaN or inf
    "inf in matrix": (np.where(_X > 1, np.inf, _X), {}, ValueError, "infinity"),
    "NaN in sparse": (_sparse([[1, np.nan], [0, 1]]), {}, ValueError, "NaN"),
    "weight overflowing float32": (_HUGE, {}, ValueError, "too large for float32.*at most"),
    "NaN link": ([["a", math.nan], ["a"], ["a"]], {}, ValueError,
                 r"X\[0\] holds the link nan, a missing value"),
    "None link": ([["a"], ["a", None], ["a"]], {}, ValueError, r"X\[1\] .* None, NaN or inf"),
    "inf link": ([["a"], ["a"], [math.inf]], {"min_count": 1}, ValueError, r"X\[2\] .*inf"),
    # negative weights
    "negative in sparse": (_sparse([[1, -1], [0, 1]]), {}, ValueError, "Negative values"),
    # non-numeric matrices
    "2-D array of names": (np.array([["a", "b"], ["c", "d"]]), {}, ValueError,
                           r"non-numeric values.*link lists.*X\.tolist\(\)"),
    "DataFrame of names": (pd.DataFrame({"x": ["a", "b"], "y": [1, 2]}), {}, ValueError,
                           "non-numeric values"),
    "complex matrix": (np.ones((3, 3), dtype=complex), {}, ValueError, "Complex data"),
    # ragged or non-iterable
    "ragged float rows": ([[1.0, 0.0], [1.0]], {}, ValueError, "differ in length"),
    "X is None": (None, {}, TypeError, "X is None .* expected an iterable of link lists"),
    "X is an int": (5, {}, TypeError, "X is 5 of type int"),
    "dict value is a string": ({"film": "a b"}, {}, TypeError, r"X\[0\] is a string"),
    "row is None": ([["a"], None], {}, TypeError, r"X\[1\] is None .* Use \[\]"),
    "row is NaN (Series)": (pd.Series([["a"], math.nan]), {}, TypeError, r"X\[1\] is nan"),
    # a plain string is never split into characters
    "X is bytes": (b"Star Wars", {}, TypeError, "single string"),
    "1-D array of str": (np.array(["Star Wars", "Alien"]), {}, TypeError,
                         r"X\[0\] is a string \('Star Wars'\).*Wrap it in a list"),
    "Series of str": (pd.Series(["Star Wars", "Alien"]), {}, TypeError, r"X\[0\] is a string"),
    "row is a set of str (ok) then a str": ([{"a"}, "Alien"], {}, TypeError,
                                            r"X\[1\] is a string"),
    # so dense that no negative exists
    "complete graph": (np.ones((5, 4)), {}, ValueError, "complete.*no negative"),
    "single row": ([["a", "b", "c"]], {"min_count": 1}, ValueError, "complete"),
    "single row matrix": (np.array([[1.0, 2.0, 0.0]]), {"min_count": 1}, ValueError, "complete"),
    "every row has the only link": ([["a"], ["a"], ["a"]], {}, ValueError, "complete"),
    # duplicate Series index
    "duplicate row names": (pd.Series(FILMS[:2], index=["x", "x"]), {"min_count": 1}, ValueError,
                            "must be unique"),
}


@pytest.mark.parametrize("X, params, error, match", FIT_ERRORS.values(), ids=FIT_ERRORS.keys())
def test_fit_refuses_bad_input_before_training(no_training, X, params, error, match):
    emb = LinkEmbedder(**TINY, **params)
    with pytest.raises(error, match=match):
        emb.fit(X)
    assert not [k for k in vars(emb) if k.endswith("_")]


def test_fit_transform_refuses_like_fit(no_training):
    with pytest.raises(TypeError, match="single string"):
        LinkEmbedder(**TINY).fit_transform("Star Wars")


def test_too_dense_to_enumerate_is_refused(no_training, monkeypatch):
    """Above density 1/2 non-pairs are enumerated; past a size that is an error, not a hang."""
    monkeypatch.setattr(_pairs, "_MAX_CELLS_ENUMERATED", 10)
    X = np.ones((5, 4))
    X[0, 0] = 0
    with pytest.raises(ValueError, match=r"too dense .*density 0\.95 > 0\.5.*min_count"):
        LinkEmbedder(**TINY, min_count=1).fit(X)


# test_embedder checks that these name the parameter; here they also say what is accepted.
@pytest.mark.parametrize("params, match", [
    ({"batch_size": 0}, r"'batch_size' parameter .* int in the range \[1, inf\)"),
    ({"min_count": 0}, r"'min_count' .* \[1, inf\)"),
    ({"negative_power": -1.0}, r"'negative_power' .* float in the range \[0.0, inf\)"),
    ({"fold_in_steps": -1}, r"'fold_in_steps' .* \[0, inf\)"),
    ({"embedding_size": 2.5}, r"'embedding_size' .* int"),
    ({"normalize": "yes"}, r"'normalize' .* instance of 'bool'"),
    ({"random_state": "seed"}, r"'random_state' .* int in the range"),
    ({"loss": "hinge"}, r"'loss' .* str among \{.*'cosine_mse'.*\}"),
    ({"optimizer": "rmsprop"}, r"'optimizer' .* str among \{.*'nadam'.*\}"),
])
def test_parameters_out_of_range_name_what_is_accepted(no_training, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        LinkEmbedder(**params).fit(FILMS)


@pytest.mark.parametrize("X, params, error, match", [
    ("Star Wars", {}, TypeError, "single string"),
    ([["a"], 3], {}, TypeError, r"X\[1\] is 3"),
    (np.ones((5, 4)), {"batch_size": 0}, InvalidParameterError,
     r"'batch_size' parameter of NegativeSampler.__init__ must be an int"),
    (FILMS, {"negative_ratio": -1}, InvalidParameterError, r"'negative_ratio' .* \[0, inf\)"),
    (FILMS, {"negative_power": -0.5}, InvalidParameterError, "'negative_power'"),
    (FILMS, {"min_count": 0}, InvalidParameterError, "'min_count'"),
    (FILMS, {"negative_label": "minus one"}, InvalidParameterError, "'negative_label'"),
])
def test_negative_sampler_refuses_bad_input(X, params, error, match):
    with pytest.raises(error, match=match):
        NegativeSampler(X, **params)


def test_negative_sampler_without_negatives_accepts_a_complete_graph():
    sampler = NegativeSampler(np.ones((3, 2)), negative_ratio=0, min_count=1, random_state=0)
    (rows, _, labels), = sampler.batches()
    assert len(rows) == 6 and (labels == 1).all()


# --- transform --------------------------------------------------------------------------

@pytest.mark.parametrize("X, error, match", [
    (np.eye(3), TypeError, "fitted on link lists; transform expects link lists"),
    (None, TypeError, "X is None"),
    ("space", TypeError, "single string"),
    (np.array(["space"]), TypeError, r"X\[0\] is a string"),
    ([["space"], 3], TypeError, r"X\[1\] is 3"),
    ([["space", ["nested"]]], TypeError, "hashable"),
])
def test_transform_of_link_lists_refuses_bad_input(lists_model, X, error, match):
    with pytest.raises(error, match=match):
        lists_model.transform(X)


@pytest.mark.parametrize("change, error, match", [
    (lambda df: df.rename(columns={"a": "z"}), ValueError, "feature names should match"),
    (lambda df: df.iloc[:, :4].to_numpy(), ValueError, "4 features, but .* expecting 5"),
    (lambda df: df.iloc[:0], ValueError, r"0 sample\(s\)"),
    (lambda df: df * np.nan, ValueError, "NaN"),
    (lambda df: -df, ValueError, "Negative values"),
    (lambda df: df.astype(str) + " links", ValueError, "non-numeric"),
    (lambda df: df * 1e300, ValueError, "too large for float32"),
    (lambda df: df.iloc[0].to_numpy(), ValueError, "Expected 2D array, got 1D"),
])
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_transform_of_a_matrix_refuses_bad_input(frame_model, frame, change, error, match):
    with pytest.raises(error, match=match):
        frame_model.transform(change(frame))


def test_transform_of_an_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LinkEmbedder().transform(FILMS)


# --- documented behaviours --------------------------------------------------------------

def test_rows_without_known_links_get_zero_vectors_at_fit():
    """Rows with no links, or only links under min_count, are zero (never NaN) after fit."""
    X = FILMS + [[], ["only here"]]
    for normalize in (True, False):
        out = LinkEmbedder(**TINY, min_count=2, normalize=normalize).fit_transform(X)
        assert out.shape == (7, 4) and np.isfinite(out).all()
        assert not out[5:].any() and (np.linalg.norm(out[:5], axis=1) > 0).all()


def test_duplicate_links_in_a_row_count_once():
    with_duplicates = [row + row[:2] for row in FILMS]
    a = LinkEmbedder(**TINY, min_count=1).fit(with_duplicates)
    b = LinkEmbedder(**TINY, min_count=1).fit(FILMS)
    np.testing.assert_array_equal(a.link_counts_, b.link_counts_)
    np.testing.assert_array_equal(a.link_vectors_.vectors, b.link_vectors_.vectors)
    np.testing.assert_array_equal(a.transform(with_duplicates), b.transform(FILMS))


def test_sparse_duplicate_entries_are_summed_and_explicit_zeros_dropped():
    rows, cols = np.array([0, 1, 2, 3, 0, 4]), np.array([0, 1, 0, 1, 0, 0])
    coo = sp.coo_matrix((np.array([1.0, 1, 1, 1, 2, 0]), (rows, cols)), shape=(5, 2))
    summed = sp.csr_matrix(np.array([[3.0, 0], [0, 1], [1, 0], [0, 1], [0, 0]]))
    a = LinkEmbedder(**TINY, min_count=1).fit(coo)
    b = LinkEmbedder(**TINY, min_count=1).fit(summed)
    np.testing.assert_array_equal(a.link_counts_, [2, 2])
    np.testing.assert_array_equal(a.link_vectors_.vectors, b.link_vectors_.vectors)
    np.testing.assert_array_equal(a.transform(coo), b.transform(summed))
    assert not a.transform(coo)[4].any()


def test_a_single_link_graph_fits_when_a_row_lacks_it():
    emb = LinkEmbedder(**TINY, min_count=1).fit([["a"], ["a"], []])
    assert emb.links_ == ["a"]
    out = emb.transform([["a"], [], ["b"]])
    assert out.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(out[0]), 1, rtol=1e-6)
    assert not out[1:].any()


def test_transform_of_one_row_and_of_no_rows(lists_model):
    assert lists_model.transform([["space"]]).shape == (1, 4)
    assert lists_model.transform([]).shape == (0, 4)


def test_transform_ignores_missing_links_like_unknown_ones(lists_model):
    np.testing.assert_array_equal(lists_model.transform([["space", math.nan, None]]),
                                  lists_model.transform([["space"]]))


# --- neighbour queries ------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.most_similar("Alien"), KeyError, "'Alien' not present"),
    (lambda m: m.most_similar(0, negative=["Alien"]), KeyError, "'Alien'"),
    (lambda m: m.most_similar(0, restrict_to=[1, "Alien"]), KeyError, "'Alien'"),
    (lambda m: m.most_similar("space"), KeyError, "'space'"),  # a link, queried as a row
    (lambda m: m.most_similar("spcae", query="link"), KeyError, "closest known keys: 'space'"),
    (lambda m: m.most_similar(0, query="film"), ValueError, "query must be 'row' or 'link'"),
    (lambda m: m.most_similar([["space"]], query="link"), TypeError, "unhashable"),
    (lambda m: m.most_similar(0, topn="3"), TypeError, "topn must be an int"),
    (lambda m: m.link_vectors_["Alien"], KeyError, "'Alien' not present"),
    (lambda m: m.link_vectors_[["space", "Alien"]], KeyError, "'Alien'"),
    (lambda m: m.link_vectors_.most_similar(np.full(4, np.nan)), ValueError, "NaN"),
])
def test_unknown_keys_in_neighbour_queries(lists_model, call, error, match):
    with pytest.raises(error, match=match):
        call(lists_model)


def test_neighbour_query_of_an_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError):
        LinkEmbedder().most_similar("space")


# --- loading ----------------------------------------------------------------------------

class _CreatesMarker:
    """Unpickling this object creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def saved_files(lists_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    return {LinkEmbedder: lists_model.save(folder / "model.npz"),
            KeyedVectors: lists_model.link_vectors_.save(folder / "vectors.npz")}


def _rewrite(source, target, *, meta_changes=(), drop=(), **members):
    """Copy the archive ``source`` to ``target`` with members or metadata changed."""
    arrays, meta = load_archive(source)
    meta = {k: v for k, v in meta.items() if k not in drop}
    meta.update(meta_changes)
    arrays.update(members)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(target, "wb") as fh:
        np.savez(fh, **arrays)
    return target


@pytest.mark.parametrize("cls", [LinkEmbedder, KeyedVectors], ids=lambda c: c.__name__)
@pytest.mark.parametrize("damage, error, match", [
    ("truncated", ValueError, "truncated or corrupt"),
    ("flipped byte", ValueError, "truncated or corrupt"),
    ("empty", ValueError, "not an .npz.*empty"),
    ("text", ValueError, "not an .npz"),
    ("newer version", ValueError, f"format_version {FORMAT_VERSION + 1}, newer.*upgrade"),
    ("missing", FileNotFoundError, "No such file"),
])
def test_damaged_or_newer_files_are_refused(saved_files, tmp_path, cls, damage, error, match):
    source = saved_files[cls]
    path = tmp_path / "damaged.npz"
    with open(source, "rb") as fh:
        data = bytearray(fh.read())
    if damage == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif damage == "flipped byte":
        with zipfile.ZipFile(source) as archive:
            info = archive.getinfo(archive.namelist()[0])
        offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
        data[offset + info.file_size - 1] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "text":
        path.write_text("George Lucas 0.1 0.2\n")
    elif damage == "newer version":
        _rewrite(source, path, meta_changes={"format_version": FORMAT_VERSION + 1})
    with pytest.raises(error, match=match):
        cls.load(path)


@pytest.mark.parametrize("drop, changes, match", [
    (("params",), {}, "not a valid LinkEmbedder archive: missing or bad entry 'params'"),
    (("seed",), {}, "missing or bad entry 'seed'"),
    ((), {"params": {"embedding_size": 4, "evil": 1}}, "unexpected keyword argument 'evil'"),
])
def test_link_embedder_load_refuses_malformed_metadata(saved_files, tmp_path, drop, changes,
                                                       match):
    path = _rewrite(saved_files[LinkEmbedder], tmp_path / "bad.npz", drop=drop,
                    meta_changes=changes)
    with pytest.raises(ValueError, match=match):
        LinkEmbedder.load(path)


@pytest.mark.parametrize("member", ["row_vectors", "link_keys", "loss_curve"])
def test_link_embedder_load_never_runs_code_from_the_file(saved_files, tmp_path, member):
    """A LinkEmbedder archive smuggling a pickled object is refused; its payload never runs."""
    marker = tmp_path / "marker"
    payload = np.empty(1, dtype=object)
    payload[0] = _CreatesMarker(marker)
    path = _rewrite(saved_files[LinkEmbedder], tmp_path / "evil.npz", **{member: payload})
    with pytest.raises(ValueError, match="pickled Python objects, which are never loaded"):
        LinkEmbedder.load(path)
    assert not marker.exists()
