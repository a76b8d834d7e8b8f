"""Bad input is caught at the door (issue 14): each case is a call, the exception it must raise,
and the words its message must hold (the argument's name, what was expected, what came).

Cases that train anything use a few samples and one epoch; the table runs in a few seconds.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn import datasets
from jaxnn.checkpoint import TrainingCheckpoints, load_params, save_params
from jaxnn.datasets.mnist import IMAGES_MAGIC, LABELS_MAGIC, read_idx, write_idx
from jaxnn.step import TrainState

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int32)
IMAGES = RNG.normal(size=(16, 8, 8, 1)).astype(np.float32)
IMAGE_LABELS = (IMAGES.mean(axis=(1, 2, 3)) > 0).astype(np.int32)
MODEL = jaxnn.MLP([4, 2])


@functools.cache
def _params():
    return jax.jit(MODEL.init)(jax.random.PRNGKey(0), X[:1])


@functools.cache
def _result():
    return jaxnn.fit(MODEL, (X, Y), epochs=1, verbose=0)


def _fit(model=MODEL, x=X, y=Y, **options):
    return jaxnn.fit(model, (x, y), epochs=1, verbose=0, **options)


def _loop(loss_fn, params=None, **options):
    params = {"w": jnp.ones(3)} if params is None else params
    options = {"optimizer": optax.sgd(0.1), "epochs": 1, **options}
    return jaxnn.train_loop(loss_fn, params, {"x": X}, **options)


def _quadratic(params, batch, key):
    return jnp.sum(params["w"] ** 2), {}


def _a_file(tmp_path):
    path = tmp_path / "a_file.txt"
    path.write_text("not a directory")
    return path


# (id, call(tmp_path), exception, words the message must contain)
CASES = [
    # ----------------------------------------------------------------- paths and file loaders
    ("load_mnist None", lambda t: datasets.load_mnist(None), TypeError,
     ["load_mnist(directory=...)", "directory path", "NoneType"]),
    ("load_mnist file", lambda t: datasets.load_mnist(_a_file(t)), ValueError,
     ["load_mnist(directory=...)", "is a file", "expected a directory"]),
    ("load_susy None", lambda t: datasets.load_susy(None), TypeError,
     ["load_susy(path=...)", "path", "NoneType"]),
    ("load_params None", lambda t: load_params(None), TypeError,
     ["load_params(path=...)", "file path", "NoneType"]),
    ("load_params directory", lambda t: load_params(t), ValueError,
     ["load_params(path=...)", "is a directory", "expected a file"]),
    ("save_params None", lambda t: save_params(None, _params()), TypeError,
     ["save_params(path=...)", "file path", "NoneType"]),
    ("checkpoint every float", lambda t: TrainingCheckpoints(t, every=1.5), TypeError,
     ["checkpoint_every=1.5", "integer", "float"]),
    # ----------------------------------------------------------------- generators
    ("xor noise string", lambda t: datasets.xor(noise="0.1"), TypeError,
     ["xor(noise='0.1')", "standard deviation", "str"]),
    ("pid_toy seed float", lambda t: datasets.pid_toy(10, seed=1.5), TypeError,
     ["pid_toy(seed=1.5)", "integer", "float"]),
]


@pytest.mark.parametrize("call, error, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(call, error, words, tmp_path):
    with pytest.raises(error) as info:
        call(tmp_path)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


# --------------------------------------------------------------------------- IDX files


def test_idx_file_with_trailing_bytes_is_refused(tmp_path):
    path = write_idx(tmp_path / "labels", np.arange(5, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00\x07")
    with pytest.raises(ValueError, match="2 trailing byte"):
        read_idx(path, LABELS_MAGIC)


def test_idx_header_with_a_zero_dimension_is_refused(tmp_path):
    header = b"".join(v.to_bytes(4, "big") for v in (IMAGES_MAGIC, 3, 0, 28))
    (tmp_path / "images").write_bytes(header)
    with pytest.raises(ValueError, match=r"shape \(3, 0, 28\), with a zero dimension"):
        read_idx(tmp_path / "images", IMAGES_MAGIC)


# --------------------------------------------------------------------------- checkpoints


def test_every_single_byte_corruption_of_a_checkpoint_is_named_corrupt(tmp_path):
    """Flip each byte of a small checkpoint (two ways): the header (epoch, seed, version)
    is under the CRC, so every flip is a clear 'corrupt' error, never a wrong resume or a
    KeyError."""
    params = {"w": jnp.arange(3.0)}
    state = TrainState(params=params, opt_state=optax.sgd(0.1).init(params), step=jnp.int32(4))
    path = TrainingCheckpoints(tmp_path).save(2, state, {"epoch": [1, 2], "loss": [0.5, 0.2]})
    raw = path.read_bytes()
    for index in range(len(raw)):
        for mask in (0x01, 0xFF):
            damaged = bytearray(raw)
            damaged[index] ^= mask
            path.write_bytes(bytes(damaged))
            with pytest.raises(ValueError, match="not a valid checkpoint .truncated or corrupt"):
                TrainingCheckpoints(tmp_path).restore_latest(state)
    path.write_bytes(raw)
    assert TrainingCheckpoints(tmp_path).restore_latest(state).epoch == 2
