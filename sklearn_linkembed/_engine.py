"""The TensorFlow engine: embedding tables and a row-sparse training step.

This is the only module that imports TensorFlow. One call of the compiled
``_train_steps`` runs many steps of plain TensorFlow (no Keras ``fit``) under
any ``tf.distribute`` strategy:

* the traced function takes an engine's tables, optimizer state and graph
  constants as arguments and is traced with stand-ins, so engines of one
  layout (a grid search's fits) share one trace and TensorFlow's
  optimisation of it;
* true pairs come from a seeded permutation made by the caller, and each
  replica takes its slice of the global batch, so every worker sees the same
  schedule without an input pipeline;
* negatives are drawn inside the graph with stateless ops seeded by
  (random_state, step, replica), so results never depend on global seeds;
* gradients are taken with respect to the gathered rows only, duplicates are
  merged (``tf.unique`` and a segment sum compiled with XLA: TensorFlow's CPU
  scatter kernels are not bit-deterministic when indices repeat), gathered
  across replicas, and the touched rows of the tables and of the optimizer's
  state are gathered, updated as blocks and written back (lazy Adam/Nadam, as
  TF-Addons' LazyAdam);
* with a link-context term (``config.link_context``), each true pair also
  draws another link of its row in-graph, whose input vector predicts the
  pair's link against the same negatives (Doc2Vec's ``dbow_words``, item2vec):
  links then have an input and an output table, as word2vec's syn0 and syn1neg.
"""

import collections
import functools
import gc
import os
import threading

# oneDNN's caching allocator (on by default in TensorFlow's CPU builds) never hands
# memory back and kept 3x a table's size resident for its initialisation; the system
# allocator keeps 1x and frees it (benchmarks/bench_memory.py). Read when TensorFlow
# first allocates, so this works after `import tensorflow` too; a value the user set
# wins.
os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")

import numpy as np
import tensorflow as tf

from ._pairs import FIBONACCI_MULTIPLIER
from ._utils import ALIGNMENT, aligned_copy

__all__ = ["Trainer", "fibonacci_hash", "pair_loss"]


def _follow_thread_limit():
    """Size TensorFlow's thread pools from ``OMP_NUM_THREADS`` when it is set.

    joblib's process workers (``GridSearchCV(n_jobs=k)``) set it to
    ``cores // k``; TensorFlow ignores it and would start a pool per core in
    every worker. This only acts before TensorFlow's runtime starts and only
    when the user has not configured the pools.
    """
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if not limit.isdigit() or int(limit) < 1:
        return
    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() or threading.get_inter_op_parallelism_threads():
        return
    try:
        threading.set_intra_op_parallelism_threads(int(limit))
        threading.set_inter_op_parallelism_threads(int(limit))
    except RuntimeError:  # the runtime is already running: leave it as it is
        pass


_follow_thread_limit()

_INIT_SCALE = 0.05  # Keras' Embedding initialiser: uniform(-0.05, 0.05)
# Floats of a table scaled at once at initialisation: blocks of 4 MiB stay below
# glibc's largest mmap threshold, so their memory is reused from block to block
# (blocks of 25 MiB grew the resident memory by 75 MiB each; scratch measurement).
_INIT_BLOCK = 1 << 20
# Tables up to this size are drawn by TensorFlow's op directly: their three copies
# are small, and the blocks' eager operations cost more (films: 17 against 24 ms).
_INIT_IN_PLACE_ABOVE_BYTES = 16 * 2**20
# A full garbage collection takes tens of ms: worth it only to free large tables.
_COLLECT_ABOVE_BYTES = 64 * 2**20
_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-7
# Arrays smaller than this are copied into the graph: sharing saves nothing there.
_SHARE_ABOVE_BYTES = 2**20
# Traced training steps kept for later engines of the same layout (Trainer._steps_function).
_SHARED_STEPS = collections.OrderedDict()
_SHARED_STEPS_KEEP = 8
_SHARED_STEPS_LOCK = threading.Lock()  # fits may run in threads (joblib's threading backend)


def fibonacci_hash(keys, bits):
    """:func:`sklearn_linkembed._pairs.fibonacci_hash` in TensorFlow (int64 keys)."""
    golden = tf.constant(np.uint64(FIBONACCI_MULTIPLIER).view(np.int64))
    return tf.bitwise.bitwise_and(tf.bitwise.right_shift(keys * golden, 64 - bits),
                                  (1 << bits) - 1)


@tf.function(jit_compile=True, autograph=False)
def _non_pair_mask(bitmap, rows, links, n_links, hash_bits):
    """1.0 where (row, link) is not a true pair by ``bitmap`` (as ``Pairs.bitmap``), else 0.0.

    ``rows`` and ``links`` broadcast (a column of rows against a matrix of
    links: each true pair against its negatives). A chain of a dozen integer
    operations on every (pair, negative) cell: compiled with XLA it is one loop
    and a gather; as TensorFlow's kernels it took 9 to 13% of a step (a films
    step at batch 4096: 7.5 against 8.6 ms; at 512: 1.07 against 1.17 ms). One
    function for all engines: it compiles once per bitmap and batch shape.
    """
    index = tf.cast(rows, tf.int64) * n_links + tf.cast(links, tf.int64)
    if hash_bits is not None:  # as Pairs.bitmap_index
        index = fibonacci_hash(index, hash_bits)
    words = tf.gather(bitmap, tf.cast(tf.bitwise.right_shift(index, 5), tf.int32))
    shift = tf.cast(tf.bitwise.bitwise_and(index, 31), tf.int32)
    return tf.cast(1 - tf.bitwise.bitwise_and(tf.bitwise.right_shift(words, shift), 1),
                   tf.float32)


