"""Tests of the file formats (sklearn_linkembed._persistence): the safe archive, word2vec."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from sklearn_linkembed._persistence import (
    FORMAT_NAME,
    FORMAT_VERSION,
    _atomic_write,
    decode_keys,
    encode_keys,
    load_archive,
    read_word2vec,
    save_archive,
    vectors_from_arrays,
    vectors_to_arrays,
    write_word2vec,
)
from sklearn_linkembed.keyedvectors import KeyedVectors


def _arrays():
    return {
        "floats": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "ints": np.array([3, -1, 2**40], dtype=np.int64),
        "flags": np.array([True, False]),
        "names": np.array(["Rogue One", "Amélie", "千と千尋の神隠し"]),
    }


def _raw_npz(path, meta, **arrays):
    """An npz written without save_archive, with ``meta`` as its JSON metadata."""
    members = dict(arrays)
    if meta is not None:
        members["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **members)
    return path


def _valid_meta(**changes):
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": "Thing"}
    meta.update(changes)
    return meta


class _CreatesMarker:
    """Unpickling this object creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "archive.npz"
    save_archive(path, "Thing", _arrays(), {"n": 3, "params": {"alpha": 0.5}})
    return path


def test_round_trip_is_exact(saved):
    """Arrays come back with the same dtype, shape and bits, and meta entries too."""
    arrays, meta = load_archive(saved, "Thing")
    expected = _arrays()
    assert sorted(arrays) == sorted(expected)
    for name, value in expected.items():
        assert arrays[name].dtype == value.dtype
        assert arrays[name].tobytes() == value.tobytes()
    assert meta["n"] == 3 and meta["params"] == {"alpha": 0.5}
    assert meta["format"] == FORMAT_NAME
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["kind"] == "Thing"
    assert meta["arrays"] == sorted(expected)


def test_writes_exactly_at_path_without_leftovers(tmp_path):
    """No .npz suffix is added and no temporary file is left behind."""
    path = tmp_path / "vectors.bin"
    assert save_archive(path, "Thing", {"x": np.zeros(2)}) == str(path)
    assert sorted(os.listdir(tmp_path)) == ["vectors.bin"]
    assert zipfile.is_zipfile(path)


def test_expected_kind_accepts_none_and_tuples(saved):
    assert load_archive(saved)[1]["kind"] == "Thing"
    assert load_archive(saved, ("Other", "Thing"))[1]["kind"] == "Thing"


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_archive(tmp_path / "nothing.npz", "Thing")


@pytest.mark.parametrize("keep", [0.99, 0.5, 0.1, 10])
def test_truncated_file_raises_value_error(saved, keep):
    data = saved.read_bytes()
    size = keep if isinstance(keep, int) else int(len(data) * keep)
    saved.write_bytes(data[:size])
    with pytest.raises(ValueError, match="archive.npz"):
        load_archive(saved, "Thing")


def test_corrupt_array_bytes_raise_value_error(saved):
    """A flipped byte inside an array's data fails the zip CRC check."""
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("floats.npy")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[offset + info.file_size - 5] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        load_archive(saved, "Thing")


@pytest.mark.parametrize("content", [b"", b"hello, world\n", b"\x93NUMPY not really"])
def test_non_npz_file_raises_value_error(tmp_path, content):
    path = tmp_path / "file.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not an .npz"):
        load_archive(path, "Thing")


def test_npy_file_raises_value_error(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(3))
    with pytest.raises(ValueError, match="not an .npz"):
        load_archive(path, "Thing")


def test_foreign_npz_without_meta_raises_value_error(tmp_path):
    path = _raw_npz(tmp_path / "foreign.npz", None, vectors=np.ones((2, 2)))
    with pytest.raises(ValueError, match="__meta__"):
        load_archive(path, "Thing")


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"format": "someone_else", "format_version": 1, "kind": "Thing"}, "format"),
        ({"format_version": 1, "kind": "Thing"}, "format"),
        (_valid_meta(format_version="1"), "format_version"),
        (_valid_meta(format_version=0), "format_version"),
        (["not", "a", "dict"], "JSON object"),
    ],
)
def test_invalid_meta_raises_value_error(tmp_path, meta, message):
    path = _raw_npz(tmp_path / "bad.npz", meta, x=np.zeros(1))
    with pytest.raises(ValueError, match=message):
        load_archive(path, "Thing")


