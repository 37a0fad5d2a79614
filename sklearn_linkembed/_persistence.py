"""Safe, versioned file format for vectors and models (no pickle, ever).

Everything this package saves -- :class:`~sklearn_linkembed.keyedvectors.KeyedVectors`,
a fitted ``LinkEmbedder`` -- goes through :func:`save_archive` and comes back through
:func:`load_archive`.

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
either the previous file or none, never half of one.

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
"""

import errno
import json
import os
import secrets
import struct
import zipfile
import zlib

import numpy as np

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "decode_keys",
    "encode_keys",
    "load_archive",
    "save_archive",
]

FORMAT_NAME = "sklearn_linkembed"
FORMAT_VERSION = 1

_META = "__meta__"
_RESERVED_META = ("format", "format_version", "kind", "arrays")
_ALLOWED_KINDS = "biufcUS"  # numpy dtype kinds that np.save writes without pickle
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"


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
