"""Suggestions of known keys close to a missing one, for the ``KeyError`` of a lookup.

:class:`~sklearn_linkembed.keyedvectors.KeyedVectors` calls :func:`close_keys` when a key
is unknown, and caches the :class:`SuggestIndex` it builds on the first miss. Keys are
compared in a folded form (case, accents and runs of whitespace ignored), then ranked in
tiers: equal once folded; equal, or one beginning the other, once a trailing disambiguator
such as ``" (film)"`` is set aside; sharing rarer words; near spellings (difflib). An
int/str mix-up (``"3"`` for ``3``) comes before them all.

>>> from sklearn_linkembed._suggest import SuggestIndex, close_keys
>>> keys = ["Star Wars (film)", "Alien", "Aliens", "Amélie"]
>>> index = SuggestIndex(keys)
>>> index.suggest("star wars", 2)
['Star Wars (film)']
>>> close_keys("AMELIE", set(keys), lambda: index)
['Amélie', 'Alien', 'Aliens']
>>> close_keys("3", {3, 4}, lambda: index)
[3]
"""

import bisect
import difflib
import itertools
import re
import unicodedata

import numpy as np

__all__ = ["SuggestIndex", "close_keys"]

# At most _N_SUGGEST keys are suggested; difflib and the prefix scan see at most
# _SUGGEST_POOL keys, queries are cut to _MAX_QUERY_CHARS characters and _MAX_QUERY_TOKENS
# words, and shared words count from a weighted Jaccard similarity of _TOKEN_MIN_SCORE.
_SUGGEST_POOL = 5_000
_N_SUGGEST = 3
_MAX_QUERY_CHARS = 256
_MAX_QUERY_TOKENS = 32
_TOKEN_MIN_SCORE = 0.5
_CUT_WORD_COST = 2
_DISAMBIGUATOR = re.compile(r"\s*\([^()]*\)?$")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(r"['\u2019]")


def close_keys(key, known, suggest_index):
    """Up to ``_N_SUGGEST`` known keys close to ``key``, best first.

    An int/str mix-up (``"3"`` for ``3`` or the reverse) comes first. String keys are then
    ranked by the :class:`SuggestIndex` that ``suggest_index()`` returns; it is called only
    for a non-blank string key, so the caller can build it on the first miss and cache it.

    Parameters
    ----------
    key : object
        The missing key.
    known : container
        The known keys (``key in known`` must work for int and str keys).
    suggest_index : callable
        Returns the :class:`SuggestIndex` of the known keys.

    Returns
    -------
    keys : list
        Known keys, best first; empty when none is close.
    """
    hints = []
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        if int(key) in known:
            hints.append(int(key))
    elif isinstance(key, (int, np.integer)) and str(key) in known:
        hints.append(str(key))
    if not isinstance(key, str) or not key.strip():
        return hints
    for hint in suggest_index().suggest(key, _N_SUGGEST):
        if len(hints) >= _N_SUGGEST:
            break
        if hint not in hints:
            hints.append(hint)
    return hints[:_N_SUGGEST]


