"""File formats: the safe, versioned archive (no pickle, ever) and the text formats.

Everything this package saves -- :class:`~sklearn_linkembed.keyedvectors.KeyedVectors`,
a fitted ``LinkEmbedder`` -- goes through :func:`save_archive` and comes back through
:func:`load_archive`; a table of keyed vectors becomes arrays with
:func:`vectors_to_arrays` and comes back with :func:`vectors_from_arrays`. The word2vec
files of gensim and the original C tool are written by :func:`write_word2vec` and read by
:func:`read_word2vec`, and the TensorBoard Embedding Projector's files are written by
:func:`write_projector`. ``KeyedVectors.save``, ``load``, ``save_word2vec_format``,
``load_word2vec_format`` and ``export_projector`` call these functions.

Layout
------
One ``.npz`` archive, as written by :func:`numpy.savez` (an uncompressed zip of ``.npy``
members), holding:

* ``__meta__``: a ``uint8`` array, the UTF-8 bytes of a JSON object::

      {"format": "sklearn_linkembed", "format_version": 1, "kind": "KeyedVectors",
       "arrays": ["keys", "vectors"], "library_version": "0.1.0", ...}

  ``kind`` names what the archive holds (``"KeyedVectors"``, ``"LinkEmbedder"``, ...),
  ``arrays`` lists the other members, and each writer adds its own entries (for instance
  ``key_type``, ``"str"`` or ``"int"``, so that integer keys come back as integers).
* one member per array, each numeric (bool, int, float, complex) or fixed-width text
  (numpy ``U`` or ``S`` dtype). Object arrays are refused when writing, and every read
  uses ``allow_pickle=False``, so loading a file can never run code, whoever wrote it.

Keys (row names, link names) are stored as a ``U`` array when they are strings and an
``int64`` array when they are integers; :func:`encode_keys` and :func:`decode_keys` do the
conversion.

Versioning
----------
``format_version`` is an integer, incremented when a change would make older readers
misread a file. A reader accepts every version up to its own (:data:`FORMAT_VERSION`) and
refuses newer files with a :class:`ValueError` that says which version it found and which
it supports. Entries may be added to the metadata without a new version; readers ignore
entries they do not know.

Errors
------
A missing file raises :class:`FileNotFoundError`. A file that is not a zip archive, a
truncated or corrupt archive, an archive written by something else (no valid
``__meta__``), an archive of another ``kind`` and a newer ``format_version`` all raise
:class:`ValueError` naming the file and the problem.

Writes are atomic: the archive is written to a temporary file in the destination
directory and moved over ``path`` with :func:`os.replace`, so an interrupted save leaves
either the previous file or none, never half of one. The text formats are written the
same way.

The word2vec formats
--------------------
Both begin with a header line ``"n_keys vector_size"`` and hold one entry per key:

* text: the key and the ``vector_size`` values separated by single spaces, one line per
  key (:func:`write_word2vec` prints 9 significant digits, enough to read back the same
  ``float32``);
* binary: the key, a space, ``vector_size`` little-endian ``float32`` values and an
  optional newline (gensim writes none, the C tool and :func:`write_word2vec` one).

A key ends at its first space (and, in the text format, at the end of its line), so
:func:`write_word2vec` writes every whitespace character of a key as ``"_"``, and keys are
read back as strings. :func:`read_word2vec` raises a :class:`ValueError` that names the
line (text) or the entry and its byte offset (binary) and what was wrong when a file is
truncated or malformed.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from sklearn_linkembed._persistence import load_archive, save_archive
>>> path = os.path.join(tempfile.mkdtemp(), "table.npz")
>>> _ = save_archive(path, "Example", {"x": np.arange(3.0)}, {"note": "hello"})
>>> arrays, meta = load_archive(path, "Example")
>>> arrays["x"]
array([0., 1., 2.])
>>> meta["note"], meta["format_version"]
('hello', 1)
>>> load_archive(path, "KeyedVectors")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: Cannot load '...table.npz': it holds kind 'Example', expected 'KeyedVectors'.

A word2vec text file, written and read back:

>>> from sklearn_linkembed._persistence import read_word2vec, write_word2vec
>>> text = write_word2vec(os.path.join(tempfile.mkdtemp(), "v.txt"), ["Rogue One", "Up"],
...                       np.array([[3, 4], [0, 0.5]], dtype=np.float32))
>>> open(text, encoding="utf-8").read().splitlines()
['2 2', 'Rogue_One 3 4', 'Up 0 0.5']
>>> read_word2vec(text)
(['Rogue_One', 'Up'], array([[3. , 4. ],
       [0. , 0.5]], dtype=float32))
"""

