"""Tests of the TensorFlow engine: row-sparse updates, determinism, the loss."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed.sampling import NegativeSampler


@pytest.fixture(scope="module")
def sampler():
    X = sp.random(2000, 1500, density=0.005, format="csr", random_state=0, dtype=np.float32)
    X.data[:] = 1
    return NegativeSampler(X, batch_size=8, negative_ratio=2, min_count=1)


@pytest.mark.parametrize("negative_sampling", ["pair", "link"])
@pytest.mark.parametrize("optimizer", ["nadam", "adam", "adagrad", "rowwise_adagrad", "sgd"])
def test_a_step_updates_only_the_rows_it_touches(sampler, optimizer, negative_sampling,
                                                 make_trainer):
    trainer = make_trainer(sampler, embedding_size=6, loss="cosine_mse", optimizer=optimizer,
                           negative_sampling=negative_sampling)
    before = trainer.row_vectors(), trainer.link_vectors()
    batch = np.arange(8, dtype=np.int32)[None, :]
    trainer.train(batch, 0)
    after = trainer.row_vectors(), trainer.link_vectors()
    for old, new in zip(before, after):
        changed = np.flatnonzero((old != new).any(axis=1))
        assert 1 <= len(changed) <= 8 * 3  # 8 true pairs and 16 non-pairs
    if negative_sampling == "link":  # non-pairs keep their true pair's row
        assert len(np.flatnonzero((before[0] != after[0]).any(axis=1))) <= 8
    # the true pairs' rows and links are among the changed ones
    rows_changed = set(np.flatnonzero((before[0] != after[0]).any(axis=1)))
    assert set(sampler.pair_rows[:8].tolist()) <= rows_changed
    for slot in trainer.optimizer.slots.values():
        for variable in slot:
            state = variable.numpy().reshape(len(variable.numpy()), -1)
            assert np.count_nonzero(np.abs(state).sum(axis=1)) <= 8 * 3


def test_padding_of_the_last_batch_changes_nothing(sampler, make_trainer):
    trainer = make_trainer(sampler, embedding_size=6, loss="cosine_mse", optimizer="sgd",
                           learning_rate=0.1, seed=0)
    before = trainer.row_vectors()
    loss, weight = trainer.train(np.full((1, 8), -1, dtype=np.int32), 0)
    assert loss == weight == 0.0
    np.testing.assert_array_equal(trainer.row_vectors(), before)


def test_same_seed_and_schedule_give_the_same_bits(sampler, make_trainer):
    tables = []
    for _ in range(2):
        trainer = make_trainer(sampler, embedding_size=6, loss="logistic", optimizer="nadam",
                               learning_rate=0.05, seed=3)
        batches = trainer.epoch_batches(np.random.RandomState(0))
        trainer.train(batches, 0)
        tables.append(trainer.link_vectors())
    np.testing.assert_array_equal(*tables)


def test_losses_at_the_start_are_the_notebooks():
    # Near-zero initial vectors: cosine ~ 0, so (0 - 1)^2 = (0 + 1)^2 = 1; logistic log 2.
    import tensorflow as tf

    from sklearn_linkembed._engine import pair_loss

    u = tf.constant([[1.0, 0.0], [1.0, 0.0]])
    v = tf.constant([[0.0, 1.0], [0.0, 1.0]])
    labels = tf.constant([1.0, -1.0])
    np.testing.assert_allclose(pair_loss(u, v, labels, "cosine_mse").numpy(), [1, 1])
    np.testing.assert_allclose(pair_loss(u, v, labels, "logistic").numpy(), [np.log(2)] * 2,
                               rtol=1e-6)
    np.testing.assert_allclose(pair_loss(u, u, labels, "cosine_mse").numpy(), [0, 4])


@pytest.mark.parametrize("sharing, batch_size", [(1, 12), (3, 10), (12, 12)])
def test_runs_of_true_pairs_share_their_negative_links(sharing, batch_size, make_trainer):
    # A link step changes only the true pairs' links and the runs' negative links:
    # ceil(batch / sharing) runs of k links each.
    X = sp.random(3000, 2000, density=0.004, format="csr", random_state=1, dtype=np.float32)
    X.data[:] = 1
    k = 4
    sampler = NegativeSampler(X, batch_size=batch_size, negative_ratio=k, min_count=1,
                              negative_sampling="link")
    trainer = make_trainer(sampler, embedding_size=6, loss="cosine_mse", optimizer="sgd",
                           learning_rate=0.1, seed=0, negative_sharing=sharing)
    before = trainer.link_vectors()
    batch = np.arange(batch_size, dtype=np.int32)[None, :]
    loss, weight = trainer.train(batch, 0)
    changed = set(np.flatnonzero((before != trainer.link_vectors()).any(axis=1)).tolist())
    positives = set(sampler.pair_links[:batch_size].tolist())
    negatives = changed - positives
    runs = -(-batch_size // sharing)
    assert positives <= changed
    assert 0 < len(negatives) <= runs * k
    if sharing == 1:  # independent draws: nearly every negative link is a different one
        assert len(negatives) > runs * k // 2
    # Every true pair has its k negatives in the loss, but for the rare negative
    # that is a true pair of the row (masked: here the first pairs share a row).
    assert batch_size * (1 + k) - 2 * sharing <= weight <= batch_size * (1 + k)
    assert np.isfinite(loss)


def test_numpy_and_tensorflow_hash_pair_keys_alike():
    # The engine's in-graph bitmap lookup must address the bits Pairs.bitmap set.
    import tensorflow as tf

    from sklearn_linkembed._engine import fibonacci_hash as tf_hash
    from sklearn_linkembed._pairs import fibonacci_hash

    rng = np.random.RandomState(0)
    keys = np.r_[0, 1, 2**62 - 1, 2**63 - 1, rng.randint(0, 2**62, size=10_000, dtype=np.int64)]
    for bits in (1, 20, 33, 40, 63):
        expected = fibonacci_hash(keys, bits)
        assert expected.min() >= 0 and expected.max() < 2**bits
        np.testing.assert_array_equal(tf_hash(tf.constant(keys), bits).numpy(), expected)


@pytest.mark.parametrize("hashed", [False, True])
def test_compiled_pair_mask_flags_exactly_the_bitmaps_pairs(hashed, make_trainer, monkeypatch):
    """The engine's XLA mask of (row, negative link) cells reads the bits Pairs.bitmap set:
    every true pair is masked, and a non-pair only where its bit is a true pair's."""
    import tensorflow as tf

    from sklearn_linkembed import _pairs

    if hashed:  # a graph this small gets a bit per cell unless told otherwise
        monkeypatch.setattr(_pairs, "_SMALL_BITMAP_BITS", 0)
        monkeypatch.setattr(_pairs, "_MAX_BITMAP_BITS_PER_PAIR", 1)
    X = sp.random(300, 200, density=0.05, format="csr", random_state=1, dtype=np.float32)
    X.data[:] = 1
    sampler = NegativeSampler(X, batch_size=8, negative_ratio=3, min_count=1)
    trainer = make_trainer(sampler, negative_sampling="link")
    assert (trainer._hash_bits is not None) == hashed
    words = sampler.pair_bitmap().view(np.uint32)
    rng = np.random.RandomState(0)
    rows = np.r_[sampler.pair_rows[:50], rng.randint(0, sampler.n_rows, 50)].astype(np.int32)
    links = np.c_[sampler.pair_links[:50].tolist() + [0] * 50,
                  rng.randint(0, sampler.n_links, (100, 4))].astype(np.int32)
    mask = trainer._not_pairs(tf.constant(rows[:, None]), tf.constant(links)).numpy()
    index = sampler.bitmap_index(rows[:, None].astype(np.int64) * sampler.n_links + links)
    expected = 1 - ((words[index >> 5] >> (index & 31).astype(np.uint32)) & 1)
    np.testing.assert_array_equal(mask, expected)
    assert mask.shape == (100, 5) and not mask[:50, 0].any()  # true pairs are masked
    pairs = sampler.is_pair(np.repeat(rows, 5), links.ravel()).reshape(100, 5)
    assert (mask[pairs] == 0).all() and mask[~pairs].mean() > 0.9
    if not hashed:
        np.testing.assert_array_equal(mask, ~pairs)