class SuggestIndex:
    """Lookup tables that rank known string keys by closeness to a missing one.

    Built once per :class:`~sklearn_linkembed.keyedvectors.KeyedVectors` (on its first
    missing key) in one pass over the keys; each query then costs a bounded amount of work
    whatever the vocabulary size. Keys are compared in a folded form (:func:`_fold`: case,
    accents and runs of whitespace ignored), and ranked in tiers, each tier only filling the places the ones before left:

    1. the folded key equals the folded query;
    2. the two are equal, or one is a prefix of the other, once a trailing parenthetical
       disambiguator such as ``" (film)"`` or ``" (2014 film)"`` is stripped from both:
       equality first, then prefixes, fewest extra characters first (a prefix that cuts a
       word, like ``"rogue one"`` of ``"rogue ones"``, counts ``_CUT_WORD_COST`` more and
       needs 4 characters);
    3. the two share words: ranked by the IDF-weighted Jaccard similarity of their word
       sets (rare shared words count most), kept from ``_TOKEN_MIN_SCORE``;
    4. :func:`difflib.get_close_matches` (ratio 0.6 or more) over at most
       ``_SUGGEST_POOL`` keys of a plausible length, keys sharing a word or the first
       character with the query examined first.

    Ties go to the key listed first in the vocabulary.

    Parameters
    ----------
    keys : list
        The vocabulary, ``index_to_key``; keys that are not ``str`` are left out.
    """

    def __init__(self, keys):
        # comprehensions and numpy rather than one loop: about 1 s for 200,000 keys
        self.keys = [key for key in keys if isinstance(key, str)]
        n = self.n = len(self.keys)
        self.folds = folds = [" ".join(key.casefold().split()) if key.isascii() else _fold(key)
                              for key in self.keys]
        self.bases = bases = [_strip_disambiguator(fold) if "(" in fold else fold
                              for fold in folds]
        self.by_fold = _Groups(folds)
        self.by_base = _Groups(bases)
        self.sorted_bases = sorted(self.by_base)
        self.lengths = np.fromiter(map(len, folds), dtype=np.int64, count=n)
        self.first_chars = np.array([fold[:1] for fold in folds], dtype="<U1")
        # each word gets the position of its first occurrence, made dense by np.unique
        words = [dict.fromkeys(_tokens(base)) for base in bases]
        counts = np.fromiter(map(len, words), dtype=np.int64, count=n)
        flat = list(itertools.chain.from_iterable(words))
        self.vocabulary = vocabulary = {}
        first = np.fromiter(map(vocabulary.setdefault, flat, itertools.count()),
                            dtype=np.int64, count=len(flat))
        self.word_ids, token_ids = np.unique(first, return_inverse=True)
        # word -> entries, and IDF weights: a word in every key weighs log 2
        owners = np.repeat(np.arange(n, dtype=np.int64), counts)
        df = np.bincount(token_ids, minlength=len(self.word_ids))
        self.postings = owners[np.argsort(token_ids, kind="stable")]
        self.posting_starts = np.concatenate([[0], np.cumsum(df)])
        self.weights = np.log1p(n / np.maximum(df, 1))
        self.key_weights = np.bincount(owners, weights=self.weights[token_ids], minlength=n)

    def suggest(self, query, k):
        """Up to ``k`` keys close to the string ``query``, best first.

        Parameters
        ----------
        query : str
            The missing key.
        k : int
            The most keys to return.

        Returns
        -------
        keys : list of str
            Known keys, best first.
        """
        if not self.n or k < 1:
            return []
        fold = _fold(query)
        chosen = []

        def take(entries):
            for entry in entries:
                if len(chosen) >= k:
                    return True
                if entry not in chosen:
                    chosen.append(entry)
            return len(chosen) >= k

        if take(self.by_fold.get(fold, ())):
            return self._as_keys(chosen)
        fold = fold[:_MAX_QUERY_CHARS]
        if not fold:
            return self._as_keys(chosen)
        base = _strip_disambiguator(fold)
        if take(self._prefix_matches(fold, base)):
            return self._as_keys(chosen)
        overlap = self._overlap(base)
        if take(self._token_matches(fold, base, overlap)):
            return self._as_keys(chosen)
        take(self._difflib_matches(fold, overlap, k + len(chosen)))
        return self._as_keys(chosen)

    def _as_keys(self, entries):
        return [self.keys[entry] for entry in entries]

    def _prefix_matches(self, fold, base):
        """Entries whose base equals, extends or begins the query's base, best first."""
        ranked = [(0, abs(len(self.folds[e]) - len(fold)), 0, e)
                  for e in self.by_base.get(base, ())]
        # bases that start with the query's base: one contiguous run of the sorted bases,
        # read until _SUGGEST_POOL entries are found
        start = bisect.bisect_right(self.sorted_bases, base)
        for other in self.sorted_bases[start:start + _SUGGEST_POOL]:
            if not other.startswith(base) or len(ranked) >= _SUGGEST_POOL:
                break
            cost = _prefix_cost(base, other)
            if cost is not None:
                ranked.extend((1, *cost, e) for e in self.by_base[other])
        # bases that begin the query's base: one dictionary look-up per prefix
        for stop in range(2, len(base)):
            prefix = base[:stop]
            if prefix in self.by_base:
                cost = _prefix_cost(prefix, base)
                if cost is not None:
                    ranked.extend((1, *cost, e) for e in self.by_base[prefix])
        return [entry for *_, entry in sorted(ranked)]

    def _overlap(self, base):
        """IDF weight of the query's words, and the weight each entry shares with it."""
        tokens = list(dict.fromkeys(_tokens(base)))[:_MAX_QUERY_TOKENS]
        ids = [self.vocabulary.get(token) for token in tokens]
        known = np.searchsorted(self.word_ids, [i for i in ids if i is not None]).tolist()
        # a word no key has weighs like one key's word: the most a word can
        query_weight = float(self.weights[known].sum()) + (len(ids) - len(known)) * np.log1p(
            self.n)
        shared = np.zeros(self.n)
        for i in known:
            entries = self.postings[self.posting_starts[i]:self.posting_starts[i + 1]]
            shared[entries] += self.weights[i]
        return query_weight, shared

    def _token_matches(self, fold, base, overlap):
        """Entries sharing enough weighted words with the query, best first."""
        query_weight, shared = overlap
        entries = np.flatnonzero(shared)
        if not len(entries):
            return []
        union = query_weight + self.key_weights[entries] - shared[entries]
        scores = shared[entries] / np.maximum(union, 1e-12)
        keep = scores >= _TOKEN_MIN_SCORE
        entries, scores = entries[keep], scores[keep]
        gaps = np.abs(self.lengths[entries] - len(fold))
        order = np.lexsort((entries, gaps, -scores))
        return entries[order[:_SUGGEST_POOL]].tolist()

    def _difflib_matches(self, fold, overlap, n):
        """Entries :func:`difflib.get_close_matches` finds, from a bounded pool."""
        # difflib's ratio 2M/(a+b) >= 0.6 needs 3/7 <= len(a)/len(b) <= 7/3
        length = len(fold)
        plausible = np.flatnonzero((7 * self.lengths >= 3 * length)
                                   & (3 * self.lengths <= 7 * length))
        if len(plausible) > _SUGGEST_POOL:
            shares_word = overlap[1][plausible] > 0
            same_first = self.first_chars[plausible] == fold[0]
            order = np.lexsort((plausible, ~same_first, ~shares_word))
            plausible = plausible[order[:_SUGGEST_POOL]]
        pool = {}
        for entry in plausible.tolist():
            pool.setdefault(self.folds[entry], entry)
        return [pool[match] for match in difflib.get_close_matches(fold, pool, n=n, cutoff=0.6)]


