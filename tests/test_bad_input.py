"""Bad input is caught at the door (issue 14): each case is a call, the exception it must raise,
and the words its message must hold (the argument's name, what was expected, what came).

Cases that train anything use a few samples and one epoch; the table runs in a few seconds.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn import data, datasets
from jaxnn.saving import TrainingCheckpoints, load_params, save_params
from jaxnn.data.datasets._mnist import IMAGES_MAGIC, LABELS_MAGIC, read_idx, write_idx
from jaxnn.training import TrainState

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int32)
IMAGES = RNG.normal(size=(16, 8, 8, 1)).astype(np.float32)
IMAGE_LABELS = (IMAGES.mean(axis=(1, 2, 3)) > 0).astype(np.int32)
MODEL = jaxnn.MLP([4, 2])


def _dense(inputs, outputs):
    return {"kernel": np.zeros((inputs, outputs), np.float32),
            "bias": np.zeros(outputs, np.float32)}


def _params():
    """MODEL's parameters for 3 features, as model.init builds them (no compile needed)."""
    return {"params": {"Dense_0": _dense(3, 4), "Dense_1": _dense(4, 2)}}


def _cnn_params():
    """jaxnn.CNN((4, 8), 2)'s parameters for 28x28 grey images (no compile needed)."""
    conv = [{"kernel": np.zeros((3, 3, 1, 4), np.float32), "bias": np.zeros(4, np.float32)},
            {"kernel": np.zeros((3, 3, 4, 8), np.float32), "bias": np.zeros(8, np.float32)}]
    return {"params": {"Conv_0": conv[0], "Conv_1": conv[1], "Dense_0": _dense(392, 128),
                       "Dense_1": _dense(128, 2)}}


def _result():
    return jaxnn.TrainResult(params=_params(), history={}, state=None, epochs_run=0)


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


class _AnswersInText(jaxnn.Callback):
    """Returns "stop" (text, not True): refused as a plain function's text answer is."""

    def on_epoch_end(self, epoch, state, logs):
        return "stop"