def test_final_tables_are_the_trained_ones_and_free_the_engine(sampler, make_trainer,
                                                                 monkeypatch):
    """fit's memory peak: the link tables are copied out only once the row table, the
    optimizer state and the constants are gone (and nothing keeps them alive)."""
    import weakref

    from sklearn_linkembed import _engine

    monkeypatch.setattr(_engine, "_COLLECT_ABOVE_BYTES", 0)  # collect even these small tables
    trainer = make_trainer(sampler, embedding_size=6, loss="logistic", optimizer="adagrad",
                           negative_sampling="link", link_context=1.0)
    trainer.train(trainer.epoch_batches(np.random.RandomState(0))[:3], 0)
    expected = trainer.link_vectors(), trainer.output_vectors()
    assert not np.array_equal(*expected)  # two tables
    held = [trainer.row_table, trainer.link_table, trainer.output_table,
            *(v for slots in trainer.optimizer.slots.values() for v in slots)]
    refs = [weakref.ref(variable) for variable in held]
    del held
    links, output = trainer.final_tables()
    np.testing.assert_array_equal(links, expected[0])
    np.testing.assert_array_equal(output, expected[1])
    assert [ref() for ref in refs] == [None] * len(refs)
    trainer.release()  # a second release does nothing


def test_epoch_order_is_random_states_permutation(sampler, make_trainer):
    """The in-place int32 shuffle draws what ``permutation`` draws: same schedules as before."""
    trainer = make_trainer(sampler)
    batches = trainer.epoch_batches(np.random.RandomState(7))
    assert batches.dtype == np.int32
    n = sampler.n_pairs
    np.testing.assert_array_equal(batches.ravel()[:n], np.random.RandomState(7).permutation(n))
    assert (batches.ravel()[n:] == -1).all()