import codecs
import errno
import json
import numbers
import os
import re
import secrets
import stat
import struct
import warnings
import zipfile
import zlib

import numpy as np

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "decode_keys",
    "encode_keys",
    "load_archive",
    "read_word2vec",
    "save_archive",
    "vectors_from_arrays",
    "vectors_to_arrays",
    "write_projector",
    "write_word2vec",
]

FORMAT_NAME = "sklearn_linkembed"
FORMAT_VERSION = 1

_META = "__meta__"
_RESERVED_META = ("format", "format_version", "kind", "arrays")
_ALLOWED_KINDS = "biufcUS"  # numpy dtype kinds that np.save writes without pickle
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"

_WHITESPACE = re.compile(r"\s")
_TSV_SPECIAL = re.compile(r"[\t\n\r]")
_LINES_PER_WRITE = 8192  # entries formatted per write call of the text writers
_READ_SIZE = 1 << 20  # bytes read at a time from a binary word2vec file
_MAX_KEY_BYTES = 1 << 16  # a longer "key" in a binary word2vec file means a malformed file


def save_archive(path, kind, arrays, meta=None):
    """Write arrays and metadata to ``path`` as a versioned ``.npz`` archive, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination file. It is written exactly there: no ``.npz`` suffix is added.
    kind : str
        What the archive holds, e.g. ``"KeyedVectors"``; :func:`load_archive` checks it.
    arrays : dict of str to array-like
        The arrays to store. Names must not start with ``"__"``. Arrays must be numeric or
        fixed-width text; object arrays are refused.
    meta : dict, default=None
        Extra JSON-serialisable metadata. The entries ``format``, ``format_version``,
        ``kind`` and ``arrays`` are reserved.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    TypeError
        If an array holds Python objects or ``meta`` is not JSON-serialisable.
    ValueError
        If an array name or a ``meta`` entry is reserved.
    """
    path = os.fspath(path)
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"kind must be a non-empty str, got {kind!r}.")
    meta = {} if meta is None else dict(meta)
    reserved = sorted(set(meta) & set(_RESERVED_META))
    if reserved:
        raise ValueError(f"meta entries {reserved} are reserved by the archive format.")

    members = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name.startswith("__"):
            raise ValueError(f"Invalid array name {name!r}: use a non-empty str not starting "
                             "with '__'.")
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(
                f"Array {name!r} has dtype {array.dtype}; only numeric and fixed-width text "
                "arrays can be saved (object arrays would need pickle)."
            )
        members[name] = array

    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "arrays": sorted(members),
        "library_version": _library_version(),
        **meta,
    }
    try:
        meta_bytes = json.dumps(header, sort_keys=True, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"meta must be JSON-serialisable (finite numbers only): {exc}") from exc
    members[_META] = np.frombuffer(meta_bytes, dtype=np.uint8)

    _atomic_write(path, lambda fh: np.savez(fh, **members))
    return path