class _AnswersAFloat(jaxnn.Callback):
    """Returns the loss (a float), as if it were a stop signal."""

    def on_epoch_end(self, epoch, state, logs):
        return logs["loss"]


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
    ("save_params under a file", lambda t: save_params(_a_file(t) / "p.jaxnn", _params()),
     ValueError, ["save_params(path=...)", "a_file.txt/p.jaxnn", "lies under", "a_file.txt'",
                  "is a file, not a directory"]),
    ("save_params deep under a file",
     lambda t: save_params(_a_file(t) / "runs" / "one" / "p.jaxnn", _params()),
     ValueError, ["save_params(path=...)", "lies under", "a_file.txt'", "not a directory"]),
    ("save_model under a file", lambda t: jaxnn.save_model(_a_file(t) / "m.jaxnn", MODEL,
                                                            _params()),
     ValueError, ["save_model(path=...)", "lies under", "a_file.txt'", "not a directory"]),
    ("load_params under a file", lambda t: load_params(_a_file(t) / "p.jaxnn"), ValueError,
     ["load_params(path=...)", "lies under", "a_file.txt'", "not a directory"]),
    ("save_model wider layer", lambda t: jaxnn.save_model(t / "m.jaxnn", jaxnn.MLP([8, 2]),
                                                           _params()),
     ValueError, ["save_model(params=...)", "do not belong to this model MLP(features=(8, 2))",
                  "params/Dense_0/bias", "hold shape (4,)", "needs (8,)"]),
    ("save_model deeper model", lambda t: jaxnn.save_model(t / "m.jaxnn", jaxnn.MLP([4, 4, 2]),
                                                            _params()),
     ValueError, ["save_model(params=...)", "do not belong to this model", "lack 2 of its leaves",
                  "params/Dense_2/bias"]),
    ("save_model shallower model", lambda t: jaxnn.save_model(t / "m.jaxnn", jaxnn.MLP([2]),
                                                               _params()),
     ValueError, ["save_model(params=...)", "do not belong to this model", "no use for",
                  "params/Dense_1/bias"]),
    ("save_model other outputs", lambda t: jaxnn.save_model(t / "m.jaxnn", jaxnn.MLP([4, 3]),
                                                             _params()),
     ValueError, ["save_model(params=...)", "params/Dense_1/bias", "(2,)", "needs (3,)"]),
    ("save_model CNN with MLP params", lambda t: jaxnn.save_model(t / "m.jaxnn",
                                                                   jaxnn.CNN((4,), 2), _params()),
     ValueError, ["save_model(params=...)", "do not belong to this model CNN(",
                  "params/Conv_0/bias"]),
    ("save_model CNN other filters",
     lambda t: jaxnn.save_model(t / "m.jaxnn", jaxnn.CNN((4, 6), 2), _cnn_params()),
     ValueError, ["save_model(params=...)", "params/Conv_1/bias", "hold shape (8,)", "needs (6,)"]),
    ("save_model no params for a model with some",
     lambda t: jaxnn.save_model(t / "m.jaxnn", MODEL, {}),
     ValueError, ["save_model(params=...)", "do not belong", "they have none"]),
    ("checkpoint every float", lambda t: TrainingCheckpoints(t, every=1.5), TypeError,
     ["checkpoint_every=1.5", "integer", "float"]),
    # ----------------------------------------------------------------- model settings
    ("CNN num_outputs 0", lambda t: jaxnn.CNN(num_outputs=0), ValueError,
     ["CNN(num_outputs=...)", "integer >= 1", "got 0"]),
    ("CNN kernel_size 0", lambda t: jaxnn.CNN(kernel_size=(0, 0)), ValueError,
     ["CNN(kernel_size=...)", "positive integers", "(0, 0)"]),
    ("CNN pool_size 0", lambda t: jaxnn.CNN(pool_size=(0, 0)), ValueError,
     ["CNN(pool_size=...)", "positive integers", "(0, 0)"]),
    ("LogisticRegression -1", lambda t: jaxnn.LogisticRegression(num_outputs=-1), ValueError,
     ["LogisticRegression(num_outputs=...)", "integer >= 1", "got -1"]),
    ("Maxout 0 features", lambda t: jaxnn.Maxout(0), ValueError,
     ["Maxout(features=...)", "integer >= 1", "got 0"]),
    ("MLP features None", lambda t: jaxnn.MLP(None), TypeError,
     ["MLP(features=...)", "sequence of integers", "NoneType"]),
    ("MLP dropout string", lambda t: jaxnn.MLP([2], dropout="0.1"), TypeError,
     ["MLP(dropout=...)", "probability", "str"]),
    ("initializer overflows", lambda t: jaxnn.MLP([2], kernel_init="normal(1e400)"), ValueError,
     ["MLP(kernel_init=...)", "finite number >= 0", "inf"]),
    ("initializer gives inf", lambda t: _fit(jaxnn.MLP([4, 2], kernel_init=lambda k, s, d=None:
                                                  jnp.full(s, jnp.inf))),
     ValueError, ["fit(model=MLP(...))", "Dense_0/kernel", "NaN/inf", "initializer"]),
    # ----------------------------------------------------------------- inputs of the wrong rank
    ("predict extra axes", lambda t: jaxnn.predict(MODEL, _params(), X.reshape(40, 1, 3)),
     ValueError, ["predict(x=...)", "(samples, features), 2-D", "(40, 1, 3)"]),
    ("fit extra axes", lambda t: _fit(x=X.reshape(40, 1, 3)), ValueError,
     ["fit(data=...) x", "(samples, features), 2-D", "(40, 1, 3)"]),
    ("evaluate extra axes", lambda t: jaxnn.evaluate(MODEL, _params(), (X.reshape(40, 1, 3), Y)),
     ValueError, ["evaluate(data=...)", "(samples, features), 2-D", "(40, 1, 3)"]),
    ("CNN channels first", lambda t: _fit(jaxnn.CNN((4,), 2, dense=()),
                                          IMAGES.transpose(0, 3, 1, 2),
                                          IMAGE_LABELS),
     ValueError, ["fit(data=...) x", "channels-first", "(16, 1, 8, 8)", "x.transpose(0, 2, 3, 1)"]),
    ("CNN 3-D images", lambda t: _fit(jaxnn.CNN((4,), 2, dense=()), IMAGES[..., 0], IMAGE_LABELS),
     ValueError, ["fit(data=...) x", "(batch, height, width, channels)", "(16, 8, 8)"]),
    ("CNN pools to nothing", lambda t: _fit(jaxnn.CNN((4, 4, 4, 4), 2, dense=()), IMAGES,
                                            IMAGE_LABELS),
     ValueError, ["fit(data=...) x", "Conv_3", "pool_size=(2, 2)", "1x1 to 0x0"]),
    ("CNN VALID kernel too large", lambda t: _fit(jaxnn.CNN((4,), 2, dense=(), kernel_size=(9, 9),
                                                            padding="VALID"), IMAGES, IMAGE_LABELS),
     ValueError, ["fit(data=...) x", "Conv_0", "kernel_size=(9, 9)", "0x0"]),
    # ----------------------------------------------------------------- parameters
    ("predict TrainResult", lambda t: jaxnn.predict(MODEL, _result(), X), TypeError,
     ["predict(params=...)", "TrainResult", "result.params"]),
    ("evaluate TrainResult", lambda t: jaxnn.evaluate(MODEL, _result(), (X, Y)), TypeError,
     ["evaluate(params=...)", "TrainResult", "result.params"]),
    ("predict None params", lambda t: jaxnn.predict(MODEL, None, X), TypeError,
     ["predict(params=...)", "model's parameters", "None"]),
    ("predict other model's params",
     lambda t: jaxnn.predict(MODEL, {"params": {"Dense_0": _dense(3, 4), "Dense_1": _dense(4, 3),
                                                 "Dense_2": _dense(3, 2)}}, X),
     ValueError, ["predict(params=...)", "do not belong to this model", "Dense_1", "(3,)", "(2,)"]),
    ("predict params without 'params'", lambda t: jaxnn.predict(MODEL, _params()["params"], X),
     ValueError, ["predict(params=...)", "do not belong to this model", "params/Dense_0"]),
    ("predict other features", lambda t: jaxnn.predict(MODEL, _params(), np.zeros((5, 4))),
     ValueError, ["predict(x=...)", "3 features", "(5, 4)"]),
    # ----------------------------------------------------------------- data
    ("ragged list", lambda t: _fit(x=[[1, 2, 3], [1, 2]], y=[0, 1]), ValueError,
     ["fit(data=...) x", "ragged", "[2, 3]", "row 1 has 2"]),
    ("(x, y, w)", lambda t: jaxnn.fit(MODEL, (X, Y, np.ones(40)), epochs=1, verbose=0), TypeError,
     ["fit(data=...)", "pair (x, y)", "3 items", "sample_weight="]),
    ("stratify NaN", lambda t: data.split(X, Y, stratify=np.where(Y == 1, np.nan, 0.0)),
     ValueError, ["split(stratify=...)", "NaN/inf", "not a class"]),
    ("LabelEncoder mixed", lambda t: data.LabelEncoder().fit(["kaon", 1, "pion", 2]), TypeError,
     ["LabelEncoder.fit(y=...)", "text such as 'kaon'", "numbers such as 1", "all text or all"]),
    ("evaluate auc one class", lambda t: jaxnn.evaluate(MODEL, _params(), (X, np.zeros(40, int)),
                                                        metrics=["auc"]),
     ValueError, ["evaluate(metrics=...)", "both classes", "[0]"]),
    # ----------------------------------------------------------------- user functions
    ("callback returns an array",
     lambda t: _loop(_quadratic, callbacks=[lambda e, logs: np.ones(2)]),
     TypeError, ["callback '<lambda>'", "returned ndarray", "True to stop"]),
    ("Callback subclass returns text", lambda t: _loop(_quadratic, callbacks=[_AnswersInText()]),
     TypeError, ["_AnswersInText.on_epoch_end", "returned str 'stop'", "True to stop",
                 "False/None"]),
    ("Callback subclass returns a float",
     lambda t: _fit(callbacks=[_AnswersAFloat()]),
     TypeError, ["_AnswersAFloat.on_epoch_end", "returned float", "True to stop"]),
    ("callback returns text", lambda t: _loop(_quadratic, callbacks=[lambda e, logs: "stop"]),
     TypeError, ["callback '<lambda>'", "returned str 'stop'", "True to stop"]),
    ("callback takes nothing", lambda t: _fit(callbacks=[lambda: None]), TypeError,
     ["callbacks:", "callback(epoch, logs)", "<lambda>()"]),
    ("loss with two arguments", lambda t: _fit(loss=lambda p, y: jnp.mean(p)), TypeError,
     ["fit(loss=...)", "loss(predictions, targets, weight)", "<lambda>(p, y)"]),
    ("loss not a scalar", lambda t: _fit(loss=lambda p, y, w: p), ValueError,
     ["fit(loss=...)", "one number (a scalar)", "(2, 2)"]),
    ("train_loop loss returns a scalar", lambda t: _loop(lambda p, b, k: jnp.sum(p["w"])),
     TypeError, ["train_loop(loss_fn=...)", "pair (loss, aux)", "shape ()"]),
    ("train_loop loss arity", lambda t: _loop(lambda p, b: (jnp.sum(p["w"]), {})), TypeError,
     ["train_loop(loss_fn=...)", "loss_fn(params, batch, key)", "<lambda>(p, b)"]),
    ("train_loop params None", lambda t: _loop(_quadratic, params=None or {}), TypeError,
     ["train_loop(params=...)", "pytree of arrays", "dict"]),
    ("train_loop params NaN", lambda t: _loop(_quadratic, params={"w": jnp.full(3, jnp.nan)}),
     ValueError, ["train_loop(params=...)", "w holds 3 NaN/inf"]),
    ("train_loop optimizer None", lambda t: _loop(_quadratic, optimizer=None), TypeError,
     ["train_loop(optimizer=...)", "Optax transformation", "NoneType"]),
    ("train_loop seed -1", lambda t: _loop(_quadratic, seed=-1), ValueError,
     ["train_loop(seed=...)", "non-negative integer", "-1"]),
    ("train_loop batch_size 0", lambda t: _loop(_quadratic, batch_size=0), ValueError,
     ["train_loop(batch_size=...)", "integer >= 1", "got 0"]),
    ("DataRefresh not a function", lambda t: jaxnn.DataRefresh(5), TypeError,
     ["DataRefresh(fn=...)", "fn(epoch, params)", "int 5"]),
    ("EarlyStopping min_delta string", lambda t: jaxnn.EarlyStopping(min_delta="0.1"), TypeError,
     ["EarlyStopping(min_delta='0.1')", "a number", "str"]),
    ("EarlyStopping patience float", lambda t: jaxnn.EarlyStopping(patience=2.5), TypeError,
     ["EarlyStopping(patience=2.5)", "integer", "float"]),
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
