"""The true (row, link) pairs of a graph and what negative sampling needs of them (numpy only).

One object, :class:`Pairs`, built once from the CSR graph, is read by the public
:class:`~sklearn_linkembed.NegativeSampler`, the TensorFlow engine and the fold-in:

* the pairs in CSR order (row, then link): the CSR index pointer and links, their
  weights (``None`` when all are equal) and, computed when first asked for, each pair's
  row and the sorted keys ``row * n_links + link`` (membership by binary search);
* the pair bitmap, exact (a bit per cell) or hashed (Fibonacci hashing into 32 to 64
  bits per pair; the engine computes the same hash in TensorFlow, and a test holds the
  two to agree), built in blocks so that it never needs more than its own size;
* the negative distribution over links, ``degree ** negative_power``, as
  probabilities and as word2vec's unigram table;
* for graphs denser than 1/2, the enumerated non-pairs.
"""

from dataclasses import dataclass, field

import numpy as np

from ._utils import aligned_zeros

__all__ = ["FIBONACCI_MULTIPLIER", "Pairs", "fibonacci_hash", "negative_probability"]

# Above this density rejection sampling wastes most draws: sample the
# complement (the non-pairs), enumerated, instead.
_DENSE = 0.5
_MAX_CELLS_ENUMERATED = 2**26
# Size of the word2vec-style table that makes degree-weighted link draws O(1).
_TABLE_SIZE = 2**22
# A bit per (row, link) cell answers "is this a true pair?" in the engine with
# one lookup instead of a binary search over the sorted pair keys, the slowest
# part of a step before. It is exact while small (<= 1 MiB: it stays in cache)
# or no larger than the hashed one (density >= 1/64); past that the cells are
# hashed into 32 to 64 bits per pair (a power of 2), so memory stays O(pairs):
# no true pair is ever missed, and at most about 3% of the non-pairs share a bit
# with a true pair and are dropped too. (The films' exact bitmap was 59 MiB and
# took a quarter of a second to build and hand to TensorFlow; hashed, 1 MiB.)
_MAX_BITMAP_BITS_PER_PAIR = 64
_SMALL_BITMAP_BITS = 2**23
_HASHED_BITS_PER_PAIR = 32
# Pairs per block when building the bitmap: its temporaries stay a few MiB.
_BITMAP_BLOCK = 1 << 20
#: Fibonacci hashing's multiplier, 2**64 / golden ratio (the engine's TensorFlow hash too).
FIBONACCI_MULTIPLIER = 0x9E3779B97F4A7C15


def fibonacci_hash(keys, bits):
    """The top ``bits`` bits of ``keys * FIBONACCI_MULTIPLIER`` modulo 2**64, as int64."""
    with np.errstate(over="ignore"):
        hashed = np.asarray(keys, dtype=np.int64).astype(np.uint64) * np.uint64(
            FIBONACCI_MULTIPLIER)
    return (hashed >> np.uint64(64 - bits)).astype(np.int64)


def negative_probability(link_degree, negative_power):
    """Probability of drawing each link as a negative: ``degree ** power``, normalised.

    ``None`` for ``negative_power=0`` (uniform), so that callers can take the faster
    uniform path.
    """
    if negative_power == 0:
        return None
    p = np.asarray(link_degree, dtype=np.float64) ** negative_power
    return p / p.sum()