def test_many_fits_in_one_process_do_not_warn_of_retracing(caplog):
    """Fits of other graphs retrace the shared step once (relaxed shapes): no warning."""
    import logging

    from sklearn_linkembed import LinkEmbedder

    X = sp.random(60, 40, density=0.2, format="csr", random_state=0, dtype=np.float32)
    X.data[:] = 1
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(7):
            LinkEmbedder(embedding_size=4, epochs=1, min_count=1, random_state=seed).fit(X)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def _train_engines(graphs, make_trainer, own_trace=False):
    """Each graph's engine after two calls (the second shorter, as an epoch's last chunk).

    ``own_trace``: each engine traces its own step over its own attributes, as an
    engine with a method replaced on the instance does.
    """
    tables = []
    for seed, X in enumerate(graphs):
        graph_sampler = NegativeSampler(X, batch_size=32, negative_ratio=3, min_count=1,
                                        negative_sampling="link")
        trainer = make_trainer(graph_sampler, embedding_size=5, loss="logistic",
                               optimizer="rowwise_adagrad", negative_sharing=2,
                               link_context=1.0, learning_rate=0.05 * (seed + 1), seed=seed)
        if own_trace:
            trainer._apply = trainer._apply
        batches = trainer.epoch_batches(np.random.RandomState(seed))
        trainer.train(batches[:3], 0)
        trainer.train(batches[3:4], 3)
        tables.append((trainer.row_vectors(), trainer.link_vectors(), trainer.output_vectors()))
    return tables