def test_meta_that_is_not_json_raises_value_error(tmp_path):
    path = tmp_path / "bad.npz"
    with open(path, "wb") as fh:
        np.savez(fh, __meta__=np.frombuffer(b"\xff{not json", dtype=np.uint8))
    with pytest.raises(ValueError, match="JSON"):
        load_archive(path, "Thing")


def test_wrong_kind_raises_value_error(saved):
    with pytest.raises(ValueError, match="'Thing', expected 'KeyedVectors'"):
        load_archive(saved, "KeyedVectors")


def test_newer_format_version_is_refused(tmp_path):
    path = _raw_npz(tmp_path / "future.npz", _valid_meta(format_version=FORMAT_VERSION + 1),
                    x=np.zeros(1))
    with pytest.raises(ValueError, match=rf"format_version {FORMAT_VERSION + 1}.*<= "
                                         rf"{FORMAT_VERSION}"):
        load_archive(path, "Thing")


def test_older_or_equal_version_and_unknown_entries_are_accepted(tmp_path):
    path = _raw_npz(tmp_path / "v1.npz", _valid_meta(format_version=1, extra="ignored"),
                    x=np.arange(2))
    arrays, meta = load_archive(path, "Thing")
    np.testing.assert_array_equal(arrays["x"], [0, 1])
    assert meta["extra"] == "ignored"


def test_array_listed_in_meta_but_missing_raises_value_error(tmp_path):
    path = _raw_npz(tmp_path / "partial.npz", _valid_meta(arrays=["x", "y"]), x=np.zeros(1))
    with pytest.raises(ValueError, match="missing"):
        load_archive(path, "Thing")


def test_marker_payload_runs_when_unpickled(tmp_path):
    """Control for the test below: unpickling the payload does create the marker."""
    marker = tmp_path / "control_marker"
    pickle.loads(pickle.dumps(_CreatesMarker(marker)))
    assert marker.exists()


@pytest.mark.parametrize("kind", ["Thing", "KeyedVectors"])
def test_pickled_object_array_is_refused_without_running_code(tmp_path, kind):
    """An archive smuggling a pickled object array is refused and its payload never runs."""
    marker = tmp_path / "marker"
    payload = np.empty(1, dtype=object)
    payload[0] = _CreatesMarker(marker)
    path = _raw_npz(tmp_path / "evil.npz", _valid_meta(kind=kind), vectors=payload,
                    keys=np.array(["a"]))
    with pytest.raises(ValueError, match="pickle"):
        if kind == "KeyedVectors":
            KeyedVectors.load(path)
        else:
            load_archive(path, "Thing")
    assert not marker.exists()


def test_pickled_meta_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "marker"
    payload = np.empty(1, dtype=object)
    payload[0] = _CreatesMarker(marker)
    path = tmp_path / "evil.npz"
    with open(path, "wb") as fh:
        np.savez(fh, __meta__=payload)
    with pytest.raises(ValueError):
        load_archive(path, "Thing")
    assert not marker.exists()


def test_object_arrays_are_refused_when_saving(tmp_path):
    with pytest.raises(TypeError, match="object"):
        save_archive(tmp_path / "x.npz", "Thing", {"x": np.array([{}, []], dtype=object)})
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("name", ["__meta__", "__x", ""])
def test_reserved_array_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="name"):
        save_archive(tmp_path / "x.npz", "Thing", {name: np.zeros(1)})


@pytest.mark.parametrize("entry", ["format", "format_version", "kind", "arrays"])
def test_reserved_meta_entries_are_refused(tmp_path, entry):
    with pytest.raises(ValueError, match="reserved"):
        save_archive(tmp_path / "x.npz", "Thing", {}, {entry: 1})


def test_meta_must_be_json_serialisable(tmp_path):
    with pytest.raises(TypeError, match="JSON"):
        save_archive(tmp_path / "x.npz", "Thing", {}, {"array": np.zeros(2)})
    with pytest.raises(TypeError, match="JSON"):
        save_archive(tmp_path / "x.npz", "Thing", {}, {"tol": float("nan")})


