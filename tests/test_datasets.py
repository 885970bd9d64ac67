"""Fashion-MNIST reading: the IDX parser on files written here, the search and checksum
rules, and the real files (Debian's dataset-fashion-mnist, installed by `make data`)."""

from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest

from rsslib import datasets
from rsslib.datasets import digits, fashion_mnist, fetch_fashion_mnist, parse_idx


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file written by hand from the format's definition."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize(
    ("dtype", "code"), [(np.uint8, 0x08), (np.int16, 0x0B), (np.int32, 0x0C), (np.float64, 0x0E)]
)
def test_parse_idx_reads_what_was_written(dtype, code):
    rng = np.random.default_rng(0)
    array = (rng.uniform(-100, 200, size=(3, 4, 5))).astype(dtype)
    if dtype == np.uint8:
        array = rng.integers(0, 256, size=(3, 4, 5)).astype(np.uint8)
    parsed = parse_idx(idx_bytes(array, code))
    assert parsed.shape == (3, 4, 5) and parsed.dtype == np.dtype(dtype)
    assert np.array_equal(parsed, array)


def test_parse_idx_refuses_malformed_files():
    good = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3), 0x08)
    with pytest.raises(ValueError, match="not an IDX file"):
        parse_idx(b"\x01" + good[1:], "f")
    with pytest.raises(ValueError, match="unknown IDX type code 0x07"):
        parse_idx(good[:2] + b"\x07" + good[3:], "f")
    with pytest.raises(ValueError, match="needs 18"):
        parse_idx(good[:-2], "f")
    with pytest.raises(ValueError, match="truncated header"):
        parse_idx(good[:6], "f")


@pytest.fixture
def no_default_dirs(monkeypatch, tmp_path):
    """Hide the Debian folder and the user's cache: only RSSLIB_DATA is searched."""
    monkeypatch.setattr(datasets, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "no-cache"))
    return tmp_path


def test_missing_files_say_how_to_get_them(no_default_dirs, monkeypatch):
    monkeypatch.setenv("RSSLIB_DATA", str(no_default_dirs / "empty"))
    with pytest.raises(FileNotFoundError, match="make data"):
        fashion_mnist("test")
    with pytest.raises(ValueError, match="split must be"):
        fashion_mnist("validation")


def test_a_file_with_other_content_fails_its_checksum(no_default_dirs, monkeypatch):
    folder = no_default_dirs / "fake"
    folder.mkdir()
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
    labels = gzip.compress(idx_bytes(np.array([1, 2], dtype=np.uint8), 0x08))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(labels)
    monkeypatch.setenv("RSSLIB_DATA", str(folder))
    with pytest.raises(ValueError, match="SHA-256"):
        fashion_mnist("test")


real = pytest.mark.skipif(
    not (datasets.DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").exists(),
    reason="Fashion-MNIST is not installed (make data)",
)


@real
@pytest.mark.parametrize(("split", "count"), [("train", 60_000), ("test", 10_000)])
def test_real_files(split, count):
    images, labels = fashion_mnist(split)
    assert images.shape == (count, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (count,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    # the dataset is balanced by construction: count / 10 examples of each class
    assert np.array_equal(np.bincount(labels, minlength=10), np.full(10, count // 10))
    # pixels are multiples of 1/255 (8-bit grey levels), not rescaled twice
    assert np.allclose(images[:50] * 255, np.round(images[:50] * 255), atol=1e-4)


@real
def test_fetch_checks_what_it_downloads(tmp_path):
    source = tmp_path / "mirror"
    shutil.copytree(datasets.DEBIAN_DIR, source)
    dest = fetch_fashion_mnist(tmp_path / "cache", base_url=source.as_uri() + "/")
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        f"{stem}.gz" for pair in datasets.FILES.values() for stem in pair
    )
    # a corrupted source is refused and leaves nothing behind
    bad = tmp_path / "bad"
    shutil.copytree(source, bad)
    (bad / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01junk"))
    with pytest.raises(ValueError, match="fails its checksum"):
        fetch_fashion_mnist(tmp_path / "cache2", base_url=bad.as_uri() + "/")
    assert not (tmp_path / "cache2" / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list((tmp_path / "cache2").glob(".*.part"))


# --------------------------------------------------------------------- digits
def test_digits_split_is_a_stratified_partition_of_load_digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x_train, y_train = digits("train")
    x_test, y_test = digits("test")
    assert x_train.shape == (1347, 1, 8, 8) and x_test.shape == (450, 1, 8, 8)
    assert x_train.dtype == x_test.dtype == np.float64
    # together, every image once with its label (a partition), scaled from 0..16 to [0, 1]
    both = np.concatenate([x_train, x_test]).reshape(len(data.images), -1) * 16
    labels = np.concatenate([y_train, y_test])
    ours = sorted(map(tuple, np.column_stack([labels, both])))
    ref = np.column_stack([data.target, data.images.reshape(len(data.images), -1)])
    assert ours == sorted(map(tuple, ref))
    # stratified: each class is within one image of a quarter in the test side
    for c in range(10):
        n = int((data.target == c).sum())
        assert abs(int((y_test == c).sum()) - n / 4) <= 1
    # the same split every call; another seed gives another split
    assert np.array_equal(digits("test")[0], x_test)
    assert not np.array_equal(digits("test", seed=1)[1], y_test)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "valid"}, "split"),
        ({"test_size": 0.0}, "test_size"),
        ({"test_size": 1.0}, "test_size"),
        ({"test_size": "a"}, "test_size"),
        ({"seed": "abc"}, "seed"),
        ({"seed": -1}, "seed"),
    ],
)
def test_digits_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits(**kwargs)
