"""Property-based tests over random small graphs and parameters (hypothesis).

Each LinkEmbedder example fits once or twice (a fit costs ~0.4 s of TensorFlow tracing) and
checks several properties on the result; the sampler examples need no TensorFlow.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# _engine imports TensorFlow now, not inside a hypothesis example (it changes the
# recursion limit, which hypothesis warns about).
from sklearn_linkembed import LinkEmbedder, NegativeSampler, _engine  # noqa: F401

# No example database: nothing is written into the working tree.
FEW = settings(max_examples=12, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MANY = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# str and int names (no bools: True == 1 would merge keys)
LINK = st.sampled_from(["a", "b", "c", "d", "e", "Amélie", 7, 8])
LINK_LISTS = st.lists(st.lists(LINK, max_size=6), min_size=1, max_size=10)


@st.composite
def matrices(draw, max_rows=10, max_links=8):
    """A weighted rows x links matrix, dense or sparse, and its dense float64 twin."""
    shape = (draw(st.integers(1, max_rows)), draw(st.integers(1, max_links)))
    mask = draw(arrays(np.bool_, shape))
    weights = draw(arrays(np.float64, shape, elements=st.floats(0.125, 8.0, width=32)))
    dense = np.where(mask, weights, 0.0)
    form = draw(st.sampled_from(["dense", "csr", "csc", "coo"]))
    return (dense if form == "dense" else sp.coo_matrix(dense).asformat(form)), dense


PARAMS = st.fixed_dictionaries({
    "embedding_size": st.integers(2, 6),  # 1-D: two links can cancel exactly
    "negative_ratio": st.integers(1, 4),
    "batch_size": st.integers(1, 16),
    "epochs": st.integers(1, 2),
    "loss": st.sampled_from(["cosine_mse", "logistic"]),
    "optimizer": st.sampled_from(["nadam", "adam", "adagrad", "rowwise_adagrad", "sgd"]),
    "negative_power": st.sampled_from([0.0, 0.75]),
    "min_count": st.integers(1, 2),
    "normalize": st.booleans(),
    "fold_in_steps": st.integers(0, 3),
    "random_state": st.integers(0, 2**31 - 1),
})


def _incidence(links, min_count):
    """Independent reference: the 0/1 rows x kept-links matrix of link lists."""
    vocabulary = list(dict.fromkeys(link for row in links for link in row))
    full = np.zeros((len(links), len(vocabulary)), dtype=bool)
    for i, row in enumerate(links):
        for link in row:
            full[i, vocabulary.index(link)] = True
    kept = full.sum(axis=0) >= min_count
    return full[:, kept], [k for k, keep in zip(vocabulary, kept) if keep]


def _is_trainable(incidence):
    return 0 < incidence.sum() < incidence.size


def _check_outputs(out, n_rows, params, known):
    """Shape, dtype, finiteness; unit norm for rows with known links, zero for the others."""
    assert out.shape == (n_rows, params["embedding_size"]) and out.dtype == np.float32
    assert np.isfinite(out).all()
    norms = np.linalg.norm(out.astype(np.float64), axis=1)
    assert (norms[~known] == 0).all()
    if params["normalize"]:
        np.testing.assert_allclose(norms[known], 1.0, rtol=1e-5)
    else:
        assert (norms[known] > 0).all()


@FEW
@given(links=LINK_LISTS, params=PARAMS, data=st.data())
def test_link_lists_fit_transform_seed_and_row_permutation(links, params, data):
    incidence, kept = _incidence(links, params["min_count"])
    if not _is_trainable(incidence):
        # no pair left, or no non-pair: refused before training
        with pytest.raises(ValueError, match="min_count|complete"):
            LinkEmbedder(**params).fit(links)
        return
    emb = LinkEmbedder(**params).fit(links)
    again = LinkEmbedder(**params).fit(links)
    assert emb.links_ == kept
    np.testing.assert_array_equal(emb.link_counts_, incidence.sum(axis=0))
    # the same seed gives the same model, bit for bit
    np.testing.assert_array_equal(emb.link_vectors_.vectors, again.link_vectors_.vectors)
    np.testing.assert_array_equal(emb.row_vectors_.vectors, again.row_vectors_.vectors)
    assert emb.loss_curve_ == again.loss_curve_ and np.isfinite(emb.loss_curve_).all()

    out = emb.transform(links)
    _check_outputs(out, len(links), params, incidence.any(axis=1))
    np.testing.assert_array_equal(out, emb.row_vectors_.vectors)
    # permuting rows permutes the output; shuffling or repeating links in a row changes nothing
    perm = np.array(data.draw(st.permutations(range(len(links))), label="perm"), dtype=int)
    shuffled = [data.draw(st.permutations(links[i]), label="row") + links[i][:1] for i in perm]
    np.testing.assert_array_equal(emb.transform(shuffled), out[perm])


@settings(FEW, max_examples=10)
@given(X=matrices(), params=PARAMS, data=st.data())
def test_matrices_fit_transform_and_row_permutation(X, params, data):
    X, dense = X
    incidence = dense > 0
    kept = incidence.sum(axis=0) >= params["min_count"]
    incidence = incidence[:, kept]
    assume(_is_trainable(incidence))  # refusals are checked on link lists above
    emb = LinkEmbedder(**params).fit(X)
    assert emb.n_features_in_ == dense.shape[1]
    assert emb.links_ == np.flatnonzero(kept).tolist()
    out = emb.transform(X)
    _check_outputs(out, dense.shape[0], params, incidence.any(axis=1))
    perm = np.array(data.draw(st.permutations(range(dense.shape[0])), label="perm"), dtype=int)
    np.testing.assert_array_equal(emb.transform(dense[perm]), out[perm])
    np.testing.assert_array_equal(emb.transform(sp.csr_matrix(dense)[perm]), out[perm])


def _true_pairs(sampler):
    return set(zip(sampler.pair_rows.tolist(), sampler.pair_links.tolist()))


@MANY
@given(X=matrices(max_rows=12, max_links=10), batch_size=st.integers(1, 20),
       negative_ratio=st.integers(0, 6), negative_power=st.sampled_from([0.0, 0.75]),
       seed=st.integers(0, 2**32 - 1))
def test_sampler_batches_hold_every_pair_once_and_no_true_pair_as_negative(
        X, batch_size, negative_ratio, negative_power, seed):
    X, dense = X
    incidence = (dense > 0)[:, (dense > 0).any(axis=0)]
    assume(incidence.any() and (negative_ratio == 0 or not incidence.all()))
    sampler = NegativeSampler(X, batch_size=batch_size, negative_ratio=negative_ratio,
                              negative_power=negative_power, min_count=1, negative_label=-1.0,
                              random_state=seed)
    truth = set(zip(*np.nonzero(incidence)))
    assert _true_pairs(sampler) == {(int(r), int(c)) for r, c in truth}
    positives = []
    for rows, links, labels in sampler.batches(epochs=1):
        n_pos = int((labels == 1).sum())
        assert 1 <= n_pos <= batch_size
        assert (labels[:n_pos] == 1).all() and (labels[n_pos:] == -1).all()
        assert len(labels) - n_pos == negative_ratio * n_pos  # the ratio is exact
        positives += list(zip(rows[:n_pos].tolist(), links[:n_pos].tolist()))
        negatives = set(zip(rows[n_pos:].tolist(), links[n_pos:].tolist()))
        assert not negatives & truth
    assert sorted(positives) == sorted(_true_pairs(sampler))  # every pair once per epoch


@MANY
@given(links=LINK_LISTS, n=st.integers(0, 300), negative_power=st.sampled_from([0.0, 0.75]),
       min_count=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_draw_negatives_never_returns_a_true_pair(links, n, negative_power, min_count, seed):
    incidence, kept = _incidence(links, min_count)
    assume(_is_trainable(incidence))
    sampler = NegativeSampler(links, negative_power=negative_power, min_count=min_count)
    assert sampler.link_keys == kept
    rows, links_drawn = sampler.draw_negatives(n, random_state=seed)
    assert rows.shape == links_drawn.shape == (n,)
    assert ((rows >= 0) & (rows < incidence.shape[0])).all()
    assert ((links_drawn >= 0) & (links_drawn < incidence.shape[1])).all()
    assert not incidence[rows, links_drawn].any()