def test_failed_save_keeps_previous_file(saved):
    """An interrupted write leaves the old archive intact and no temporary file."""
    before = saved.read_bytes()

    def write_half_then_fail(fh):
        fh.write(before[: len(before) // 2])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _atomic_write(saved, write_half_then_fail)
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]
    load_archive(saved, "Thing")


def test_save_replaces_existing_file(saved):
    save_archive(saved, "Other", {"y": np.ones(1)})
    arrays, meta = load_archive(saved, "Other")
    assert list(arrays) == ["y"] and meta["kind"] == "Other"


@pytest.mark.parametrize(
    "keys, key_type",
    [
        (["Rogue One", "Amélie", "", "tab\there", "千と千尋の神隠し"], "str"),
        ([0, 5, -3, 2**62], "int"),
        ([np.int32(1), np.int64(7)], "int"),
        ([], "str"),
    ],
)
def test_keys_round_trip(keys, key_type):
    array, found_type = encode_keys(keys)
    assert found_type == key_type
    assert array.dtype.kind in "Ui" and not array.dtype.hasobject
    decoded = decode_keys(array, found_type)
    assert decoded == [k if isinstance(k, str) else int(k) for k in keys]
    assert all(type(k) is (str if key_type == "str" else int) for k in decoded)


@pytest.mark.parametrize("keys", [["a", 1], [True, False], [1.5], [("a", 1)]])
def test_keys_of_other_types_are_refused(keys):
    with pytest.raises(TypeError, match="all str or all int"):
        encode_keys(keys)


def test_keys_too_large_or_with_trailing_nul_are_refused():
    with pytest.raises(ValueError, match="64-bit"):
        encode_keys([2**70])
    with pytest.raises(ValueError, match="NUL"):
        encode_keys(["a\x00"])


def test_decode_keys_checks_the_stored_type():
    with pytest.raises(ValueError, match="key_type"):
        decode_keys(np.array([1]), "float")
    with pytest.raises(ValueError, match="unicode"):
        decode_keys(np.array([1]), "str")


# ------------------------------------------------------------- word2vec files, read back

def _w2v_binary(entries, header=None, newline=b"\n"):
    """The bytes of a binary word2vec file of ``(key, values)`` entries."""
    n, dim = header or (len(entries), len(entries[0][1]))
    return f"{n} {dim}\n".encode() + b"".join(
        key.encode() + b" " + np.asarray(values, "<f4").tobytes() + newline
        for key, values in entries)


def test_word2vec_text_and_binary_round_trip(tmp_path):
    keys = ["Rogue_One", "千と千尋の神隠し", "Amélie"]
    vectors = np.array([[1.5, -2.0], [0.1, 3e-39], [1e38, -0.0]], dtype=np.float32)
    for binary in (False, True):
        path = write_word2vec(tmp_path / f"v{binary}", keys, vectors, binary=binary)
        read_keys, read_vectors = read_word2vec(path, binary=binary)
        assert read_keys == keys
        assert read_vectors.tobytes() == vectors.tobytes()
        assert read_vectors.flags.c_contiguous


def test_word2vec_binary_entries_with_and_without_newlines(tmp_path):
    entries = [("a", [1, 2]), ("b", [3, 4]), ("c", [5, 6])]
    for newline in (b"", b"\n"):
        path = tmp_path / "v.bin"
        path.write_bytes(_w2v_binary(entries, newline=newline))
        keys, vectors = read_word2vec(path, binary=True)
        assert keys == ["a", "b", "c"] and vectors.tolist() == [[1, 2], [3, 4], [5, 6]]
    # entries past the header's count are not read, as in gensim
    path.write_bytes(_w2v_binary(entries, header=(2, 2)))
    assert read_word2vec(path, binary=True)[0] == ["a", "b"]


def test_word2vec_text_tolerates_trailing_spaces_and_crlf(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\r\nx 1 2 3 \r\ny 4 5 6\n")
    keys, vectors = read_word2vec(path)
    assert keys == ["x", "y"] and vectors.tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("content, message", [
    (b"", "line 1: the file is empty"),
    (b"3\nx 1 2 3\n", "line 1: expected the header 'n_keys vector_size'"),
    (b"two 3\nx 1 2 3\n", "line 1: expected the header .*'two 3'"),
    (b"2 3\nx 1 2 3\n", ("line 3: the file ends there, after 1 of the 2 entries its header "
                         r"announces; is it truncated, or the count wrong\?$")),
    (b"2 3\n", "line 2: the file ends there, after 0 of the 2 entries"),
    (b"2 3\nx 1 2 3\ny 4 5\n", ("line 3: expected a key and 3 values separated by single "
                                "spaces, got 2 values")),
    (b"1 3\nRogue One 1 2 3\n", r"line 2: .*got 4 values \(is there a space in a key"),
    (b"1 3\nx 1  2 3\n", "line 2: .*got 4 values"),
    (b"2 3\nx 1 2 3\n\ny 4 5 6\n", "line 3: an empty line where an entry"),
    (b"1 3\n 1 2 3\n", "line 2: the line starts with a space: the key is empty"),
    (b"2 3\nx 1 2 3\ny 4 five 6\n", r"line 3 \('y'\): value 2 \('five'\) is not a number"),
    (b"2 3\nx 1 2 3\ny 4 nan 6\n", r"line 3 \('y'\): a value is NaN or infinite"),
    (b"1 3\n\xff\xfe 1 2 3\n", "line 2: not valid utf-8 .*binary=True"),
])
def test_malformed_word2vec_text_names_the_line_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Cannot read '.*bad.txt' as a word2vec text file: "
                                         + message):
        read_word2vec(path)


def test_malformed_word2vec_binary_names_the_entry_and_the_problem(tmp_path):
    path = tmp_path / "bad.bin"
    whole = _w2v_binary([("ab", [1, 2, 3]), ("cd", [4, 5, 6])])
    header = len(b"2 3\n")

    def error(content):
        path.write_bytes(content)
        with pytest.raises(ValueError, match="as a word2vec binary file: ") as info:
            read_word2vec(path, binary=True)
        return str(info.value)

    second = header + 3 + 12 + 1  # "ab " + 3 floats + newline
    assert f"entry 2 ('cd') at byte {second}: the file ends inside its vector (4 of 12 " \
        "bytes); is it truncated?" in error(whole[:-9])
    assert f"entry 2 at byte {second}: the file ends inside a key" in error(
        whole[:second + 1])
    assert "entry 1 at byte 4: the file ends there, after 0 of the 2 entries" in error(
        whole[:header])
    assert f"entry 2 at byte {second}: the file ends there, after 1 of the 2 entries" in error(
        whole[:second])
    assert f"entry 2 ('cd') at byte {second}: a value is NaN or infinite." in error(
        _w2v_binary([("ab", [1, 2, 3]), ("cd", [4, np.inf, 6])]))
    # a text file read as binary: a key comes out empty, or runs over a line end
    assert "entry 2 at byte 19: the key is empty; is it a text file (binary=False)" in error(
        b"2 3\nab 1 2 3\ncd 4 5 6\n")
    assert "entry 2 at byte 19: the key holds a newline; is it a text file" in error(
        b"2 3\nab 1.0 2.0 3.0 x\ny 4 5 6\n")
    assert "entry 1 at byte 4: no space in the 65536 bytes after it" in error(
        b"1 3\n" + b"x" * 70_000)


def test_word2vec_header_announcing_too_many_entries_allocates_only_the_file(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(_w2v_binary([("a", [1.0, 2.0])], header=(10**12, 2)))
    with pytest.raises(ValueError, match="after 1 of the 1000000000000 entries"):
        read_word2vec(path, binary=True)
    assert read_word2vec(path, binary=True, limit=1)[0] == ["a"]


def test_vectors_to_arrays_round_trip(tmp_path):
    vectors = np.eye(3, dtype=np.float32)
    arrays, meta = vectors_to_arrays(["a", "b", "c"], vectors, "row_")
    path = save_archive(tmp_path / "t.npz", "Table", arrays, meta)
    keys, loaded = vectors_from_arrays(*load_archive(path), "row_")
    assert keys == ["a", "b", "c"] and loaded.tobytes() == vectors.tobytes()
    with pytest.raises(ValueError, match="float32"):
        vectors_from_arrays({"vectors": np.eye(2), "keys": np.array(["a", "b"])},
                            {"key_type": "str"})


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_reads_in_small_pieces_the_same(tmp_path, monkeypatch, binary):
    """Tiny read buffers and blocks of lines: the same vectors, the same error lines."""
    from sklearn_linkembed import _persistence

    rng = np.random.default_rng(5)
    keys = [f"k{i}é" * (1 + i % 4) for i in range(50)]
    vectors = rng.standard_normal((50, 3)).astype(np.float32)
    path = write_word2vec(tmp_path / "v", keys, vectors, binary=binary)
    expected = read_word2vec(path, binary=binary)
    monkeypatch.setattr(_persistence, "_READ_SIZE", 5)
    monkeypatch.setattr(_persistence, "_LINES_PER_WRITE", 3)
    got = read_word2vec(path, binary=binary)
    assert got[0] == expected[0] == keys
    assert got[1].tobytes() == expected[1].tobytes() == vectors.tobytes()
    if not binary:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        lines[41] = lines[41].rsplit(" ", 1)[0] + " oops"
        (tmp_path / "bad").write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=f"line 42 \\({keys[40]!r}\\): value 3 \\('oops'\\)"):
            read_word2vec(tmp_path / "bad")
