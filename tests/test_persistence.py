"""Tests of the safe archive format (sklearn_linkembed._persistence)."""

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
    save_archive,
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
