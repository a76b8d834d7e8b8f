"""Loader of the MNIST handwritten digits from the four IDX files the user has, parsed by hand.

MNIST (LeCun, Cortes & Burges) comes as four files, each raw or gzipped:

    train-images-idx3-ubyte   train-labels-idx1-ubyte     60,000 training digits
    t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte      10,000 test digits

The IDX format is a big-endian header, then unsigned bytes: images start with the magic number
2051 (0x00000803: ubyte data, 3 dimensions) and the sizes n, rows, columns; labels with 2049
(0x00000801: ubyte data, 1 dimension) and n. Nothing is downloaded here.

    images, labels = load_mnist("data/mnist", split="train")   # (60000, 28, 28, 1), (60000,)
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from jaxnn.validate import check_path

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SOURCE = (
    "Yann LeCun's page http://yann.lecun.com/exdb/mnist/ or one of its mirrors "
    "(e.g. https://ossci-datasets.s3.amazonaws.com/mnist/)"
)
_GZIP_MAGIC = b"\x1f\x8b"


def _find(directory: Path, name: str, split: str) -> Path:
    """`name`, `name.gz`, or the variant with a dot before 'idx' (as some mirrors spell it)."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    names = " and ".join(f"{n}[.gz]" for n in MNIST_FILES[split])
    where = (
        f"the directory {str(directory)!r} has no file {name} or {name}.gz"
        if directory.is_dir()
        else f"there is no directory {str(directory)!r}"
    )
    raise FileNotFoundError(
        f"load_mnist(directory=..., split={split!r}): {where}. Expected the MNIST IDX files "
        f"{names} (raw or gzipped) in that directory; MNIST comes from {MNIST_SOURCE}. Download "
        "the four files once and pass their directory."
    )


def _read(path: Path) -> bytes:
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
    try:
        if compressed:
            with gzip.open(path, "rb") as file:
                return file.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(
            f"load_mnist: {path} is a damaged gzip file ({error}). Download it again."
        ) from error


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """Parse one IDX file of unsigned bytes (raw or gzipped) into an array of its shape.

    Args:
        path: the file.
        magic: the expected magic number: 2051 for images (n, rows, columns), 2049 for labels (n,).

    Returns:
        uint8 array whose shape is read from the header.
    """
    path = Path(path)
    data = _read(path)
    kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "IDX data")
    if len(data) < 4:
        raise ValueError(
            f"load_mnist: {path} is truncated: {len(data)} bytes, too short for an "
            "IDX header. Download it again."
        )
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        other = {IMAGES_MAGIC: " (an images file)", LABELS_MAGIC: " (a labels file)"}.get(found, "")
        raise ValueError(
            f"load_mnist: {path} has magic number {found} (0x{found:08x}){other}, expected "
            f"{magic} (0x{magic:08x}) for MNIST {kind}. Check that the file is the IDX {kind} "
            "file and not swapped with another or corrupted."
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"load_mnist: {path} is truncated: {len(data)} bytes, the IDX header "
            f"alone needs {header}. Download it again."
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if 0 in shape:
        raise ValueError(
            f"load_mnist: {path} is corrupt: its header announces {kind} of shape {shape}, with "
            "a zero dimension (MNIST has 28 x 28 images). Download it again."
        )
    expected = header + math.prod(shape)  # Python ints: a corrupt header cannot overflow
    if len(data) > expected:
        raise ValueError(
            f"load_mnist: {path} is corrupt: the header announces {kind} of shape {shape}, "
            f"{expected} bytes in all, but the file has {len(data) - expected} trailing "
            f"byte(s) ({len(data)} bytes). Check that it is the {kind} file of this split, or "
            "download it again."
        )
    if len(data) < expected:
        raise ValueError(
            f"load_mnist: {path} is truncated: the header announces {kind} of shape {shape}, "
            f"{expected} bytes in all, but the file has {len(data)} bytes. Download it again."
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected - header, offset=header).reshape(
        shape
    )


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzipped if `path` ends in .gz); the inverse of
    `read_idx`, for storing one's own images in the MNIST format (and for tests).

    Args:
        path: where to write.
        array: (n,) labels or (n, rows, columns) images of values 0..255.

    Returns:
        The path written.
    """
    array = np.asarray(array)
    if array.ndim not in (1, 3) or (array.size and (array.min() < 0 or array.max() > 255)):
        raise ValueError(
            f"write_idx(array=...): expected labels (n,) or images (n, rows, "
            f"columns) of values 0..255, got shape {array.shape}."
        )
    magic = LABELS_MAGIC if array.ndim == 1 else IMAGES_MAGIC
    header = b"".join(int(v).to_bytes(4, "big") for v in (magic, *array.shape))
    data = header + array.astype(np.uint8).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as file:
            file.write(data)
    else:
        path.write_bytes(data)
    return path


def load_mnist(directory: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Read the MNIST images and labels of one split from IDX files in `directory`.

    Args:
        directory: the folder holding the IDX files (raw or .gz; gzip is recognised by content).
        split: "train" (train-*, 60,000 digits) or "test" (t10k-*, 10,000 digits).

    Returns:
        ``(images, labels)``: ``images: (n, rows, columns, 1)`` float32 in [0, 1] (pixel / 255,
        (n, 28, 28, 1) for MNIST, NHWC as `jaxnn.CNN` takes), ``labels: (n,)`` int32 digits.

    Raises:
        FileNotFoundError: a file is missing (the message says where MNIST comes from).
        ValueError: a wrong magic number, a truncated file, or different image and label counts.
    """
    if not isinstance(split, str) or split not in MNIST_FILES:
        raise ValueError(f"load_mnist(split={split!r}): expected 'train' or 'test'.")
    directory = check_path(directory, "load_mnist(directory=...)", kind="directory",
                           must_exist=False)
    image_name, label_name = MNIST_FILES[split]
    image_path = _find(directory, image_name, split)
    label_path = _find(directory, label_name, split)
    images = read_idx(image_path, IMAGES_MAGIC)
    labels = read_idx(label_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {image_path} holds {len(images)} images but {label_path} holds "
            f"{len(labels)} labels; they must be the pair of one split. Download them again."
        )
    return (images[..., None].astype(np.float32) / 255.0), labels.astype(np.int32)