def _fold(text):
    """``text`` without case, accents or repeated whitespace, for comparing keys."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


class _Groups:
    """The positions of each value of a list, as a read-only mapping to lists.

    Built at C speed for the common case of few repeated values: a dict of first
    positions, and lists only for values seen more than once.
    """

    def __init__(self, values):
        n = len(values)
        self._first = first = dict(zip(reversed(values), range(n - 1, -1, -1)))
        self._more = {}
        if len(first) < n:
            firsts = np.fromiter(map(first.__getitem__, values), dtype=np.int64, count=n)
            for position in np.flatnonzero(firsts != np.arange(n)).tolist():
                self._more.setdefault(int(firsts[position]), []).append(position)

    def __contains__(self, value):
        return value in self._first

    def __iter__(self):
        return iter(self._first)

    def get(self, value, default=()):
        position = self._first.get(value)
        if position is None:
            return default
        return [position, *self._more.get(position, ())]

    def __getitem__(self, value):
        return [self._first[value], *self._more.get(self._first[value], ())]


def _strip_disambiguator(fold):
    """A folded key without its trailing parenthetical, e.g. ``" (2014 film)"``.

    An unclosed one (``"titanic (1997"``, a query cut short) is stripped too.
    """
    return _DISAMBIGUATOR.sub("", fold) or fold


def _tokens(text):
    """The words of ``text`` (letters and digits; apostrophes dropped)."""
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE.sub("", text)
    return _WORD.findall(text)


def _prefix_cost(prefix, text):
    """How far ``text`` is from its proper prefix ``prefix``, as a sort key, or None.

    ``(characters text adds, 0)`` when the prefix ends at a word boundary of ``text``;
    ``(characters added + _CUT_WORD_COST, 1)`` when it cuts a word (a truncated or mistyped word), kept
    only for prefixes of at least 4 characters; None otherwise.
    """
    extra = len(text) - len(prefix)
    if not prefix[-1].isalnum() or not text[len(prefix)].isalnum():
        return extra, 0
    return (extra + _CUT_WORD_COST, 1) if len(prefix) >= 4 else None