def test_engines_of_one_layout_share_a_trace_and_train_as_if_alone(make_trainer, monkeypatch):
    """Tables, constants, sizes, seed and learning rate are arguments of the step, traced
    once with stand-ins: engines of other graphs reuse it, and train bit for bit as each
    engine's own trace of its own attributes does."""
    import collections

    from sklearn_linkembed import _engine
    from tests.conftest import random_graph

    graphs = [random_graph(n, 300, 0.02, seed) for seed, n in enumerate([200, 260, 230, 310])]
    monkeypatch.setattr(_engine, "_SHARED_STEPS", collections.OrderedDict())
    shared = _train_engines(graphs, make_trainer)
    (function,) = _engine._SHARED_STEPS.values()
    assert function.experimental_get_tracing_count() == 1
    alone = _train_engines(graphs, make_trainer, own_trace=True)
    assert list(_engine._SHARED_STEPS.values()) == [function]
    for engine_shared, engine_alone in zip(shared, alone, strict=True):
        for table_shared, table_alone in zip(engine_shared, engine_alone, strict=True):
            np.testing.assert_array_equal(table_shared, table_alone)
    assert not np.array_equal(shared[0][1][:5], shared[1][1][:5])  # they did differ


def test_a_shared_trace_holds_no_engine(sampler, make_trainer, monkeypatch):
    """The kept traced step must not keep the engine that traced it alive."""
    import collections
    import gc
    import weakref

    from sklearn_linkembed import _engine

    monkeypatch.setattr(_engine, "_SHARED_STEPS", collections.OrderedDict())
    trainer = make_trainer(sampler, embedding_size=6, optimizer="nadam", seed=11)
    trainer.train(trainer.epoch_batches(np.random.RandomState(0))[:2], 0)
    assert len(_engine._SHARED_STEPS) == 1
    held = [weakref.ref(trainer), weakref.ref(trainer.row_table),
            weakref.ref(trainer.link_table)]
    del trainer  # not released: nothing but the caller may hold it
    gc.collect()
    assert [ref() for ref in held] == [None, None, None]
    assert len(_engine._SHARED_STEPS) == 1


def test_an_engines_memory_leaves_with_it(make_trainer, monkeypatch):
    """A trace keeps the buffers of the variables it was traced with for as long as the
    function lives. The shared step is traced with stand-ins: the engine that made it
    takes its tables' memory with it."""
    import collections
    import gc
    from pathlib import Path

    from sklearn_linkembed import _engine
    from tests.conftest import random_graph

    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("reads the resident memory from Linux's /proc")

    def resident_mib():
        line = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS"))
        return int(line.split()[1]) / 1024

    n_rows, d = 100_000, 128  # a 49 MiB row table
    graph_sampler = NegativeSampler(random_graph(n_rows, 40, 0.05, 0), batch_size=64,
                                    negative_ratio=2, min_count=1)
    monkeypatch.setattr(_engine, "_SHARED_STEPS", collections.OrderedDict())  # it traces
    trainer = make_trainer(graph_sampler, embedding_size=d, optimizer="sgd", seed=13)
    trainer.train(trainer.epoch_batches(np.random.RandomState(0))[:2], 0)
    gc.collect()
    trained = resident_mib()
    del trainer
    gc.collect()
    assert len(_engine._SHARED_STEPS) == 1
    assert trained - resident_mib() > 0.9 * n_rows * d * 4 / 2**20


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rowwise_adagrad", "nadam"])
@pytest.mark.parametrize("link_context", [0.0, 1.0])
def test_state_bytes_are_counted_without_reading_the_variables(sampler, make_trainer,
                                                               optimizer, link_context):
    """After a sparse update, reading a variable (even for its size) copies it whole, so
    the engine counts its tables and optimizer state as it makes them."""
    trainer = make_trainer(sampler, embedding_size=6, optimizer=optimizer,
                           negative_sampling="link", link_context=link_context)
    tables = {t.ref(): t for t in (trainer.row_table, trainer.link_table, trainer.output_table)}
    variables = [*tables.values(), *(v for slots in trainer.optimizer.slots.values()
                                     for v in slots)]
    assert trainer.state_bytes() == sum(v.numpy().nbytes for v in variables)
    assert trainer.table_floats * 4 == sum(t.numpy().nbytes for t in tables.values())