_non_pair_mask._omit_frequent_tracing_warning = True  # a shape per graph and batch, by design


def pair_loss(u, v, labels, loss):
    """Per-example loss of row vectors ``u`` against link vectors ``v``.

    ``"cosine_mse"`` is the seed's model: ``(cos(u, v) - label) ** 2`` with
    labels +1 / -1. ``"logistic"`` is skip-gram negative sampling:
    ``-log sigmoid(label * u.v)``.
    """
    if loss == "cosine_mse":
        cos = tf.reduce_sum(tf.math.l2_normalize(u, 1) * tf.math.l2_normalize(v, 1), axis=1)
        return tf.square(cos - labels)
    return tf.math.softplus(-labels * tf.reduce_sum(u * v, axis=1))


@tf.function(jit_compile=True, autograph=False)
def _pair_losses_and_gradients(u, v, labels, weights, loss):
    """Weighted per-example losses and the gradients of their sum w.r.t. ``u`` and ``v``.

    Compiled with XLA: the loss and its gradient are a chain of element-wise
    operations that XLA fuses into a few loops.
    """
    with tf.GradientTape() as tape:
        tape.watch([u, v])
        losses = pair_loss(u, v, labels, loss) * weights
        objective = tf.reduce_sum(losses)
    grad_u, grad_v = tape.gradient(objective, [u, v])
    return losses, grad_u, grad_v


_pair_losses_and_gradients._omit_frequent_tracing_warning = True  # a shape per batch, by design


def _variable(initial, name=None, trainable=True):
    """A variable of ``initial`` whose static shape is unknown.

    A traced step takes an engine's variables as arguments, traced by their
    static shape: unknown, one trace serves the tables of every graph size and
    embedding size (``Trainer._steps_function``). The kernels do not need it.
    """
    return tf.Variable(initial, name=name, trainable=trainable,
                       shape=tf.TensorShape([None] * len(initial.shape)))


