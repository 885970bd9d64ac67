"""Real data that ships with a package: scikit-learn's digits, and Fashion-MNIST.

:func:`digits` is the one train/test split of scikit-learn's 8x8 digits that Part III trains
and measures the digits CNN on (the data ship inside scikit-learn; nothing is downloaded).

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence) is 70,000 grayscale 28x28
images of clothing in 10 classes, split 60,000 / 10,000. This module reads the four IDX
files of the dataset, which :func:`fashion_mnist` looks for, in order, in

1. the folder named by the environment variable ``RSSLIB_DATA``;
2. ``/usr/share/datasets/fashion-mnist``, where Debian's package ``dataset-fashion-mnist``
   puts them (``make data`` installs it when run as root);
3. ``~/.cache/rsslib/fashion-mnist`` (or under ``$XDG_CACHE_HOME``), where
   :func:`fetch_fashion_mnist` downloads them from the dataset's published location.

Files may be gzipped or not. Their *decompressed* content is checked against SHA-256
digests (Debian recompresses the files, so the digests of the ``.gz`` files differ between
sources while the data do not).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from rsslib._validate import as_finite_real, as_int_seed

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
#: The dataset's own published location (the README of zalandoresearch/fashion-mnist).
SOURCE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: SHA-256 of each file's decompressed bytes (measured on Debian's dataset-fashion-mnist
#: 0.0~git20200523.55506a9-1).
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
# IDX type codes (third byte of the magic number) and the numpy types they denote.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data: bytes, name: str = "data") -> np.ndarray:
    """Decode the bytes of an IDX file (LeCun's format for MNIST) into an array.

    The header is two zero bytes, a type code, the number of dimensions d, then d
    big-endian 32-bit sizes; the values follow in C order, big-endian.

    Raises
    ------
    ValueError
        Naming ``name``, for a bad magic number, an unknown type code, or a length that
        does not match the header.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an IDX file (magic number {data[:4].hex()!r})")
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated header ({len(data)} bytes)")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{name}: {len(data)} bytes, but the header {shape} of {dtype} needs {expected}"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rsslib" / "fashion-mnist"


def data_dirs() -> list[Path]:
    """The folders searched for the IDX files, in order."""
    dirs = [Path(os.environ["RSSLIB_DATA"])] if os.environ.get("RSSLIB_DATA") else []
    return [*dirs, DEBIAN_DIR, _cache_dir()]


def _find(stem: str) -> Path | None:
    for folder in data_dirs():
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                return candidate
    return None


def _read_checked(path: Path, stem: str) -> bytes:
    raw = path.read_bytes()
    data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[stem]:
        raise ValueError(
            f"{path}: SHA-256 of its content is {digest}, expected {SHA256[stem]} "
            "(a corrupt or different file; delete it and run `make data`)"
        )
    return data


def fashion_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images and labels.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test examples.

    Returns
    -------
    images : numpy.ndarray of float32, shape (N, 1, 28, 28)
        Pixel intensities divided by 255, in [0, 1] (torch's (N, C, H, W) layout).
    labels : numpy.ndarray of int64, shape (N,)
        Class indices 0..9, named in :data:`CLASSES`.

    Raises
    ------
    FileNotFoundError
        If the files are in none of :func:`data_dirs`, saying how to get them.
    ValueError
        For a bad ``split``, or a file whose content fails its checksum or format.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    arrays = []
    for stem in FILES[split]:
        path = _find(stem)
        if path is None:
            searched = ", ".join(str(d) for d in data_dirs())
            raise FileNotFoundError(
                f"Fashion-MNIST file {stem} not found in {searched}. Get it with `make data` "
                "(as root: apt-get install dataset-fashion-mnist; otherwise "
                "`python -m rsslib fetch-data` downloads it into the cache), or point "
                "RSSLIB_DATA at a folder that holds the four IDX files."
            )
        arrays.append(parse_idx(_read_checked(path, stem), str(path)))
    images, labels = arrays
    if images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise ValueError(f"unexpected shapes: images {images.shape}, labels {labels.shape}")
    return (images[:, None].astype(np.float32) / 255.0), labels.astype(np.int64)


DIGITS_TEST_SIZE = 0.25


def digits(
    split: str = "train", test_size: float = DIGITS_TEST_SIZE, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits, one side of a stratified train/test split.

    The 1,797 images of ``sklearn.datasets.load_digits`` scaled from 0..16 to [0, 1], split by
    ``train_test_split(..., test_size=test_size, random_state=seed, stratify=labels)``: with
    the defaults, the 1,347 training and 450 test images of Part III (the digits CNN of
    ``scripts/train_digits_cnn.py`` and every measurement on it).

    Parameters
    ----------
    split : {"train", "test"}
        Which side of the split.
    test_size : float
        Fraction of the images in the test side, in (0, 1).
    seed : int or numpy.random.Generator
        The split's ``random_state``, a non-negative int (a Generator gives one int seed).

    Returns
    -------
    images : numpy.ndarray of float64, shape (N, 1, 8, 8)
        Pixel intensities divided by 16 (torch's (N, C, H, W) layout).
    labels : numpy.ndarray of int, shape (N,)
        The digits 0..9, in the split's order.

    Raises
    ------
    ValueError
        For a bad ``split``, ``test_size`` or ``seed``.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    test_size = as_finite_real(test_size, "test_size")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    seed = as_int_seed(seed)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float64)[:, None, :, :]
    x_train, x_test, y_train, y_test = train_test_split(
        images, data.target, test_size=test_size, random_state=seed, stratify=data.target
    )
    return (x_train, y_train) if split == "train" else (x_test, y_test)


def fetch_fashion_mnist(dest: Path | None = None, base_url: str = SOURCE_URL) -> Path:
    """Download the four files into ``dest`` (default: the cache), checking each.

    A file already there with the right content is kept. Each download goes to a
    temporary file that is renamed only once its checksum is right.
    """
    dest = Path(dest) if dest is not None else _cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for stem in (s for pair in FILES.values() for s in pair):
        target = dest / f"{stem}.gz"
        if target.exists():
            try:
                _read_checked(target, stem)
                continue
            except (ValueError, OSError, EOFError):
                target.unlink()
        with urllib.request.urlopen(f"{base_url}{stem}.gz", timeout=60) as response:
            raw = response.read()
        if hashlib.sha256(gzip.decompress(raw)).hexdigest() != SHA256[stem]:
            raise ValueError(f"downloaded {stem}.gz fails its checksum; nothing was written")
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=dest)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return dest