def test_an_engine_with_a_replaced_method_traces_its_own_step(sampler, make_trainer):
    """The benchmarks' ablations replace a method on one engine: it must take effect
    there and reach neither the shared traces nor other engines."""
    import types

    from sklearn_linkembed import _engine

    kept = dict(_engine._SHARED_STEPS)
    trainer = make_trainer(sampler, embedding_size=6, seed=12)
    trainer._apply = types.MethodType(lambda self, ctx, table, index, grad: None, trainer)
    before = trainer.link_vectors()
    trainer.train(trainer.epoch_batches(np.random.RandomState(0))[:2], 0)
    np.testing.assert_array_equal(trainer.link_vectors(), before)  # no update: the patch ran
    assert dict(_engine._SHARED_STEPS) == kept
    other = make_trainer(sampler, embedding_size=6, seed=12)
    other.train(other.epoch_batches(np.random.RandomState(0))[:2], 0)
    assert not np.array_equal(other.link_vectors(), before)


def test_large_constants_are_shared_with_tensorflow_not_copied(sampler, make_trainer,
                                                              monkeypatch):
    """The pairs' links and bitmap are most of a fit's memory past the tables: on CPU the
    engine reads numpy's buffers (aligned copies of unaligned ones), with the same results."""
    from sklearn_linkembed import _engine
    from sklearn_linkembed._utils import ALIGNMENT, aligned_copy

    def trained(share_above):
        monkeypatch.setattr(_engine, "_SHARE_ABOVE_BYTES", share_above)
        trainer = make_trainer(sampler, embedding_size=6, loss="logistic", optimizer="adagrad",
                               negative_sampling="link", link_context=1.0, seed=1)
        trainer.train(trainer.epoch_batches(np.random.RandomState(0)), 0)
        return trainer

    shared = trained(0)
    aligned = aligned_copy(np.arange(1000, dtype=np.int32))
    assert aligned.ctypes.data % ALIGNMENT == 0
    tensor = shared._constant(aligned)
    aligned[5] = -1  # the tensor reads the array's own memory
    assert int(tensor[5]) == -1
    unaligned = np.arange(1001, dtype=np.int32)[1:]  # 4 bytes into its buffer
    readonly = np.arange(1000, dtype=np.int32)
    readonly.flags.writeable = False
    for array in (unaligned, readonly, np.arange(2000, dtype=np.int32)[::2]):
        tensor = shared._constant(array)
        np.testing.assert_array_equal(tensor.numpy(), array)
    copied = trained(np.inf)
    np.testing.assert_array_equal(shared.link_vectors(), copied.link_vectors())
    np.testing.assert_array_equal(shared.output_vectors(), copied.output_vectors())


def test_aligned_buffers_and_the_unigram_table_built_in_place():
    from sklearn_linkembed._pairs import _unigram_table
    from sklearn_linkembed._utils import ALIGNMENT, aligned_zeros

    for n in (0, 1, 7, 1000):
        a = aligned_zeros(n, np.uint32)
        assert a.shape == (n,) and a.dtype == np.uint32 and not a.any()
        assert n == 0 or a.ctypes.data % ALIGNMENT == 0
    p = np.r_[0.0, 0.5, 0.0, 0.0, 0.3, 0.2, 0.0]  # empty links first, between and last
    table = _unigram_table(p, 10)
    np.testing.assert_array_equal(table, [1, 1, 1, 1, 1, 4, 4, 4, 5, 5])
    assert table.dtype == np.int32 and table.ctypes.data % ALIGNMENT == 0