def _initial_table(n, d, seed, name, *, in_place=True):
    """A variable of ``tf.random.stateless_uniform([n, d], seed, -s, s)``, bit for bit.

    TensorFlow's op holds its draws, their scaled copy and the result at once,
    three times a table (1,145 MiB at its peak for a 381 MiB table of 1,000,000
    x 100; this function: 404 MiB; scratch measurement). Here the variable
    takes the draws and scales them in place, ``_INIT_BLOCK`` floats at a time,
    with the same operations in the same order. Distributed variables
    (``in_place=False``) and small tables are made as TensorFlow makes them.
    """
    minval, maxval = tf.constant(-_INIT_SCALE), tf.constant(_INIT_SCALE)
    if not in_place or n * d * 4 <= _INIT_IN_PLACE_ABOVE_BYTES:
        return _variable(tf.random.stateless_uniform([n, d], seed, minval, maxval), name=name)
    key, counter = tf.raw_ops.StatelessRandomGetKeyCounter(seed=tf.constant(seed, tf.int64))
    table = _variable(tf.raw_ops.StatelessRandomUniformV2(
        shape=[n, d], key=key, counter=counter, alg=tf.random.Algorithm.AUTO_SELECT.value,
        dtype=tf.float32), name=name)
    scale = maxval - minval
    block = max(1, _INIT_BLOCK // d)
    for start in range(0, n, block):
        # gather and scatter, not slices: a slice of the variable's value would share
        # its buffer, and the first write would then copy the whole table.
        rows = tf.range(start, min(start + block, n))
        table.scatter_update(tf.IndexedSlices(tf.add(tf.gather(table, rows) * scale, minval),
                                              rows))
    return table


@tf.function(jit_compile=True, autograph=False)
def _merge_rows(position, *grads):
    """The rows of ``grads`` (in order, as if concatenated) summed by ``position``.

    ``unsorted_segment_sum`` over as many segments as rows, compiled with XLA,
    whose scatter adds the rows in order: the same bits as TensorFlow's kernel
    in about 40% of its time (its per-row loop dominated a step). Each further
    part is added by its own scatter rather than concatenated first: a
    concatenation of the output links' gradients cost as much as the merge.
    The row counts depend on the batch size, the negatives and their sharing,
    not on the graph, so one function for all engines compiles once per table
    shape in a process and later fits reuse it (on a 150,000-pair graph, a
    later engine's first call took 0.14 to 0.16 s instead of 0.19 to 0.25 s).
    The caller keeps the used rows.
    """
    n_rows = sum(tf.shape(grad)[0] for grad in grads)
    merged = tf.math.unsorted_segment_sum(grads[0], position[:tf.shape(grads[0])[0]], n_rows)
    start = tf.shape(grads[0])[0]
    for grad in grads[1:]:
        end = start + tf.shape(grad)[0]
        merged = tf.tensor_scatter_nd_add(merged, position[start:end, None], grad)
        start = end
    return merged


_merge_rows._omit_frequent_tracing_warning = True  # a shape per engine config, by design


def _traced_steps(engine_of_state):
    """A ``tf.function`` that runs ``engine_of_state(state)._train_steps``."""
    def run(state, batches, n_steps, first_step):
        return engine_of_state(state)._train_steps(batches, n_steps, first_step)

    return tf.function(run, autograph=False)


class _LazyOptimizer:
    """Row-sparse optimizers: only the rows in the batch and their state change.

    Keras 3's Adam and Nadam rewrite every row of both tables at every step
    (their moments decay everywhere); here moments decay only when a row is
    used, which is what makes a step cost O(batch), not O(table).
    """

    def __init__(self, name, learning_rate):
        self.name = name
        self.learning_rate = learning_rate
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self.slots = {}
        self.slot_floats = 0  # counted as made: reading a variable's size can copy it

    def track(self, table, n, d):
        """Make ``table``'s state variables; returns ``table``.

        Called as each table is made, not after all of them: a variable's
        initial value is a second copy until it is assigned, and this way that
        copy never sits beside every table and state made already.
        """
        if self.name == "sgd":
            shapes = []
        elif self.name == "adagrad":  # zero start (as PyTorch): the first step is lr * sign(grad)
            shapes = [[n, d]]
        elif self.name == "rowwise_adagrad":  # one accumulator per row, not per coordinate
            shapes = [[n]]
        else:  # both Adam moments in one table: one gather and one scatter per step
            shapes = [[n, 2 * d]]
        self.slots[table.ref()] = [_variable(tf.zeros(shape), trainable=False) for shape in shapes]
        self.slot_floats += sum(int(np.prod(shape)) for shape in shapes)
        return table

    def apply(self, table, index, grad, *slots):
        """Apply the merged gradient ``grad`` of rows ``index`` (unique) to ``table``.

        ``slots`` are the table's state variables (``self.slots[table.ref()]``),
        passed in so that a distribution strategy hands each device its own copy.

        Every update gathers the rows, computes their new values as whole
        blocks and writes them back with ``scatter_update``. TensorFlow's fused
        row-sparse kernels (``ResourceSparseApplyAdagradV2``, ``scatter_sub``)
        evaluate one small expression per row; the blocks give the same bits
        faster (Adagrad on 6,377 rows: 1.38 against 2.10 ms; the docs'
        performance page).
        """
        lr = tf.cast(self.learning_rate, tf.float32)  # a float, or a tensor in a shared step
        if self.name == "sgd":
            step = lr * grad
        elif self.name == "adagrad":  # as ResourceSparseApplyAdagradV2, bit for bit
            (accum,) = slots
            accum_rows = tf.gather(accum, index) + grad * grad
            accum.scatter_update(tf.IndexedSlices(accum_rows, index))
            step = lr * grad / (tf.sqrt(accum_rows) + _EPSILON)
        elif self.name == "rowwise_adagrad":
            # As FBGEMM's and TorchRec's row-wise Adagrad for embedding tables: a row
            # accumulates the mean square of its gradient's coordinates, so its state
            # is one float, not a second table, and a step moves one float per row.
            (accum,) = slots
            accum_rows = tf.gather(accum, index) + tf.reduce_mean(grad * grad, 1)
            accum.scatter_update(tf.IndexedSlices(accum_rows, index))
            step = grad * (lr / (tf.sqrt(accum_rows) + _EPSILON))[:, None]
        else:
            (moments,) = slots
            t = tf.cast(self.iterations + 1, tf.float32)
            m_rows, v_rows = tf.split(tf.gather(moments, index), 2, axis=1)
            m_rows = _BETA_1 * m_rows + (1 - _BETA_1) * grad
            v_rows = _BETA_2 * v_rows + (1 - _BETA_2) * tf.square(grad)
            moments.scatter_update(tf.IndexedSlices(tf.concat([m_rows, v_rows], 1), index))
            v_hat = v_rows / (1 - _BETA_2**t)
            if self.name == "adam":
                m_hat = m_rows / (1 - _BETA_1**t)
            else:  # Nadam (Dozat 2016): Nesterov look-ahead on the bias-corrected moment
                m_hat = (_BETA_1 * m_rows / (1 - _BETA_1 ** (t + 1))
                         + (1 - _BETA_1) * grad / (1 - _BETA_1**t))
            step = lr * m_hat / (tf.sqrt(v_hat) + _EPSILON)
        return table.scatter_update(tf.IndexedSlices(tf.gather(table, index) - step, index))


class Trainer:
    """Embedding tables for the rows and links of ``pairs``, trained by negative sampling.

    ``pairs`` is a :class:`~sklearn_linkembed._pairs.Pairs` and ``config`` a
    :class:`~sklearn_linkembed._config.TrainingConfig`: the true pairs, their
    weights, the pair bitmap, the non-pairs of a dense graph and the
    degree-weighted link table are the graph's constants (read in place on
    CPU-only machines, see :meth:`_constant`), and
    negatives follow ``config``'s distribution. A negative that happens to be a
    true pair is masked out of the loss instead of re-drawn (the public
    sampler re-draws; at link-graph densities the two agree); past the exact
    bitmap's size, at most about 3% of non-pairs share a hashed bit with a
    true pair and are masked too.
    """

    def __init__(self, pairs, config, *, strategy=None):
        self.pairs = pairs
        self.config = config
        self.loss = config.loss
        self.negative_ratio = config.negative_ratio
        self.strategy = strategy or tf.distribute.get_strategy()
        n_replicas = self.strategy.num_replicas_in_sync
        self.local_batch = -(-config.batch_size // n_replicas)
        # With link negatives, each group of `share` consecutive true pairs of a
        # replica's batch is scored against the same k negative links.
        self.share = min(int(config.negative_sharing), self.local_batch)
        self.n_groups = -(-self.local_batch // self.share)
        self.global_batch = self.local_batch * n_replicas
        self.seed = int(config.seed)
        self.negative_sampling = config.negative_sampling
        # With a link-context term links have two tables, as word2vec's syn0 and
        # syn1neg: input vectors (links as contexts) and output vectors (as targets).
        self.context_weight = float(config.link_context)
        # Tables are scaled in place (gathers and scatters), and the traced step shared,
        # only with plain variables (TensorFlow's default strategy).
        self._plain_variables = in_place = (self.strategy is tf.distribute.get_strategy()
                                            and not tf.distribute.has_strategy())
        # Sizes are counted as the variables are made: after a sparse update, reading a
        # variable (even for its size) copies it whole (scratch: +381 MiB for a
        # 1,000,000 x 100 table).
        self.table_floats = 0
        with self.strategy.scope():
            def table(n, salt, name):  # and its optimizer state
                d = config.embedding_size
                self.table_floats += n * d
                return self.optimizer.track(
                    _initial_table(n, d, [self.seed, salt], name, in_place=in_place), n, d)

            self.optimizer = _LazyOptimizer(config.optimizer, config.learning_rate)
            self.row_table = table(pairs.n_rows, 1, "row_embedding")
            self.link_table = table(pairs.n_links, 2, "link_embedding")
            # word2vec's syn1neg: links as targets get their own vectors; rows and
            # links as contexts score against them.
            self.output_table = self.link_table
            if self.context_weight:
                self.output_table = table(pairs.n_links, 3, "output_link_embedding")
        # The pairs as CSR (they are in CSR order): a row's links are
        # pair_links[indptr[r]:indptr[r + 1]], and a pair's row is found by binary
        # search in indptr, so no per-pair row array is held (4 bytes a pair).
        self._share_memory = not (tf.config.list_logical_devices("GPU")
                                  or tf.config.list_logical_devices("TPU"))
        self._pair_links = self._constant(pairs.links)
        self._indptr = self._constant(pairs.indptr.astype(np.int32))  # batches are int32 too
        self._pair_weights = self._constant(pairs.weights)
        self._pair_bitmap = self._constant(pairs.bitmap())
        self._hash_bits = pairs.bitmap_hash_bits
        complement = pairs.complement() if config.negative_sampling == "pair" else None
        self._complement = self._constant(complement)
        self._link_draws = self._constant(pairs.unigram_table(config.negative_power))
        # What differs between engines of one layout reaches the traced step as
        # arguments (see _steps_function): tables, optimizer state, graph constants,
        # sizes, seed and learning rate.
        self._step_seed = tf.constant(self.seed, tf.int64)
        self._n_rows = tf.constant(pairs.n_rows, tf.int32)
        self._n_links = tf.constant(pairs.n_links, tf.int64)
        self._merge_rows = _merge_rows  # shared by every engine (its docstring says why)
        self._own_steps = None
        self._state_args = None

    # Attributes a traced step reads that differ between engines of one layout.
    _STATE = ("row_table", "link_table", "output_table", "_pair_links", "_indptr",
              "_pair_weights", "_pair_bitmap", "_complement", "_link_draws", "_step_seed",
              "_n_rows", "_n_links")
    # Plain values that shape the traced step: engines that agree on them share it.
    _LAYOUT = ("strategy", "loss", "negative_ratio", "negative_sampling", "local_batch", "share",
               "n_groups", "global_batch", "context_weight", "_hash_bits", "_merge_rows")

    def _stand_ins(self):
        """Arguments that trace the shared step for every engine of this layout.

        A trace keeps the variables it was traced with alive for as long as the
        function lives (their Python objects go, their buffers stay: a fit's
        whole training state past ``release``; scratch measurement), so the
        variables are one-element stand-ins made for it, of the same kind and
        static shape (unknown: ``_variable``); the tensors are specs without a
        shape, as are the batches.
        """
        def stand_in(value):
            if value is None:
                return None
            if isinstance(value, tf.Variable):
                return _variable(tf.zeros([1] * len(value.shape), value.dtype),
                                 trainable=value.trainable)
            return tf.TensorSpec([None] * value.shape.rank, value.dtype)

        return (tf.nest.map_structure(stand_in, self._state()),
                tf.TensorSpec([None, self.global_batch], tf.int32), tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.int64))

    def _state(self):
        """The tensors and variables of this engine that a traced step reads."""
        state = {name: getattr(self, name) for name in self._STATE}
        optimizer = self.optimizer
        state["output_table"] = None if self.output_table is self.link_table else self.output_table
        state["slots"] = [optimizer.slots[t.ref()] for t in (self.row_table, self.link_table)]
        if state["output_table"] is not None:
            state["slots"].append(optimizer.slots[self.output_table.ref()])
        state["iterations"] = optimizer.iterations
        state["learning_rate"] = tf.constant(optimizer.learning_rate, tf.float32)
        return state

    @classmethod
    def _from_state(cls, layout, optimizer_name, state):
        """An engine that reads ``state`` (inside a trace): the step's code, unchanged, for
        another engine's tables and constants."""
        view = object.__new__(cls)
        view.__dict__.update(layout)
        view.__dict__.update({name: state[name] for name in cls._STATE})
        if view.output_table is None:
            view.output_table = view.link_table
        tables = [view.row_table, view.link_table]
        if view.output_table is not view.link_table:
            tables.append(view.output_table)
        optimizer = object.__new__(_LazyOptimizer)
        optimizer.name = optimizer_name
        optimizer.learning_rate = state["learning_rate"]
        optimizer.iterations = state["iterations"]
        optimizer.slots = {t.ref(): slots for t, slots in zip(tables, state["slots"], strict=True)}
        view.optimizer = optimizer
        return view

    def _steps_function(self):
        """``_train_steps(batches, n_steps, first_step)`` traced, shared with engines of
        this engine's layout.

        Tracing the step and TensorFlow's first optimisation of its graph cost
        about 0.2 s per engine; a grid search or cross-validation makes many
        engines of one layout (the same strategy, loss, batch and negatives:
        ``_LAYOUT``) in one process. They share one ``tf.function`` that takes
        each engine's tables and constants as arguments (``_STATE``), traced
        once for all of them with stand-ins (:meth:`_stand_ins`). The function
        holds no engine: only plain values and the strategy. An engine under a
        ``tf.distribute`` strategy (whose distributed variables a trace holds by
        identity, not as arguments) or with a method replaced on the instance
        (the benchmarks' ablations) traces its own step, as every engine did.
        """
        if (not self._plain_variables
                or any(callable(getattr(type(self), name, None)) for name in vars(self))):
            if self._own_steps is None:
                self._own_steps = tf.function(
                    self._train_steps, autograph=False,
                    input_signature=[tf.TensorSpec([None, self.global_batch], tf.int32),
                                     tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int64)])
                # Each such engine traces once; after a few in a process TensorFlow would
                # warn of "retracing" that is by design. The attribute TensorFlow sets on
                # its own restored functions turns that off.
                self._own_steps._omit_frequent_tracing_warning = True
            return self._own_steps
        layout = {name: getattr(self, name) for name in self._LAYOUT}
        key = (type(self), self.optimizer.name, *(
            (name, id(value) if name in ("strategy", "_merge_rows") else value)
            for name, value in layout.items()),
            tuple(name for name in self._STATE if getattr(self, name) is None))
        with _SHARED_STEPS_LOCK:
            function = _SHARED_STEPS.pop(key, None)
            if function is None:
                cls, name = type(self), self.optimizer.name
                function = _traced_steps(lambda state: cls._from_state(layout, name, state))
                function.get_concrete_function(*self._stand_ins())
            if _SHARED_STEPS_KEEP:
                _SHARED_STEPS[key] = function  # most recently used last
                while len(_SHARED_STEPS) > _SHARED_STEPS_KEEP:
                    _SHARED_STEPS.popitem(last=False)
        if self._state_args is None:
            self._state_args = self._state()
        return functools.partial(function, self._state_args)

    def _constant(self, array):
        """``array`` as a constant tensor of the graph (``None`` stays ``None``).

        On CPU-only machines a large array is shared with TensorFlow through
        DLPack instead of copied (the pairs' links and bitmap are most of a
        fit's memory beyond the tables, and ``tf.constant`` of a large array
        held two copies of it). TensorFlow reads a shared
        buffer only when it is 64-byte aligned, so others are copied to an
        aligned one first. With accelerators the constants go to the device as
        ``tf.constant`` puts them.
        """
        if array is None:
            return None
        array = np.asarray(array)
        if not self._share_memory or array.nbytes < _SHARE_ABOVE_BYTES:
            return tf.constant(array)
        if (array.ctypes.data % ALIGNMENT or not array.flags.c_contiguous
                or not array.flags.writeable):  # DLPack exports writeable arrays only
            array = aligned_copy(array)
        return tf.experimental.dlpack.from_dlpack(array.__dlpack__())

    # -- in-graph sampling ---------------------------------------------------
    def _negatives(self, n, seed):
        """``n`` random (row, link) non-pairs and a 0/1 mask of those that are not true pairs."""
        n_links = self._n_links
        seed_rows, seed_links = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        if self._complement is not None:
            pick = tf.random.stateless_uniform([n], seed_rows, 0, tf.size(self._complement,
                                                                          tf.int64), tf.int64)
            keys = tf.gather(self._complement, pick)
            return (tf.cast(keys // n_links, tf.int32), tf.cast(keys % n_links, tf.int32),
                    tf.ones([n]))
        rows = tf.random.stateless_uniform([n], seed_rows, 0, self._n_rows, tf.int32)
        links = self._negative_links(n, seed_links)
        return rows, links, self._not_pairs(rows, links)

    def _negative_links(self, n, seed):
        """``n`` links drawn from the negative distribution (uniform or degree-weighted)."""
        if self._link_draws is None:
            return tf.random.stateless_uniform([n], seed, 0, tf.cast(self._n_links, tf.int32),
                                               tf.int32)
        pick = tf.random.stateless_uniform([n], seed, 0, tf.size(self._link_draws), tf.int32)
        return tf.gather(self._link_draws, pick)

    def _not_pairs(self, rows, links):
        """1.0 where (row, link) is not a true pair, from the pair bitmap (they broadcast)."""
        return _non_pair_mask(self._pair_bitmap, rows, links, self._n_links, self._hash_bits)

    # -- one step on one replica ---------------------------------------------
    def _step(self, batch, seed):
        ctx = tf.distribute.get_replica_context()
        replica = ctx.replica_id_in_sync_group
        seed = tf.random.experimental.stateless_fold_in(seed, replica)
        pos = batch[replica * self.local_batch:(replica + 1) * self.local_batch]
        valid = tf.cast(pos >= 0, tf.float32)  # the epoch's last batch is padded with -1
        pos = tf.maximum(pos, 0)
        k = self.negative_ratio
        pos_rows = self._rows_of(pos)
        pos_links = tf.gather(self._pair_links, pos)
        pos_weights = valid
        if self._pair_weights is not None:
            pos_weights *= tf.gather(self._pair_weights, pos)
        if self.negative_sampling == "link":
            return self._link_step(ctx, pos, pos_rows, pos_links, pos_weights, valid, seed)
        neg_rows, neg_links, neg_ok = self._negatives(self.local_batch * k, seed)
        rows = tf.concat([pos_rows, neg_rows], 0)
        links = tf.concat([pos_links, neg_links], 0)
        labels = tf.concat([tf.ones([self.local_batch]), -tf.ones([self.local_batch * k])], 0)
        weights = tf.concat([pos_weights, neg_ok * tf.repeat(valid, k)], 0)
        u = tf.gather(self.row_table, rows)
        v = tf.gather(self.link_table, links)
        losses, grad_u, grad_v = _pair_losses_and_gradients(u, v, labels, weights, self.loss)
        self._apply(ctx, self.row_table, [rows], [grad_u])
        self._apply(ctx, self.link_table, [links], [grad_v])
        return tf.reduce_sum(losses), tf.reduce_sum(weights)

    def _link_step(self, ctx, pos, pos_rows, pos_links, pos_weights, valid, seed):
        """word2vec's corruption: a non-pair keeps its true pair's row.

        Rows are gathered, merged and updated once per true pair, and each group
        of ``self.share`` true pairs shares its ``k`` negative links, scored by a
        batched matrix product: a step gathers and updates ``k`` link rows per
        group instead of ``k`` per true pair.
        """
        k, n_groups = self.negative_ratio, self.n_groups
        neg_links = self._negative_links(n_groups * k, seed)
        # (true pair, negative) cells: mask the negatives that are true pairs of the row
        group = tf.constant(np.arange(self.local_batch, dtype=np.int32) // self.share)
        cell_links = tf.gather(tf.reshape(neg_links, [n_groups, k]), group)
        neg_weights = self._not_pairs(pos_rows[:, None], cell_links) * valid[:, None]
        u = tf.gather(self.row_table, pos_rows)
        v_pos = tf.gather(self.output_table, pos_links)
        v_neg = tf.gather(self.output_table, neg_links)
        if not self.context_weight:
            loss, grad_u, grad_pos, grad_neg = self._link_loss_and_gradients(
                u, v_pos, v_neg, pos_weights, neg_weights)
            self._apply(ctx, self.row_table, [pos_rows], [grad_u])
            self._apply(ctx, self.output_table, [pos_links, neg_links], [grad_pos, grad_neg])
            return loss, tf.reduce_sum(pos_weights) + tf.reduce_sum(neg_weights)
        # Link context (item2vec, LINE 2nd order, Doc2Vec's dbow_words): another
        # link j of the same row, uniform among its other links, predicts the
        # pair's link against the same negatives.
        seed_ctx = tf.random.experimental.stateless_fold_in(seed, 1)
        ctx_links, ctx_ok = self._context_links(pos, pos_rows, seed_ctx)
        c = tf.gather(self.link_table, ctx_links)
        cw = self.context_weight * ctx_ok
        loss, grad_u, grad_c, grad_pos, grad_neg = self._context_loss_and_gradients(
            u, c, v_pos, v_neg, pos_weights, neg_weights, cw)
        self._apply(ctx, self.row_table, [pos_rows], [grad_u])
        self._apply(ctx, self.link_table, [ctx_links], [grad_c])
        self._apply(ctx, self.output_table, [pos_links, neg_links], [grad_pos, grad_neg])
        return loss, (tf.reduce_sum(pos_weights) + tf.reduce_sum(neg_weights)) * (
            1.0 + self.context_weight)

    def _rows_of(self, pos):
        """The row of each pair index ``pos``: the last row starting at or before it."""
        return tf.searchsorted(self._indptr, pos, side="right", out_type=tf.int32) - 1

    def _context_links(self, pos, pos_rows, seed):
        """For each true pair (index ``pos``), another link of its row drawn uniformly,
        and 1.0 where the row has one (0.0 for rows with a single link)."""
        start = tf.gather(self._indptr, pos_rows)
        degree = tf.gather(self._indptr, pos_rows + 1) - start
        others = tf.maximum(degree - 1, 1)
        u = tf.random.stateless_uniform(tf.shape(pos), seed)
        offset = tf.minimum(tf.cast(u * tf.cast(others, tf.float32), tf.int32), others - 1)
        offset += tf.cast(offset >= pos - start, tf.int32)  # skip the pair's own link
        pick = tf.minimum(start + offset, tf.size(self._pair_links) - 1)
        return tf.gather(self._pair_links, pick), tf.cast(degree > 1, tf.float32)

    def _context_loss_and_gradients(self, u, c, v_pos, v_neg, pos_weights, neg_weights,
                                    context_weights):
        """The link step's loss with the link-context term, and its gradients.

        The gradients are written out rather than taped: the row ``u`` and the
        context link ``c`` of each true pair are scored against their group's
        shared negatives in one batched product (a group's rows, then its
        context links), and both gradients come from one product each way;
        the taped version took six products and summed their parts (the docs'
        performance page). ``test_engine`` checks it against the tape.
        """
        k, share, n_groups, batch = (self.negative_ratio, self.share, self.n_groups,
                                     self.local_batch)
        pad = n_groups * share - batch

        def by_group(x):  # (batch, d) -> (n_groups, share, d), padded with zeros
            return tf.reshape(tf.pad(x, [[0, pad], [0, 0]]) if pad else x,
                              [n_groups, share, -1])

        def by_pair(x):  # the inverse
            x = tf.reshape(x, [n_groups * share, -1])
            return x[:batch] if pad else x

        x_g = tf.concat([by_group(u), by_group(c)], 1)  # (n_groups, 2 * share, d)
        v_g = tf.reshape(v_neg, [n_groups, k, -1])
        cw = context_weights[:, None]
        neg_w = tf.concat([by_group(neg_weights), by_group(neg_weights * cw)], 1)
        scores = tf.matmul(x_g, v_g, transpose_b=True)  # (n_groups, 2 * share, k)
        d_neg = tf.sigmoid(scores) * neg_w
        grad_x = tf.matmul(d_neg, v_g)
        grad_neg = tf.reshape(tf.matmul(d_neg, x_g, transpose_a=True), tf.shape(v_neg))
        u_pos = tf.reduce_sum(u * v_pos, 1, keepdims=True)
        c_pos = tf.reduce_sum(c * v_pos, 1, keepdims=True)
        pos_w = pos_weights[:, None]
        d_u, d_c = -tf.sigmoid(-u_pos) * pos_w, -tf.sigmoid(-c_pos) * pos_w * cw
        loss = (tf.reduce_sum(tf.math.softplus(-u_pos) * pos_w)
                + tf.reduce_sum(tf.math.softplus(-c_pos) * pos_w * cw)
                + tf.reduce_sum(tf.math.softplus(scores) * neg_w))
        grad_u = by_pair(grad_x[:, :share]) + d_u * v_pos
        grad_c = by_pair(grad_x[:, share:]) + d_c * v_pos
        return loss, grad_u, grad_c, d_u * u + d_c * c, grad_neg

    def _link_loss_and_gradients(self, u, v_pos, v_neg, pos_weights, neg_weights):
        """Summed weighted loss of a link step and its gradients.

        Gradients are of the sum over examples, not the mean, as word2vec's: the
        SGD step of an example is ``learning_rate`` times its own gradient
        whatever the batch size; Adam, Nadam and Adagrad are scale-free.
        """
        k, share, n_groups = self.negative_ratio, self.share, self.n_groups
        pad = n_groups * share - self.local_batch
        with tf.GradientTape() as tape:
            tape.watch([u, v_pos, v_neg])
            pos_loss = pair_loss(u, v_pos, tf.ones_like(pos_weights), self.loss) * pos_weights
            u_g, v_g = u, v_neg
            if self.loss == "cosine_mse":
                u_g, v_g = tf.math.l2_normalize(u_g, 1), tf.math.l2_normalize(v_g, 1)
            u_g = tf.reshape(tf.pad(u_g, [[0, pad], [0, 0]]), [n_groups, share, -1])
            v_g = tf.reshape(v_g, [n_groups, k, -1])
            scores = tf.reshape(tf.einsum("gid,gkd->gik", u_g, v_g), [-1, k])
            scores = scores[:self.local_batch]
            neg_loss = (tf.square(scores + 1.0) if self.loss == "cosine_mse"
                        else tf.math.softplus(scores)) * neg_weights
            loss = tf.reduce_sum(pos_loss) + tf.reduce_sum(neg_loss)
        grads = tape.gradient(loss, [u, v_pos, v_neg])
        return (loss, *grads)

    def _apply(self, ctx, table, index, grad):
        """Merge the gradient rows of repeated indices and update ``table``'s rows.

        ``index`` and ``grad`` are lists of parts (two for the output links:
        true pairs and negatives), merged as if concatenated.
        """
        if ctx.num_replicas_in_sync > 1:
            index = [ctx.all_gather(tf.concat(index, 0), axis=0)]
            grad = [ctx.all_gather(tf.concat(grad, 0), axis=0)]
        index, position = tf.unique(tf.concat(index, 0))
        grad = self._merge_rows(position, *grad)[:tf.size(index)]

        def update(strategy, table, index, grad, slots):
            return strategy.extended.update(table, self.optimizer.apply,
                                            args=(index, grad, *slots), group=False)

        ctx.merge_call(update, args=(table, index, grad, self.optimizer.slots[table.ref()]))

    # -- many steps in one call ----------------------------------------------
    def _train_steps(self, batches, n_steps, first_step):
        # An explicit while_loop, traced without autograph: converting the step's
        # code with autograph took longer than a films epoch.
        def body(i, total_loss, total_weight):
            step = first_step + tf.cast(i, tf.int64)
            seed = tf.stack([self._step_seed, step])
            loss, weight = self.strategy.run(self._step, args=(batches[i], seed))
            with tf.control_dependencies([loss, weight]):
                bump = self.optimizer.iterations.assign_add(1)
            with tf.control_dependencies([bump]):
                return (i + 1, total_loss + self.strategy.reduce("SUM", loss, axis=None),
                        total_weight + self.strategy.reduce("SUM", weight, axis=None))

        _, total_loss, total_weight = tf.while_loop(
            lambda i, *_: i < n_steps, body,
            (tf.constant(0), tf.constant(0.0), tf.constant(0.0)))
        return total_loss, total_weight

    def steps_per_epoch(self):
        return -(-self.pairs.n_pairs // self.global_batch)

    def epoch_batches(self, random_state):
        """The epoch's true pairs, shuffled, as a (steps, global_batch) array padded with -1."""
        steps = self.steps_per_epoch()
        order = np.full(steps * self.global_batch, -1, dtype=np.int32)
        # Shuffled in place: the permutation of random_state.permutation(n_pairs)
        # (the same draws, whatever the dtype) without its int64 copy.
        pairs = order[:self.pairs.n_pairs]
        pairs[:] = 1  # arange in place (as a running sum of ones): no second int32 array
        pairs[:1] = 0
        np.cumsum(pairs, out=pairs)
        random_state.shuffle(pairs)
        return order.reshape(steps, self.global_batch)

    def train(self, batches, first_step):
        """Run the steps of ``batches``; returns (sum of weighted losses, sum of weights)."""
        loss, weight = self._steps_function()(
            tf.constant(batches, tf.int32), tf.constant(len(batches), tf.int32),
            tf.constant(first_step, tf.int64))
        return float(loss), float(weight)

    def release(self):
        """Drop the tables, optimizer state, constants and compiled steps.

        The compiled functions hold the engine through its bound methods, and
        TensorFlow's function objects hold each other, in reference cycles: the
        tables would otherwise wait for the garbage collector, past the end of
        ``fit``. Large tables are collected at once; the engine is unusable
        afterwards.
        """
        if not self.__dict__:
            return
        n_bytes = self.table_floats * 4
        self.__dict__.clear()
        if n_bytes > _COLLECT_ABOVE_BYTES:
            gc.collect()

    def final_tables(self):
        """``(link_vectors(), output_vectors())``, releasing the engine first.

        The row table, the optimizer's state and the constants are freed before
        the link tables are copied out, so that the copies never sit beside the
        whole training state (the peak of a fit's memory otherwise).
        """
        links, output = self.link_table, self.output_table
        self.release()
        links_array = links.numpy()
        return links_array, (links_array if output is links else output.numpy())

    def state_bytes(self):
        """Bytes of the tables and the optimizer's state (float32), without reading them."""
        return 4 * (self.table_floats + self.optimizer.slot_floats)

    def link_vectors(self):
        return self.link_table.numpy()

    def output_vectors(self):
        """Links as targets (word2vec's syn1neg); the link table when not separate."""
        return self.output_table.numpy()

    def row_vectors(self):
        return self.row_table.numpy()