@dataclass(frozen=True, eq=False)
class Pairs:
    """The true pairs of a rows x links graph (built by :meth:`from_csr`).

    ``indptr`` (int64) and ``links`` (int32) list the pairs in CSR order: row ``r``'s
    links are ``links[indptr[r]:indptr[r + 1]]``. ``weights`` (float32, mean 1) is
    ``None`` when every pair weighs the same (binary graphs). :attr:`rows` (int32) and
    :attr:`keys` (int64, sorted, ``row * n_links + link``) are computed on first use:
    training needs neither, so a fit's memory holds the CSR arrays only.
    """

    n_rows: int
    n_links: int
    indptr: np.ndarray
    links: np.ndarray
    weights: np.ndarray | None
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_csr(cls, csr):
        """The pairs of ``csr`` (a non-zero is a pair and its value the pair's weight).

        ``links`` shares the CSR's own indices when they are int32 already.
        """
        csr = csr.tocsr()
        csr.sort_indices()
        n_rows, n_links = csr.shape
        links = csr.indices.astype(np.int32, copy=False)
        # Edge weights scale each true pair's loss; binary graphs need none.
        data = csr.data
        weights = None
        if data.size and (data != data[0]).any():
            weights = (data / data.mean()).astype(np.float32)
        return cls(n_rows, n_links, csr.indptr.astype(np.int64, copy=False), links, weights)

    @property
    def n_pairs(self):
        return len(self.links)

    @property
    def rows(self):
        """The row of each pair (int32), in CSR order."""
        return self._cached("rows", lambda: np.repeat(
            np.arange(self.n_rows, dtype=np.int32), np.diff(self.indptr)))

    @property
    def keys(self):
        """``row * n_links + link`` of each pair (int64), sorted: CSR is sorted by row, link."""
        return self._cached("keys", lambda: self._keys(0, self.n_pairs))

    def pair_weights(self):
        """The weight of every pair (float32): ones when :attr:`weights` is ``None``."""
        return (np.ones(self.n_pairs, dtype=np.float32) if self.weights is None
                else self.weights)

    def _keys(self, start, stop):
        """The keys of pairs ``start:stop``."""
        first, last = np.searchsorted(self.indptr, [start, stop], side="right") - 1
        counts = np.diff(np.clip(self.indptr[first:last + 2], start, stop))
        rows = np.repeat(np.arange(first, first + len(counts), dtype=np.int64), counts)
        return rows * self.n_links + self.links[start:stop]

    def check_samplable(self, min_count):
        """Refuse graphs with no true pair or no non-pair: nothing to sample."""
        if self.n_pairs == 0:
            raise ValueError(
                f"The graph has no (row, link) pairs left after min_count={min_count}: no link "
                f"occurs in {min_count} or more rows (got {self.n_rows} sample"
                f"{'' if self.n_rows == 1 else 's'}). Lower min_count or pass more rows."
            )
        if self.n_pairs == self.n_rows * self.n_links:
            raise ValueError(
                f"The graph is complete: all {self.n_rows} rows link to all {self.n_links} links, "
                "so no negative (row, link) non-pair exists. Negative sampling needs a sparser "
                "graph."
            )
        if self.density > _DENSE and self.n_rows * self.n_links > _MAX_CELLS_ENUMERATED:
            raise ValueError(
                f"The graph is too dense to draw negatives from: {self.n_pairs} of "
                f"{self.n_rows * self.n_links} possible pairs are true pairs (density "
                f"{self.density:.2f} > {_DENSE}). Raise min_count or drop links "
                "present in most rows."
            )

    @property
    def density(self):
        return self.n_pairs / max(self.n_rows * self.n_links, 1)

    def contains(self, rows, links):
        """Whether each ``(rows[i], links[i])`` is a true pair."""
        keys = np.asarray(rows, dtype=np.int64) * self.n_links + np.asarray(links)
        pos = np.minimum(np.searchsorted(self.keys, keys), max(self.n_pairs - 1, 0))
        return self.keys[pos] == keys if self.n_pairs else np.zeros(keys.shape, bool)

    def link_degree(self):
        """Number of rows of each link."""
        return self._cached("link_degree", lambda: np.bincount(self.links,
                                                               minlength=self.n_links))

    def full_rows(self):
        """Rows linked to every link: they have no non-link of their own."""
        return self._cached("full_rows", lambda: np.diff(self.indptr) == self.n_links)

    # -- the negative distribution ---------------------------------------------------
    def negative_probability(self, negative_power):
        """See :func:`negative_probability`; ``None`` means uniform."""
        return negative_probability(self.link_degree(), negative_power)

    def unigram_table(self, negative_power):
        """int32 table of links for O(1) degree-weighted draws; ``None`` when uniform."""
        p = self.negative_probability(negative_power)
        if p is None:
            return None
        return self._cached(("unigram", negative_power),
                            lambda: _unigram_table(p, max(_TABLE_SIZE, 16 * self.n_links)))

    def complement(self):
        """The keys of all non-pairs when the graph is denser than 1/2, else ``None``.

        Rejection sampling wastes most draws on such graphs; they are drawn from
        this list instead (:meth:`check_samplable` refuses graphs too large to list).
        """
        if self.density <= _DENSE:
            return None
        cells = self.n_rows * self.n_links

        def enumerate_free():
            free = np.ones(cells, dtype=bool)
            free[self.keys] = False
            return np.flatnonzero(free).astype(np.int64)

        return self._cached("complement", enumerate_free)

    # -- the pair bitmap ---------------------------------------------------------------
    @property
    def bitmap_hash_bits(self):
        """``None`` when :meth:`bitmap` has a bit per cell, else its size as a power of 2."""
        cells = self.n_rows * self.n_links
        if cells <= max(_MAX_BITMAP_BITS_PER_PAIR * self.n_pairs, _SMALL_BITMAP_BITS):
            return None
        return int(np.ceil(np.log2(_HASHED_BITS_PER_PAIR * self.n_pairs)))

    def bitmap_index(self, keys):
        """Bit of :meth:`bitmap` standing for each pair key."""
        keys = np.asarray(keys, dtype=np.int64)
        bits = self.bitmap_hash_bits
        return keys if bits is None else fibonacci_hash(keys, bits)

    def bitmap(self):
        """The true pairs as bits of int32 words: bit ``i % 32`` of word ``i // 32``.

        Built a block of pairs at a time, without the pair keys: past the words
        themselves it needs a few MiB, whatever the graph's size.
        """
        n_bits = (self.n_rows * self.n_links if self.bitmap_hash_bits is None
                  else 1 << self.bitmap_hash_bits)
        words = aligned_zeros(-(-n_bits // 32), np.uint32)  # TensorFlow shares, not copies, it
        for start in range(0, self.n_pairs, _BITMAP_BLOCK):
            index = self.bitmap_index(self._keys(start, min(start + _BITMAP_BLOCK,
                                                            self.n_pairs)))
            if self.bitmap_hash_bits is not None:  # hashing loses the keys' order
                index = np.sort(index)
            bits = np.left_shift(np.uint32(1), (index & 31).astype(np.uint32))
            word = index >> 5
            starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
            words[word[starts]] |= np.bitwise_or.reduceat(bits, starts)
        return words.view(np.int32)

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _unigram_table(p, size):
    """int32 table in which link ``i`` fills about ``p[i] * size`` cells (word2vec's trick)."""
    counts = np.floor(p * size).astype(np.int64)
    # Largest remainders get the cells lost to flooring, so the table has exactly `size` cells.
    short = size - counts.sum()
    if short > 0:
        counts[np.argsort(counts - p * size)[:short]] += 1
    # np.repeat(arange(len(p)), counts), made in place in an aligned buffer (shared with
    # TensorFlow): a 1 where each link's cells begin, then a running sum.
    table = aligned_zeros(size, np.int32)
    starts = np.cumsum(counts)[:-1]
    np.add.at(table, starts[starts < size], 1)
    return np.cumsum(table, out=table)