def test_merge_and_block_updates_give_tensorflows_fused_kernels_bits():
    """The XLA merge equals ``unsorted_segment_sum`` of the parts concatenated, and the
    block Adagrad and SGD updates equal TensorFlow's fused row-sparse kernels, bit for bit."""
    import tensorflow as tf

    from sklearn_linkembed import _engine

    rng = np.random.default_rng(0)
    parts = [rng.normal(size=(n, 7)).astype(np.float32) for n in (30, 50)]
    index = tf.constant(rng.integers(0, 12, size=80).astype(np.int32))  # many repeats
    unique, position = tf.unique(index)
    merged = _engine._merge_rows(position, *parts)[:tf.size(unique)].numpy()
    expected = tf.math.unsorted_segment_sum(np.concatenate(parts), position, tf.size(unique))
    np.testing.assert_array_equal(merged, expected.numpy())
    assert np.abs(merged).min() > 0 and len(merged) == len(np.unique(index))

    start = rng.normal(size=(12, 7)).astype(np.float32)
    for name in ["adagrad", "sgd"]:
        optimizer = _engine._LazyOptimizer(name, 0.25)
        table = optimizer.track(tf.Variable(start), *start.shape)
        fused, fused_state = tf.Variable(start), tf.Variable(np.zeros_like(start))
        for _ in range(3):  # the state matters from the second step
            optimizer.apply(table, unique, merged, *optimizer.slots[table.ref()])
            if name == "adagrad":
                tf.raw_ops.ResourceSparseApplyAdagradV2(
                    var=fused.handle, accum=fused_state.handle, lr=0.25,
                    epsilon=_engine._EPSILON, grad=merged, indices=unique)
            else:
                fused.scatter_sub(tf.IndexedSlices(0.25 * merged, unique))
        np.testing.assert_array_equal(table.numpy(), fused.numpy())
        assert not np.array_equal(table.numpy(), start)


@pytest.mark.parametrize("n, d, block", [(7, 3, 6), (1000, 5, 1 << 20), (33, 4, 40)])
def test_initial_tables_are_tensorflows_uniform_draws_bit_for_bit(n, d, block, monkeypatch):
    """Tables scaled in place, a block at a time, equal ``tf.random.stateless_uniform``."""
    import tensorflow as tf

    from sklearn_linkembed import _engine

    monkeypatch.setattr(_engine, "_INIT_BLOCK", block)  # several blocks, one, a partial one
    monkeypatch.setattr(_engine, "_INIT_IN_PLACE_ABOVE_BYTES", 0)  # even tables this small
    for seed in ([3, 1], [2**31 - 2, 7]):
        table = _engine._initial_table(n, d, seed, "t")
        expected = tf.random.stateless_uniform([n, d], seed, minval=-0.05, maxval=0.05)
        np.testing.assert_array_equal(table.numpy(), expected.numpy())
        plain = _engine._initial_table(n, d, seed, "t", in_place=False)
        np.testing.assert_array_equal(plain.numpy(), expected.numpy())
    assert np.abs(table.numpy()).max() <= 0.05 and table.numpy().std() > 0.02