def load_archive(path, expected_kind=None):
    """Read an archive written by :func:`save_archive`, refusing anything else.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    expected_kind : str, tuple of str or None, default=None
        The ``kind`` (or kinds) the caller can use; ``None`` accepts any.

    Returns
    -------
    arrays : dict of str to ndarray
        The stored arrays, fully read into memory.
    meta : dict
        The metadata, including ``format``, ``format_version`` and ``kind``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an archive of this format, is truncated or corrupt, holds
        another ``kind``, or was written with a newer ``format_version``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "No such file", path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic not in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC):
        raise ValueError(
            f"{path!r} is not a {FORMAT_NAME} archive: it is not an .npz (zip) file"
            + (" (the file is empty)." if not magic else ".")
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            if _META not in names:
                raise _Invalid(
                    f"it has no {_META!r} entry, so it was not written by {FORMAT_NAME}"
                )
            meta = _parse_meta(npz[_META])
            _check_meta(meta, expected_kind)
            listed = meta.get("arrays")
            if listed is not None:
                missing = sorted(set(listed) - names)
                if missing:
                    raise _Invalid(f"arrays {missing} listed in the metadata are missing")
            # Read everything now: the npz is lazy and the file is closed on return.
            arrays = {name: npz[name] for name in npz.files if name != _META}
            strays = sorted(name for name, value in arrays.items()
                            if not isinstance(value, np.ndarray))
            if strays:
                raise _Invalid(f"members {strays} are not .npy arrays")
    except _Invalid as exc:
        raise ValueError(f"Cannot load {path!r}: {exc}.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, KeyError,
            ValueError) as exc:
        if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
            problem = "it holds pickled Python objects, which are never loaded"
        else:
            problem = "the archive is truncated or corrupt"
        raise ValueError(
            f"Cannot load {path!r}: {problem} ({type(exc).__name__}: {exc})."
        ) from exc
    return arrays, meta


def encode_keys(keys):
    """Turn a list of keys into an array that can be saved without pickle.

    Parameters
    ----------
    keys : sequence of str or sequence of int
        All keys must be strings, or all integers (fitting in int64).

    Returns
    -------
    array : ndarray
        A ``U`` array for string keys, an ``int64`` array for integer keys.
    key_type : {"str", "int"}
        To record in the metadata and pass to :func:`decode_keys`.

    Examples
    --------
    >>> from sklearn_linkembed._persistence import decode_keys, encode_keys
    >>> array, key_type = encode_keys(["Rogue One", "Amélie"])
    >>> array.dtype.kind, key_type
    ('U', 'str')
    >>> decode_keys(*encode_keys([3, 1, 2]))
    [3, 1, 2]
    """
    keys = list(keys)
    if all(isinstance(k, str) for k in keys):
        if any(k.endswith("\x00") for k in keys):
            # numpy's fixed-width strings drop trailing NULs
            raise ValueError("str keys ending with a NUL character cannot be saved.")
        array = np.array(keys, dtype=str) if keys else np.empty(0, dtype="U1")
        return array, "str"
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))
           for k in keys):
        try:
            return np.array(keys, dtype=np.int64).reshape(-1), "int"
        except OverflowError:
            raise ValueError("int keys must fit in a signed 64-bit integer.") from None
    kinds = sorted({type(k).__name__ for k in keys})
    raise TypeError(f"Keys must be all str or all int to be saved; got types {kinds}.")


def decode_keys(array, key_type):
    """Turn an array written by :func:`encode_keys` back into a list of keys.

    Parameters
    ----------
    array : ndarray
        The stored keys.
    key_type : {"str", "int"}
        The type recorded by :func:`encode_keys`.

    Returns
    -------
    keys : list of str or list of int
        Plain Python objects.
    """
    array = np.asarray(array)
    if key_type == "str":
        if array.dtype.kind != "U":
            raise ValueError(f"str keys must be stored as a unicode array, got {array.dtype}.")
        return array.tolist()
    if key_type == "int":
        if array.dtype.kind not in "iu":
            raise ValueError(f"int keys must be stored as an integer array, got {array.dtype}.")
        return [int(k) for k in array.tolist()]
    raise ValueError(f"Unknown key_type {key_type!r}; supported: 'str', 'int'.")


def vectors_to_arrays(keys, vectors, prefix=""):
    """Arrays and metadata entries that describe a table of keyed vectors, for an archive.

    Parameters
    ----------
    keys : sequence of str or sequence of int
        The key of each row of ``vectors``, as :func:`encode_keys` takes them.
    vectors : ndarray of shape (n_keys, vector_size)
        The ``float32`` vectors.
    prefix : str, default=""
        Prepended to the names, so that several tables share one archive (e.g. ``"row_"``
        and ``"link_"``).

    Returns
    -------
    arrays : dict of str to ndarray
        ``{prefix}vectors`` and ``{prefix}keys``, for :func:`save_archive`.
    meta : dict
        ``{prefix}key_type``, for the archive's metadata.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed._persistence import vectors_from_arrays, vectors_to_arrays
    >>> arrays, meta = vectors_to_arrays([10, 20], np.eye(2, dtype=np.float32), "row_")
    >>> sorted(arrays), meta
    (['row_keys', 'row_vectors'], {'row_key_type': 'int'})
    >>> vectors_from_arrays(arrays, meta, "row_")[0]
    [10, 20]
    """
    encoded, key_type = encode_keys(keys)
    return ({f"{prefix}vectors": vectors, f"{prefix}keys": encoded},
            {f"{prefix}key_type": key_type})


def vectors_from_arrays(arrays, meta, prefix=""):
    """Inverse of :func:`vectors_to_arrays`: the keys and vectors of a table.

    Parameters
    ----------
    arrays : dict of str to ndarray
        As :func:`load_archive` returns them.
    meta : dict
        The archive's metadata.
    prefix : str, default=""
        The prefix the table was written with.

    Returns
    -------
    keys : list of str or list of int
        The keys, with their type.
    vectors : ndarray of shape (n_keys, vector_size)
        The ``float32`` vectors.

    Raises
    ------
    KeyError
        If an array or metadata entry of the table is missing.
    ValueError
        If the vectors are not ``float32`` or the keys not stored as :func:`encode_keys`
        stores them.
    """
    vectors = arrays[f"{prefix}vectors"]
    if vectors.dtype != np.float32:
        raise ValueError(f"vectors must be float32, got {vectors.dtype}.")
    return decode_keys(arrays[f"{prefix}keys"], meta[f"{prefix}key_type"]), vectors


def write_word2vec(path, keys, vectors, binary=False):
    """Write vectors in the word2vec text or binary format, atomically.

    The layout is described in the module documentation. Keys are written as
    ``str(key)`` with every whitespace character replaced by ``"_"``.

    Parameters
    ----------
    path : str or path-like
        Destination.
    keys : sequence of hashable
        The key of each row of ``vectors``.
    vectors : ndarray of shape (n_keys, vector_size)
        The vectors, written as ``float32``.
    binary : bool, default=False
        Write the binary format instead of text.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    ValueError
        If two keys become equal once written (``"Rogue One"`` and ``"Rogue_One"``), or a
        key is empty: a reader would lose a vector. Nothing is written then.
    """
    path = os.fspath(path)
    keys = list(keys)
    names = [_WHITESPACE.sub("_", str(key)) for key in keys]
    if "" in names:
        raise ValueError("An empty key cannot be written in the word2vec format.")
    if len(set(names)) != len(names):
        seen, clashes = {}, []
        for key, name in zip(keys, names):
            if name in seen and len(clashes) < 5:
                clashes.append((seen[name], key))
            seen.setdefault(name, key)
        raise ValueError(
            "Keys collide once whitespace is replaced by '_' for the word2vec format: "
            + ", ".join(f"{a!r} and {b!r}" for a, b in clashes)
        )
    vectors = np.asarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    step = _LINES_PER_WRITE

    def write(fh):
        fh.write(f"{n} {dim}\n".encode())
        if binary:
            little = vectors.astype("<f4", copy=False)
            for start in range(0, n, step):
                fh.write(b"".join(
                    name.encode("utf-8") + b" " + row.tobytes() + b"\n"
                    for name, row in zip(names[start:start + step], little[start:start + step])
                ))
        else:
            fmt = " ".join(["%.9g"] * dim)
            for start in range(0, n, step):
                rows = vectors[start:start + step].tolist()
                fh.write("".join(
                    f"{name} {fmt % tuple(row)}\n"
                    for name, row in zip(names[start:start + step], rows)
                ).encode("utf-8"))

    _atomic_write(path, write)
    return path


def read_word2vec(path, binary=False, *, limit=None, encoding="utf-8"):
    """Read a word2vec text or binary file, as gensim and the original C tool write them.

    The layout is described in the module documentation. As gensim does, the header's
    count of entries is read and anything after them is ignored, and when a key comes
    more than once its first vector is kept (with a :class:`UserWarning`).

    Parameters
    ----------
    path : str or path-like
        The file to read.
    binary : bool, default=False
        Read the binary format instead of text.
    limit : int or None, default=None
        Read at most this many entries, the first ones of the file; ``None`` reads them
        all.
    encoding : str, default="utf-8"
        The encoding of the keys (and of the text format's values).

    Returns
    -------
    keys : list of str
        The keys, in the order of the file.
    vectors : ndarray of shape (n_keys, vector_size)
        The ``float32`` vectors, C-contiguous.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is truncated or malformed: the message names the file, the line
        (text) or the entry and its byte offset (binary), and what was wrong. Also when a
        value is NaN or infinite, or ``limit`` is not a positive int.
    LookupError
        If ``encoding`` is not a known encoding.
    """
    path = os.fspath(path)
    if limit is not None and (not isinstance(limit, numbers.Integral)
                              or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}.")
    codecs.lookup(encoding)
    reader = _Word2VecReader(path, binary, encoding)
    with open(path, "rb") as fh:
        reader.fh = fh
        n, dim = reader.header()
        n = n if limit is None else min(n, int(limit))
        keys, vectors = reader.entries(n, dim)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if len(bad):
        raise reader.error(reader.where(bad[0], keys[bad[0]]), "a value is NaN or infinite")
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
    if len(first) < len(keys):
        keep = np.sort(np.fromiter(first.values(), dtype=np.int64, count=len(first)))
        repeated = list(dict.fromkeys(k for i, k in enumerate(keys) if first[k] != i))
        warnings.warn(f"{path!r}: {len(keys) - len(first)} duplicate keys in the word2vec "
                      f"file, e.g. {repeated[:5]}; kept the first vector of each.",
                      UserWarning, stacklevel=3)
        keys, vectors = [keys[i] for i in keep.tolist()], vectors[keep]
    return keys, vectors


class _Word2VecReader:
    """The parsing of :func:`read_word2vec`, with the positions its errors name."""

    def __init__(self, path, binary, encoding):
        self.path, self.binary, self.encoding = path, binary, encoding
        self.fh = None
        self.offsets = []  # binary: the byte offset of each entry

    def error(self, where, problem):
        kind = "binary" if self.binary else "text"
        end = "" if problem.endswith("?") else "."
        return ValueError(f"Cannot read {self.path!r} as a word2vec {kind} file: {where}: "
                          f"{problem}{end}")

    def where(self, i, key=None):
        """The position of entry ``i`` (from 0) in an error message."""
        named = "" if key is None else f" ({key!r})"
        if self.binary:
            return f"entry {i + 1}{named} at byte {self.offsets[i]}"
        return f"line {i + 2}{named}"

    def decode(self, raw, where):
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            hint = "" if self.binary else "; is it a binary file (binary=True)?"
            raise self.error(where, f"not valid {self.encoding} ({exc.reason} at byte "
                                    f"{exc.start} of the key){hint}") from None

    def header(self):
        raw = self.fh.readline()
        if not raw:
            raise self.error("line 1", "the file is empty, expected the header "
                                       "'n_keys vector_size'")
        parts = raw.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            shown = raw[:60].decode(self.encoding, "replace").rstrip("\r\n")
            raise self.error("line 1", f"expected the header 'n_keys vector_size' (two "
                                       f"non-negative integers), got {shown!r}")
        return int(parts[0]), int(parts[1])

    def entries(self, n, dim):
        """``(keys, vectors)`` of the ``n`` entries after the header."""
        status = os.fstat(self.fh.fileno())
        if stat.S_ISREG(status.st_mode):
            # a header announcing more entries than the file can hold allocates no more
            smallest = 4 * dim + 2 if self.binary else 2 * dim + 2
            n_rows = min(n, max(status.st_size - self.fh.tell(), 0) // smallest + 1)
        else:
            n_rows = n
        vectors = np.empty((n_rows, dim), dtype=np.float32)
        keys = []
        read = self._binary_entries if self.binary else self._text_entries
        read(n, dim, keys, vectors)
        return keys, vectors[:len(keys)]

    def _truncated(self, n, found):
        """The error for a file that ends where entry ``found`` (from 0) should begin."""
        return self.error(self.where(found), f"the file ends there, after {found} of the {n} "
                                             "entries its header announces; is it truncated, "
                                             "or the count wrong?")

    def _text_entries(self, n, dim, keys, vectors):
        step = _LINES_PER_WRITE
        for start in range(0, n, step):
            values = []
            for i in range(start, min(start + step, n)):
                raw = self.fh.readline()
                if not raw:
                    raise self._truncated(n, i)
                line = self.decode(raw.rstrip(), self.where(i))
                parts = line.split(" ")
                if len(parts) != dim + 1 or not parts[0]:
                    raise self.error(self.where(i), self._bad_line(parts, dim))
                keys.append(parts[0])
                values += parts[1:]
            try:
                block = np.array(values, dtype=np.float32)
            except ValueError:
                raise self._bad_value(start, keys, values, dim) from None
            vectors[start:len(keys)] = block.reshape(len(keys) - start, dim)

    @staticmethod
    def _bad_line(parts, dim):
        if parts == [""]:
            return f"an empty line where an entry (a key and {dim} values) was expected"
        if not parts[0]:
            return "the line starts with a space: the key is empty"
        got = len(parts) - 1
        hint = " (is there a space in a key, or two between values?)" if got > dim else ""
        return (f"expected a key and {dim} values separated by single spaces, got "
                f"{got} values{hint}")

    def _bad_value(self, start, keys, values, dim):
        """The error for the first value of a block of lines that is not a number."""
        for position, value in enumerate(values):
            try:
                np.array([value], dtype=np.float32)  # as the block was parsed
            except ValueError:
                i, column = start + position // dim, position % dim
                return self.error(self.where(i, keys[i]),
                                  f"value {column + 1} ({value!r}) is not a number")
        return self.error(self.where(start), "a value is not a number")  # pragma: no cover

    def _binary_entries(self, n, dim, keys, vectors):
        size = 4 * dim
        buffer, pos, consumed = b"", 0, self.fh.tell()  # consumed: file offset of buffer[0]
        rows = []

        def fill(needed):
            nonlocal buffer, pos, consumed
            while len(buffer) - pos < needed:
                more = self.fh.read(max(_READ_SIZE, needed))
                if not more:
                    return False
                consumed += pos
                buffer, pos = buffer[pos:] + more, 0
            return True

        for i in range(n):
            while fill(1) and buffer[pos:pos + 1] == b"\n":
                pos += 1
            self.offsets.append(consumed + pos)
            space = buffer.find(b" ", pos, pos + _MAX_KEY_BYTES + 1)
            while space < 0 and len(buffer) - pos <= _MAX_KEY_BYTES and fill(
                    len(buffer) - pos + 1):
                space = buffer.find(b" ", pos, pos + _MAX_KEY_BYTES + 1)
            if space < 0:
                if pos == len(buffer):
                    raise self._truncated(n, i)
                if len(buffer) - pos > _MAX_KEY_BYTES:
                    raise self.error(self.where(i), f"no space in the {_MAX_KEY_BYTES} bytes "
                                                    "after it, so no key ends there")
                raise self.error(self.where(i), "the file ends inside a key (no space after it)")
            raw = buffer[pos:space]
            if not raw or b"\n" in raw:
                raise self.error(self.where(i), ("the key holds a newline" if raw else
                                                 "the key is empty") + "; is it a text file "
                                                "(binary=False), or the vector size wrong?")
            key = self.decode(raw, self.where(i))
            pos = space + 1
            if not fill(size):
                raise self.error(self.where(i, key),
                                 f"the file ends inside its vector ({len(buffer) - pos} of "
                                 f"{size} bytes); is it truncated?")
            keys.append(key)
            rows.append(buffer[pos:pos + size])
            pos += size
            if len(rows) == _LINES_PER_WRITE or i == n - 1:
                stop = len(keys)
                vectors[stop - len(rows):stop] = np.frombuffer(
                    b"".join(rows), dtype="<f4").reshape(len(rows), dim)
                rows = []


def write_projector(directory, keys, vectors, metadata=None):
    """Write ``vectors.tsv`` and ``metadata.tsv`` for the TensorBoard Embedding Projector.

    ``vectors.tsv`` has one tab-separated line of values per key, no header.
    ``metadata.tsv`` has the key of each line: a single column without a header, or, with
    ``metadata``, a header line ``key<TAB>name...`` then one column per entry. Tabs and
    newlines inside values are replaced by spaces. Both files are written atomically.

    Parameters
    ----------
    directory : str or path-like
        Created if needed.
    keys : sequence of hashable
        The key of each row of ``vectors``.
    vectors : ndarray of shape (n_keys, vector_size)
        The vectors.
    metadata : dict of str to sequence, or pandas.DataFrame, default=None
        Extra columns, one value per key. Sequences are aligned with ``keys`` by position.
        A DataFrame whose index holds every key is aligned by label, any other DataFrame
        by position.

    Returns
    -------
    paths : tuple of str
        The paths of ``vectors.tsv`` and ``metadata.tsv``.

    Raises
    ------
    ValueError
        If a metadata column has the wrong length or clashes with another.
    """
    directory = os.fspath(directory)
    keys = list(keys)
    columns = _projector_columns(keys, metadata)
    os.makedirs(directory, exist_ok=True)
    vectors_path = os.path.join(directory, "vectors.tsv")
    metadata_path = os.path.join(directory, "metadata.tsv")
    vectors = np.asarray(vectors)
    n, dim = vectors.shape
    step = _LINES_PER_WRITE
    fmt = "\t".join(["%.9g"] * dim)

    def write_vectors(fh):
        for start in range(0, n, step):
            rows = vectors[start:start + step].tolist()
            fh.write("".join(f"{fmt % tuple(row)}\n" for row in rows).encode("utf-8"))

    def write_metadata(fh):
        names = list(columns)
        if len(names) > 1:
            fh.write(("\t".join(_tsv_cell(name) for name in names) + "\n").encode("utf-8"))
        values = [columns[name] for name in names]
        for start in range(0, n, step):
            fh.write("".join(
                "\t".join(_tsv_cell(v) for v in row) + "\n"
                for row in zip(*(col[start:start + step] for col in values))
            ).encode("utf-8"))

    _atomic_write(vectors_path, write_vectors)
    _atomic_write(metadata_path, write_metadata)
    return vectors_path, metadata_path


def _projector_columns(keys, metadata):
    """``{column name: values}``, the keys first, each aligned with ``keys``."""
    n = len(keys)
    columns = {"key": keys}
    if metadata is None:
        return columns
    if hasattr(metadata, "columns") and hasattr(metadata, "iloc"):  # a DataFrame
        frame = metadata
        positions = None
        if frame.index.is_unique:
            positions = frame.index.get_indexer(keys)
            if (positions < 0).any():
                positions = None
        if positions is None:
            if len(frame) != n:
                raise ValueError(
                    f"metadata has {len(frame)} rows and its index does not hold every "
                    f"key; expected {n} rows aligned with index_to_key."
                )
            positions = np.arange(n)
        frame = frame.iloc[positions]
        items = [(name, frame[name].tolist()) for name in frame.columns]
    else:
        items = [(name, list(values)) for name, values in dict(metadata).items()]
    for name, values in items:
        if str(name) in columns:
            raise ValueError(f"metadata column {name!r} clashes with another column.")
        if len(values) != n:
            raise ValueError(f"metadata column {name!r} has {len(values)} values, "
                             f"expected {n} (one per key).")
        columns[str(name)] = values
    return columns


def _tsv_cell(value):
    return _TSV_SPECIAL.sub(" ", str(value))


class _Invalid(Exception):
    """The archive is readable but is not a valid archive of this format."""


def _parse_meta(raw):
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Invalid(f"its {_META!r} entry is not a uint8 byte array")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Invalid(f"its {_META!r} entry is not UTF-8 JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise _Invalid(f"its {_META!r} entry is not a JSON object")
    return meta


def _check_meta(meta, expected_kind):
    if meta.get("format") != FORMAT_NAME:
        raise _Invalid(f"its format is {meta.get('format')!r}, not {FORMAT_NAME!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Invalid(f"its format_version {version!r} is not a positive integer")
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"it was written with format_version {version}, newer than this version of "
            f"{FORMAT_NAME} reads (format_version <= {FORMAT_VERSION}); upgrade "
            f"{FORMAT_NAME} to load it"
        )
    kind = meta.get("kind")
    if expected_kind is not None:
        accepted = (expected_kind,) if isinstance(expected_kind, str) else tuple(expected_kind)
        if kind not in accepted:
            wanted = " or ".join(repr(k) for k in accepted)
            raise _Invalid(f"it holds kind {kind!r}, expected {wanted}")


def _atomic_write(path, write):
    """Call ``write(fileobj)`` on a temporary file next to ``path``, then move it there."""
    directory, base = os.path.split(os.path.abspath(path))
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # os.open with mode 0o666 lets the umask decide the final permissions
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _library_version():
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version(FORMAT_NAME)
    except PackageNotFoundError:
        return None