def test_rowwise_adagrad_keeps_one_accumulator_per_row():
    """Row-wise Adagrad: a row's accumulator sums the mean square of its gradients, and
    its step is the gradient over the accumulator's root, whole rows at a time."""
    import tensorflow as tf

    from sklearn_linkembed import _engine

    rng = np.random.default_rng(1)
    start = rng.normal(size=(6, 4)).astype(np.float32)
    optimizer = _engine._LazyOptimizer("rowwise_adagrad", 0.5)
    table = optimizer.track(tf.Variable(start), *start.shape)
    (accum,) = optimizer.slots[table.ref()]
    assert accum.numpy().shape == (6,)
    expected, expected_accum = start.astype(np.float64), np.zeros(6)
    for rows in ([0, 3], [3, 5], [3]):
        grad = rng.normal(size=(len(rows), 4)).astype(np.float32)
        optimizer.apply(table, tf.constant(rows), tf.constant(grad), accum)
        expected_accum[rows] += (grad.astype(np.float64) ** 2).mean(axis=1)
        expected[rows] -= 0.5 * grad / (np.sqrt(expected_accum[rows])[:, None] + 1e-7)
    np.testing.assert_allclose(accum.numpy(), expected_accum, rtol=1e-6)
    np.testing.assert_allclose(table.numpy(), expected, rtol=1e-5, atol=1e-6)
    untouched = [1, 2, 4]
    np.testing.assert_array_equal(table.numpy()[untouched], start[untouched])
    assert not accum.numpy()[untouched].any()
    # The first step of a row moves it by lr * grad / rms(grad): a step of length lr * sqrt(d).
    first = optimizer.track(tf.Variable(start), *start.shape)
    grad = rng.normal(size=(1, 4)).astype(np.float32)
    optimizer.apply(first, tf.constant([2]), tf.constant(grad), *optimizer.slots[first.ref()])
    np.testing.assert_allclose(np.linalg.norm(start[2] - first.numpy()[2]), 0.5 * 2, rtol=1e-5)


@pytest.mark.parametrize("sharing, batch_size", [(4, 12), (3, 10), (1, 5)])
def test_written_out_context_gradients_match_the_tape(sharing, batch_size, make_trainer):
    """The link-context step's hand-written gradients are those of its loss, taped."""
    import tensorflow as tf

    X = sp.random(300, 200, density=0.05, format="csr", random_state=2, dtype=np.float32)
    X.data[:] = 1
    k, d = 3, 5
    sampler = NegativeSampler(X, batch_size=batch_size, negative_ratio=k, min_count=1,
                              negative_sampling="link")
    trainer = make_trainer(sampler, embedding_size=d, loss="logistic", optimizer="adagrad",
                           learning_rate=0.1, seed=0, negative_sharing=sharing,
                           link_context=0.5)
    groups = -(-batch_size // sharing)
    rng = np.random.default_rng(0)
    u, c, v_pos = (tf.constant(rng.normal(size=(batch_size, d)), tf.float32) for _ in range(3))
    v_neg = tf.constant(rng.normal(size=(groups * k, d)), tf.float32)
    pos_w = tf.constant(rng.integers(0, 2, batch_size), tf.float32)
    neg_w = tf.constant(rng.integers(0, 2, (batch_size, k)), tf.float32)
    ctx_w = tf.constant(0.5 * rng.integers(0, 2, batch_size), tf.float32)

    def loss_of(u, c, v_pos, v_neg):  # the loss as the model defines it, one cell at a time
        group = np.arange(batch_size) // sharing
        v_cells = tf.gather(tf.reshape(v_neg, [groups, k, d]), group)  # (batch, k, d)

        def term(x):
            pos = tf.math.softplus(-tf.reduce_sum(x * v_pos, 1)) * pos_w
            neg = tf.math.softplus(tf.einsum("bd,bkd->bk", x, v_cells)) * neg_w
            return pos + tf.reduce_sum(neg, 1)

        return tf.reduce_sum(term(u)) + tf.reduce_sum(ctx_w * term(c))

    with tf.GradientTape() as tape:
        tape.watch([u, c, v_pos, v_neg])
        expected_loss = loss_of(u, c, v_pos, v_neg)
    expected = tape.gradient(expected_loss, [u, c, v_pos, v_neg])
    loss, *grads = trainer._context_loss_and_gradients(u, c, v_pos, v_neg, pos_w, neg_w, ctx_w)
    np.testing.assert_allclose(loss.numpy(), expected_loss.numpy(), rtol=1e-5)
    for got, want in zip(grads, expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
        assert np.abs(want.numpy()).max() > 0.1
