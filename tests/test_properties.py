"""Property-based tests of the public entry points: random shapes, dtypes, NaN/inf, empty arrays
and wrong types. Every case either works, and then agrees with an independent oracle
(scikit-learn, NumPy, formulas written here), or raises a ValueError/TypeError with a message
from a check of the package itself, never an exception from inside NumPy, JAX or XLA.

`fit` and `predict` compile with XLA: the model and the data shapes are fixed so compilations
are reused, and most `fit` examples take validation paths or train for 0 epochs; a few train
for one epoch. ``pytest tests/test_properties.py --hypothesis-show-statistics`` shows the
examples per test and how many worked; ``PROPERTY_EXAMPLES=2000`` searches deeper.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import tempfile
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import sklearn.metrics as skm
import sklearn.preprocessing as skp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib.path import Path as PolygonPath

import jaxnn
import pinn
from jaxnn import metrics
from jaxnn.data import LabelEncoder, StandardScaler, one_hot, split
from jaxnn.data.datasets import load_mnist, load_susy
from pinn.geometry import (
    METHODS,
    Annulus,
    Box,
    Difference,
    Disk,
    Domain,
    Intersection,
    Interval,
    Polygon,
    Rectangle,
    Union,
)

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))  # more for a deeper search
PROPERTY = settings(
    max_examples=EXAMPLES,
    # The default run is the same every time (CI must not flake); a deeper search with
    # PROPERTY_EXAMPLES=2000 draws fresh examples.
    derandomize="PROPERTY_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
NAMED = re.compile(r"[\w.]+( '\w+')?[(:=\[]")
PACKAGE_DIRS = tuple(Path(m.__file__).resolve().parent for m in (jaxnn, pinn))
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.UndefinedMetricWarning",
    "ignore::jaxnn.metrics.UndefinedMetricWarning",  # one-class ROC: NaN, as scikit-learn
    "ignore:.*pos_label.*ignored:UserWarning",
    "ignore::RuntimeWarning",  # fit's non-finite-loss warning; overflow in the oracles
    "ignore:A single label was found:UserWarning",
    "ignore:loadtxt. input contained no data:UserWarning",  # load_susy on blank lines
)


@pytest.fixture(autouse=True, scope="module")
def _unfiltered_tracebacks():
    """JAX hides its own frames from tracebacks; show them so `outcome` sees where errors rise."""
    before = jax.config.jax_traceback_filtering
    jax.config.update("jax_traceback_filtering", "off")
    yield
    jax.config.update("jax_traceback_filtering", before)


def outcome(call, *, at_the_door: bool = True):
    """Run `call` -> (True, result), or (False, error) for a ValueError/TypeError with a message.

    With `at_the_door` the error must be raised by the package's own code (the innermost frame
    lies in jaxnn/ or pinn/), not by NumPy or JAX on the package's behalf. Any other exception
    propagates and fails the test.
    """
    try:
        result = call()
    except (ValueError, TypeError) as error:
        # house style: the message starts by naming the call or argument, "fit(x=...): ..."
        assert NAMED.match(str(error)), f"{type(error).__name__} not naming its argument: {error}"
        if at_the_door:
            frame = error.__traceback__
            while frame.tb_next is not None:
                frame = frame.tb_next
            where = Path(frame.tb_frame.f_code.co_filename).resolve()
            assert any(d in where.parents for d in PACKAGE_DIRS), (
                f"{type(error).__name__} raised in {where}, not by a check of the package: "
                f"{error}")
        event(f"raised {type(error).__name__}")
        return False, error
    event("worked")
    return True, result


# ---------------------------------------------------------------- shared strategies
DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64, np.float16, np.float32,
          np.float64, np.complex64, np.dtype("U3")]


def any_array(max_dims: int = 3, max_side: int = 6) -> st.SearchStrategy:
    """Arrays of random dtype and shape (0-d and empty included); floats hold NaN/inf/extremes."""
    return hnp.arrays(dtype=st.sampled_from(DTYPES),
                      shape=hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0,
                                             max_side=max_side))


def garbage() -> st.SearchStrategy:
    """Values of the wrong type or shape for almost any argument."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(),
        st.text(max_size=4), st.binary(max_size=4), st.complex_numbers(max_magnitude=10),
        st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none()), max_size=4),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
        st.just([[1.0, 2.0], [3.0]]), st.builds(object), any_array(),
    )


def pick(*strategies: st.SearchStrategy) -> st.SearchStrategy:
    """One of `strategies`, each as likely (st.one_of flattens nested choices, so a branch
    holding garbage() would otherwise outweigh the rest)."""
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` three times in four, else `invalid`."""
    return pick(valid, valid, valid, invalid)


def finite(low: float = -5.0, high: float = 5.0, width: int = 32) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)


def with_nonfinite(draw, array: np.ndarray) -> np.ndarray:
    """A float copy of `array` with NaN, inf or -inf at a drawn position."""
    array = np.array(array, dtype=np.float32 if array.dtype.kind != "f" else array.dtype)
    if array.size:
        index = draw(st.integers(0, array.size - 1))
        array.flat[index] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return array


def changed_features(draw, change: str, x: np.ndarray) -> np.ndarray:
    """The bad features of the shared changes "x" (anything), "x_nonfinite", "x_dtype"."""
    if change == "x":
        return draw(any_array())
    if change == "x_nonfinite":
        return with_nonfinite(draw, x)
    return x.astype(draw(st.sampled_from(DTYPES)))


X_CHANGES = ("x", "x_nonfinite", "x_dtype")


# ---------------------------------------------------------------- fit / predict / evaluate
N, FEATURES, CLASSES = 8, 3, 2
MODEL = jaxnn.MLP([4, CLASSES])
PARAMS = MODEL.init(jax.random.PRNGKey(0), jnp.zeros((1, FEATURES)))
OTHER_MODELS = [jaxnn.MLP([4, 1]), jaxnn.MLP([4, 3]), jaxnn.LogisticRegression(2),
                jaxnn.MLP([4, 2], output_activation="softmax"), jaxnn.CNN((2,), 2, ())]
NOT_MODELS = ["mlp", None, 3, optax.sgd(0.1), jaxnn.MLP]


def features(n: int = N) -> st.SearchStrategy:
    return hnp.arrays(np.float32, (n, FEATURES), elements=finite())


def class_labels(n: int = N, classes: int = CLASSES) -> st.SearchStrategy:
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1))


def counts() -> st.SearchStrategy:
    """Sizes, epochs, seeds: mostly bad ones."""
    return pick(st.integers(-3, 3), st.sampled_from([np.int64(2), 2.0, "2", True, None]),
                garbage())


def _same_structure(params, reference) -> bool:
    shapes = jax.tree_util.tree_map(np.shape, params)
    return shapes == jax.tree_util.tree_map(np.shape, reference)


FIT_CHANGES = ["none", "x", "x_nonfinite", "x_dtype", "y", "y_labels", "data", "loss", "model",
               "params", "batch_size", "epochs", "seed", "validation_split", "validation_data",
               "sample_weight", "metrics", "optimizer", "early_stopping", "callbacks", "train"]


FIT_DATA_CHANGES = (*X_CHANGES, "y", "y_labels", "data")
COUNT_CHANGES = ("batch_size", "epochs", "seed")


def _changed_fit_data(draw, change: str, x: np.ndarray, y: np.ndarray):
    """(x, y, data) with the change to fit's data drawn: x, y, or the data argument itself."""
    data = None
    if change in X_CHANGES:
        x = changed_features(draw, change, x)
    elif change == "y":
        y = draw(any_array())
    elif change == "y_labels":  # fractions, negatives, out of range, one-hot rows of any width
        y = draw(pick(
            hnp.arrays(np.float64, (N,), elements=st.sampled_from([-1, 0, 0.5, 1, 2, 1e9])),
            hnp.arrays(np.float32, (N, draw(st.integers(1, 3))), elements=finite(0, 1))))
    elif change == "data":
        data = draw(pick(garbage(), st.tuples(st.just(x)), st.just((x, y, y)),
                         st.just({"x": x, "y": y})))
    return x, y, data


def _change_count(draw, change: str, kwargs: dict) -> None:
    """Draw fit's `batch_size`, `epochs` or `seed` (`change`) into `kwargs`: mostly bad ones."""
    values = counts() if change != "batch_size" else pick(counts(), st.just("auto"))
    if change == "seed":
        values = pick(values, st.integers(-1, 2**64))
    kwargs[change] = value = draw(values)
    if change == "epochs" and isinstance(value, (int, np.integer)) and value > 0:
        kwargs["epochs"] = type(value)(0)  # bools too: keep compilation to the "train" case


def _change_fit_keyword(draw, change: str, case: types.SimpleNamespace) -> None:
    """Draw the change to fit's model or to one of its other keywords into `case`."""
    kwargs = case.kwargs
    if change == "loss":
        kwargs["loss"] = draw(pick(st.sampled_from(
            ["mse", "binary_cross_entropy", "bce", "softmax_cross_entropy", "hinge", "MSE"]),
            garbage()))
    elif change == "model":
        case.model = draw(st.sampled_from(OTHER_MODELS + NOT_MODELS))
        kwargs["loss"] = draw(st.sampled_from(["softmax_cross_entropy", "binary_cross_entropy",
                                               "mse"]))
    elif change == "params":
        kwargs["params"] = draw(pick(
            st.just(jaxnn.MLP([4, 2]).init(jax.random.PRNGKey(1), jnp.zeros((1, 5)))),
            st.just(PARAMS), st.just({}), garbage()))
    elif change == "validation_split":
        kwargs["validation_split"] = draw(pick(st.floats(-1, 2), st.sampled_from(
            [np.float32(0.25), 0, 1, True, np.nan]), garbage()))
    elif change == "validation_data":
        kwargs["validation_data"] = draw(pick(
            st.tuples(features(3), class_labels(3)),
            st.tuples(hnp.arrays(np.float32, (3, 4)), class_labels(3)),
            st.tuples(features(3), any_array()), garbage()))
    elif change == "sample_weight":
        kwargs["sample_weight"] = draw(pick(
            hnp.arrays(np.float64, (N,), elements=st.floats(-1, 1e6)),
            hnp.arrays(np.float32, (N,), elements=st.sampled_from([0.0, np.nan, 2.0])),
            any_array()))
    elif change == "metrics":
        kwargs["metrics"] = draw(pick(
            st.lists(st.sampled_from(["accuracy", "auc", "f1", "mae", "auroc", ""]), max_size=3),
            st.sampled_from(["accuracy", "mse"]), garbage()))
    elif change == "optimizer":
        kwargs["optimizer"] = draw(pick(st.just(optax.sgd(0.1)), st.just("adam"),
                                        st.just(optax.adam), garbage()))
    elif change == "early_stopping":
        kwargs["early_stopping"] = draw(pick(
            st.just(jaxnn.EarlyStopping()), st.just(jaxnn.EarlyStopping(monitor="loss")),
            garbage()))
    elif change == "callbacks":
        kwargs["callbacks"] = draw(pick(st.just([lambda epoch, logs: None]), garbage()))
    elif change == "train":  # real training: one compiled epoch on the fixed shapes
        loss, case.model = draw(st.sampled_from(
            [("softmax_cross_entropy", MODEL), ("binary_cross_entropy", jaxnn.MLP([4, 1])),
             ("mse", jaxnn.MLP([4, 1]))]))
        kwargs.update(epochs=1, loss=loss, optimizer=optax.sgd(0.1),
                      batch_size=draw(st.sampled_from(["auto", None, 4])),
                      validation_split=draw(st.sampled_from([0.0, 0.25])))


def _check_fit_result(case: types.SimpleNamespace, x: np.ndarray, result) -> None:
    """A fit that worked: parameters of the model's structure, finite unless the run says so,
    the epochs asked for, and a model that still predicts one output row per sample."""
    kwargs = case.kwargs
    first = jnp.asarray(x[:1], jnp.float32)
    reference = case.model.init(jax.random.PRNGKey(0), first)
    params = result.params
    assert _same_structure(params, reference)
    assert result.epochs_run == kwargs["epochs"]
    finite_params = all(np.isfinite(leaf).all() for leaf in jax.tree_util.tree_leaves(params))
    assert finite_params or result.nonfinite is not None
    if kwargs["epochs"]:
        assert len(result.history["loss"]) == result.epochs_run
    outputs = jaxnn.predict(case.model, params, x)
    assert outputs.shape == (len(x), *case.model.apply(reference, first).shape[1:])


@PROPERTY
@given(st.data())
def test_fit_trains_or_rejects_bad_input_at_the_door(data):
    draw = data.draw
    x, y = draw(features()), draw(class_labels())
    case = types.SimpleNamespace(model=MODEL, data=None, kwargs={"epochs": 0, "verbose": 0})
    change = draw(st.sampled_from(FIT_CHANGES))
    event(f"fit change: {change}")
    if change in FIT_DATA_CHANGES:
        x, y, case.data = _changed_fit_data(draw, change, x, y)
    elif change in COUNT_CHANGES:
        _change_count(draw, change, case.kwargs)
    else:
        _change_fit_keyword(draw, change, case)
    fit_data = (x, y) if case.data is None else case.data

    worked, result = outcome(lambda: jaxnn.fit(case.model, fit_data, **case.kwargs))
    if worked:
        _check_fit_result(case, x, result)


PREDICT_CHANGES = ["none", "none", "x", "x_nonfinite", "x_dtype", "batch_size", "model", "params"]


def _logits_oracle(x: np.ndarray) -> np.ndarray:
    """MODEL applied to all of x at once, without chunks or padding."""
    inputs = x if x.dtype == np.float16 else x.astype(np.float32)
    return np.asarray(MODEL.apply(PARAMS, jnp.asarray(inputs)), np.float64)


def _predict_case(draw):
    n = draw(st.integers(0, 6))
    x = draw(hnp.arrays(np.float32, (n, FEATURES),
                        elements=st.floats(-1e3, 1e3, allow_nan=False, width=32)))
    model, params, kwargs = MODEL, PARAMS, {}
    change = draw(st.sampled_from(PREDICT_CHANGES))
    event(f"change: {change}")
    if change in X_CHANGES:
        x = changed_features(draw, change, x)
    elif change == "batch_size":
        kwargs["batch_size"] = draw(pick(st.integers(-1, 8), counts()))
    elif change == "model":
        model = draw(st.sampled_from(OTHER_MODELS + NOT_MODELS))
    elif change == "params":
        other = OTHER_MODELS[1].init(jax.random.PRNGKey(0), jnp.zeros((1, FEATURES)))
        params = draw(pick(st.just(other), st.just({}), garbage()))
    return x, model, params, kwargs


@PROPERTY
@given(st.data())
def test_predict_matches_the_unchunked_model_or_rejects_bad_input(data):
    x, model, params, kwargs = _predict_case(data.draw)
    worked, outputs = outcome(lambda: jaxnn.predict(model, params, x, **kwargs))
    if worked and model is MODEL and params is PARAMS:
        assert outputs.shape == (*np.shape(x)[:-1], CLASSES)  # Dense acts on the last axis
        tolerance = 1e-2 if x.dtype == np.float16 else 1e-4
        np.testing.assert_allclose(outputs, _logits_oracle(np.asarray(x)), rtol=tolerance,
                                   atol=tolerance)


@PROPERTY
@given(st.data())
def test_predict_proba_gives_probabilities_or_rejects_bad_input(data):
    x, model, params, kwargs = _predict_case(data.draw)
    worked, probabilities = outcome(lambda: jaxnn.predict_proba(model, params, x, **kwargs))
    if worked:
        assert probabilities.ndim >= 2 and len(probabilities) == len(x)
        assert np.all((probabilities >= 0) & (probabilities <= 1))
        if probabilities.shape[-1] > 1:
            np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
        if model is MODEL and params is PARAMS and probabilities.size:
            logits = _logits_oracle(np.asarray(x))
            expected = np.exp(logits - logits.max(axis=-1, keepdims=True))
            expected /= expected.sum(axis=-1, keepdims=True)
            tolerance = 1e-2 if x.dtype == np.float16 else 1e-5
            np.testing.assert_allclose(probabilities, expected, atol=tolerance)


EVALUATE_CHANGES = ["none", "none", "none", "x", "y", "y_labels", "data", "loss", "metrics",
                    "sample_weight", "batch_size", "model"]


def _evaluate_case(draw):
    """(n, x, y, model, data, kwargs, change): an evaluate call on n samples with one change
    drawn; `data` replaces the pair (x, y) when it is not None."""
    n = draw(st.integers(1, 6))
    x, y = draw(features(n)), draw(class_labels(n))
    model, data_pair, kwargs = MODEL, None, {}
    kwargs["metrics"] = draw(st.lists(st.sampled_from(["accuracy", "auc", "f1", "precision",
                                                       "recall", "mse"]), max_size=3))
    if draw(st.booleans()):
        kwargs["sample_weight"] = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0, 100)))
    change = draw(st.sampled_from(EVALUATE_CHANGES))
    event(f"change: {change}")
    if change == "x":
        x = with_nonfinite(draw, x) if draw(st.booleans()) else draw(any_array())
    elif change == "y":
        y = draw(any_array())
    elif change == "y_labels":
        y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([-1, 0, 0.5, 1, 2, 7])))
    elif change == "data":
        data_pair = draw(pick(garbage(), st.just((x,)), st.just([x, y[:-1]])))
    elif change == "loss":
        kwargs["loss"] = draw(pick(st.sampled_from(["mse", "bce", "hinge"]), garbage()))
    elif change == "metrics":
        kwargs["metrics"] = draw(pick(st.lists(st.text(max_size=3), max_size=2), garbage()))
    elif change == "sample_weight":
        kwargs["sample_weight"] = draw(pick(
            hnp.arrays(np.float64, (n,), elements=st.sampled_from([-1.0, 0.0, np.nan, np.inf])),
            any_array()))
    elif change == "batch_size":
        kwargs["batch_size"] = draw(pick(st.integers(-1, 8), counts()))
    elif change == "model":
        model = draw(st.sampled_from(OTHER_MODELS + NOT_MODELS))
    return n, x, y, model, data_pair, kwargs, change


def _check_evaluate_scores(scores: dict, logits: np.ndarray, y: np.ndarray, w: np.ndarray,
                           n: int) -> None:
    """`scores` of MODEL's `logits` on `n` samples against labels (or probability rows) `y`
    with sample weights `w`: the cross-entropy by NumPy, the metrics by scikit-learn."""
    shifted = logits - logits.max(1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    if y.ndim == 2:  # probability rows
        labels, cross_entropy = y.argmax(1), -np.sum(y * log_softmax, axis=1)
    else:
        labels = y.astype(np.int64)
        cross_entropy = -log_softmax[np.arange(n), labels]
    np.testing.assert_allclose(scores["loss"], np.sum(w * cross_entropy) / np.sum(w), rtol=1e-4,
                               atol=1e-5)
    predicted = logits.argmax(1)
    if "accuracy" in scores:
        np.testing.assert_allclose(scores["accuracy"], np.sum(w * (predicted == labels)) / w.sum(),
                                   atol=1e-6)
    if "auc" in scores:
        positive = np.exp(log_softmax[:, 1])
        gaps = np.abs(positive[:, None] - positive[None, :])[labels[:, None] != labels]
        if gaps.size and gaps.min() < 1e-6:  # a tie, or not one at float32 resolution
            event("evaluate: auc scores tied at float32 resolution")
        else:
            expected = skm.roc_auc_score(labels, positive, sample_weight=w)
            assert abs(scores["auc"] - expected) < 1e-4
    for name, oracle in (("f1", skm.f1_score), ("precision", skm.precision_score),
                         ("recall", skm.recall_score)):
        if name in scores:
            expected = oracle(labels, predicted, average="binary", zero_division=0,
                              sample_weight=w)
            assert abs(scores[name] - expected) < 1e-5


@PROPERTY
@given(st.data())
def test_evaluate_matches_numpy_and_sklearn_or_rejects_bad_input(data):
    n, x, y, model, data_pair, kwargs, change = _evaluate_case(data.draw)
    pair = (x, y) if data_pair is None else data_pair

    worked, scores = outcome(lambda: jaxnn.evaluate(model, PARAMS, pair, **kwargs))
    if not worked or change in ("model", "loss", "batch_size"):
        return
    logits = _logits_oracle(np.asarray(x))
    if not np.isfinite(logits).all():  # extreme inputs overflow the model itself
        event("evaluate: logits overflow")
        return
    assert all(math.isfinite(v) for v in scores.values())
    weight = kwargs.get("sample_weight")
    w = np.ones(n) if weight is None else np.asarray(weight, np.float64)
    _check_evaluate_scores(scores, logits, np.asarray(y, np.float64), w, n)


# ---------------------------------------------------------------- metrics
def valid_labels(n: int, classes: int = 4) -> st.SearchStrategy:
    """Class indices 0 .. classes-1 of length n, as several dtypes or a list."""
    return pick(
        hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8]), (n,),
                   elements=st.integers(0, classes - 1)),
        hnp.arrays(np.float64, (n,), elements=st.integers(0, classes - 1).map(float)),
        hnp.arrays(np.bool_, (n,)),
        st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))


def label_arrays(n: int) -> st.SearchStrategy:
    """Class labels of length n: valid (mostly) or anything else."""
    invalid = pick(
        hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0, 0.5, -1.0, np.nan,
                                                               np.inf, 1e300])),
        any_array(max_dims=2), garbage(), st.lists(st.sampled_from(["a", "b"]), min_size=n,
                                                   max_size=n))
    return pick(valid_labels(n), invalid)


@st.composite
def label_pairs(draw):
    """(y_true, y_pred): valid pairs of one length (60 %) or anything in either."""
    if draw(st.integers(0, 4)) > 1:
        n, classes = draw(st.integers(1, 25)), draw(st.sampled_from([2, 2, 3, 5]))
        return draw(valid_labels(n, classes)), draw(valid_labels(n, classes))
    n = draw(st.integers(0, 25))
    other = draw(pick(st.just(n), st.integers(0, 25)))
    return draw(label_arrays(n)), draw(label_arrays(other))


def as_ints(labels) -> np.ndarray:
    return np.asarray(labels).astype(np.int64)


def as_labels(labels) -> np.ndarray:
    """Labels as jaxnn.metrics reads them: text stays text, numbers are int64 class indices."""
    array = np.asarray(labels)
    return array if array.dtype.kind == "U" else array.astype(np.int64)


@PROPERTY
@given(label_pairs(), mostly(st.none(), pick(st.integers(-1, 8), garbage())))
def test_confusion_matrix_matches_sklearn(pair, num_classes):
    y_true, y_pred = pair
    worked, matrix = outcome(lambda: metrics.confusion_matrix(y_true, y_pred, num_classes))
    if worked:
        t, p = as_labels(y_true), as_labels(y_pred)
        if t.dtype.kind == "U":  # text labels: scikit-learn's sorted labels
            np.testing.assert_array_equal(matrix, skm.confusion_matrix(t, p))
            return
        c = int(max(t.max(), p.max())) + 1 if num_classes is None else int(num_classes)
        np.testing.assert_array_equal(matrix, skm.confusion_matrix(t, p, labels=np.arange(c)))


@PROPERTY
@given(label_pairs())
def test_accuracy_matches_sklearn(pair):
    y_true, y_pred = pair
    worked, value = outcome(lambda: metrics.accuracy(y_true, y_pred))
    if worked:
        assert abs(value - skm.accuracy_score(as_labels(y_true), as_labels(y_pred))) < 1e-12


AVERAGES = mostly(st.sampled_from(["binary", "macro", "micro", "weighted"]),
                  st.sampled_from(["samples", "Binary", None]) | garbage())
POS_LABELS = mostly(st.sampled_from([1, 1, 0, np.int64(1)]),
                    st.integers(-1, 3) | st.sampled_from([1.0, True, "1"]))


@pytest.mark.parametrize("name, oracle", [("precision", skm.precision_score),
                                          ("recall", skm.recall_score),
                                          ("f1_score", skm.f1_score)])
@PROPERTY
@given(pair=label_pairs(), average=AVERAGES, pos_label=POS_LABELS)
def test_precision_recall_f1_match_sklearn(name, oracle, pair, average, pos_label):
    y_true, y_pred = pair
    function = getattr(metrics, name)
    worked, value = outcome(lambda: function(y_true, y_pred, average=average,
                                             pos_label=pos_label))
    if worked:
        expected = oracle(as_labels(y_true), as_labels(y_pred), average=average,
                          pos_label=pos_label, zero_division=0)
        np.testing.assert_allclose(value, expected, rtol=0, atol=1e-6)


@st.composite
def scored_labels(draw):
    """Binary labels with both classes and scores (ties likely) (60 %), or anything wrong."""
    n = draw(st.integers(2, 25))
    labels = draw(hnp.arrays(st.sampled_from([np.int64, np.float32, np.bool_]), (n,),
                             elements=st.integers(0, 1)))
    labels[:2] = [0, 1]
    scores = draw(pick(
        hnp.arrays(np.float64, (n,), elements=st.integers(-3, 3).map(float)),
        hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32]), (n,),
                   elements=st.integers(-1000, 1000)),
        hnp.arrays(np.float64, (n,), elements=st.floats(-1e6, 1e6))))
    if draw(st.integers(0, 4)) > 1:
        return labels, scores
    n = draw(st.integers(0, 25))
    labels = draw(pick(st.just(labels), label_arrays(n),
                       hnp.arrays(np.int64, (n,), elements=st.integers(0, 1))))
    scores = draw(pick(
        st.just(scores), hnp.arrays(np.float64, (n,), elements=st.floats(-1e6, 1e6)),
        hnp.arrays(np.float64, (n,), elements=st.floats(-1e6, 1e6) | st.sampled_from(
            [np.nan, np.inf])), any_array(max_dims=2), garbage()))
    return labels, scores


def sklearn_roc(labels, scores):
    return skm.roc_curve(as_ints(labels), np.asarray(scores, np.float64),
                         drop_intermediate=False)


@PROPERTY
@given(scored_labels())
def test_roc_curve_matches_sklearn(case):
    labels, scores = case
    worked, curve = outcome(lambda: metrics.roc_curve(labels, scores, drop_intermediate=False))
    if worked:
        expected = sklearn_roc(labels, scores)
        for ours, theirs in zip(curve, expected, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(scored_labels())
def test_roc_auc_score_matches_sklearn(case):
    labels, scores = case
    worked, value = outcome(lambda: metrics.roc_auc_score(labels, scores))
    if worked:
        expected = skm.roc_auc_score(as_labels(labels), np.asarray(scores, np.float64))
        assert value == pytest.approx(expected, abs=1e-9, nan_ok=True)


@PROPERTY
@given(st.data())
def test_auc_matches_sklearn(data):
    n = data.draw(st.integers(0, 8))
    values = hnp.arrays(np.float64, (n,), elements=st.floats(-1e6, 1e6))
    monotonic = values.map(np.sort) | values.map(lambda v: np.sort(v)[::-1])
    x = data.draw(mostly(monotonic, values | any_array(max_dims=2) | garbage()))
    y = data.draw(mostly(values, hnp.arrays(np.float64, (n + 1,)) | garbage()))
    worked, area = outcome(lambda: metrics.auc(x, y))
    if worked:
        expected = skm.auc(np.asarray(x, np.float64), np.asarray(y, np.float64))
        assert area == pytest.approx(expected, rel=1e-9, abs=1e-6)


def _fpr_at_efficiency(fpr, tpr, efficiency):
    """Walk the ROC polyline to the first point reaching `efficiency`, interpolating."""
    if efficiency <= 0:
        return 0.0
    for i in range(1, len(tpr)):
        if tpr[i] >= efficiency:
            step = (efficiency - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
            return fpr[i - 1] + step * (fpr[i] - fpr[i - 1])
    raise AssertionError("the ROC curve ends at tpr = 1")


def _tpr_at_false_rate(fpr, tpr, false_rate):
    """The largest TPR at `false_rate` on the ROC polyline (snapping within rounding)."""
    last = max(i for i in range(len(fpr)) if fpr[i] <= false_rate + 8 * np.finfo(float).eps)
    if last == len(fpr) - 1 or fpr[last] >= false_rate:
        return tpr[last]
    step = (false_rate - fpr[last]) / (fpr[last + 1] - fpr[last])
    return tpr[last] + min(max(step, 0.0), 1.0) * (tpr[last + 1] - tpr[last])


TARGETS = mostly(
    st.floats(0, 1) | st.sampled_from([0, 1, 0.5]) | hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
        elements=st.floats(0, 1)),
    st.floats(-0.5, 1.5) | st.sampled_from([np.nan, np.inf, True]) | garbage())
REJECTIONS = mostly(st.sampled_from(["complement", "complement", "inverse"]), garbage())


@PROPERTY
@given(scored_labels(), TARGETS, REJECTIONS)
def test_background_rejection_matches_the_sklearn_roc(case, efficiency, rejection):
    labels, scores = case
    worked, value = outcome(lambda: metrics.background_rejection(labels, scores, efficiency,
                                                                 rejection))
    if worked:
        fpr, tpr, _ = sklearn_roc(labels, scores)
        targets = np.asarray(efficiency, np.float64)
        assert np.shape(value) == targets.shape
        false_rate = np.vectorize(lambda e: _fpr_at_efficiency(fpr, tpr, e),
                                  otypes=[float])(targets)
        with np.errstate(divide="ignore"):
            expected = 1 - false_rate if rejection == "complement" else 1 / false_rate
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12)


@PROPERTY
@given(scored_labels(), pick(TARGETS, st.floats(1, 1e6), st.just(np.inf)), REJECTIONS)
def test_signal_efficiency_matches_the_sklearn_roc(case, rejection_target, rejection):
    labels, scores = case
    worked, value = outcome(lambda: metrics.signal_efficiency(labels, scores, rejection_target,
                                                              rejection))
    if worked:
        fpr, tpr, _ = sklearn_roc(labels, scores)
        targets = np.asarray(rejection_target, np.float64)
        false_rate = 1 - targets if rejection == "complement" else 1 / targets
        expected = np.vectorize(lambda f: _tpr_at_false_rate(fpr, tpr, f), otypes=[float])(
            false_rate)
        assert np.shape(value) == targets.shape
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-9)


REPORT_ROW = re.compile(r"^\s*(.+?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)$")


@PROPERTY
@given(label_pairs(),
       mostly(pick(st.none(), st.lists(st.text("abXY_", min_size=1, max_size=4), min_size=3,
                                       max_size=6)),
              pick(st.lists(st.text(max_size=2), max_size=2), st.just("abc"), garbage())),
       mostly(st.integers(0, 6), pick(st.integers(-2, -1), st.sampled_from([2.0, True, "3"]))))
def test_classification_report_matches_sklearn(pair, target_names, digits):
    y_true, y_pred = pair
    worked, report = outcome(lambda: metrics.classification_report(y_true, y_pred, target_names,
                                                                   digits))
    if not worked:
        return
    t, p = as_labels(y_true), as_labels(y_pred)
    labels = np.union1d(t, p)  # the classes present (target_names must name exactly these)
    if target_names is not None:
        names = [str(n) for n in target_names]
    elif np.asarray(y_true).dtype == bool and np.asarray(y_pred).dtype == bool:
        names = [str(bool(label)) for label in labels]
    else:
        names = [str(label) for label in labels]
    if not all(re.fullmatch(r"\w+", name) for name in names):  # rows the regex cannot split
        return
    expected = skm.classification_report(t, p, labels=labels, output_dict=True, zero_division=0)
    rows = [REPORT_ROW.match(line) for line in report.splitlines()]
    rows = [row.groups() for row in rows if row]
    keys = [str(label) for label in labels] + ["macro avg", "weighted avg"]
    assert len(rows) == len(keys)
    half_digit = 0.5 * 10.0**-digits + 1e-9
    for key, row in zip(keys, rows, strict=True):
        values = expected[key]
        for got, name in zip(row[1:4], ("precision", "recall", "f1-score"), strict=True):
            assert abs(float(got) - values[name]) <= half_digit
        assert int(row[4]) == values["support"]
    assert [row[0] for row in rows[: len(names)]] == names


# ---------------------------------------------------------------- data: scalers and encoders
def feature_tables() -> st.SearchStrategy:
    """(samples, features) tables of several float/int dtypes with moderate values (mostly)."""
    shapes = st.tuples(st.integers(0, 8), st.integers(0, 4))
    moderate = pick(
        hnp.arrays(np.float64, shapes, elements=st.floats(-1e6, 1e6)),
        hnp.arrays(st.sampled_from([np.float32, np.int32, np.uint8, np.bool_]), shapes),
        hnp.arrays(np.float64, shapes, elements=st.sampled_from([0.0, 1.0, 1e-300, 3.0])))
    return pick(moderate, moderate, hnp.arrays(np.float64, shapes), any_array(), garbage())


@PROPERTY
@given(feature_tables(), feature_tables())
def test_standard_scaler_matches_sklearn(train, test):
    scaler = StandardScaler()
    worked, _ = outcome(lambda: scaler.fit(train))
    if not worked:
        worked, _ = outcome(lambda: scaler.transform(test))  # not fitted
        assert not worked
        return
    if np.shape(train)[1] == 0:  # scikit-learn refuses tables without features
        assert scaler.transform(train).shape == np.shape(train)
        return
    values = np.asarray(train, np.float64)
    reference = skp.StandardScaler().fit(values)
    # rounding bounds of the two-pass algorithm: the mean to n eps |x|, the variance to its square
    mean_error = 4 * len(values) * np.finfo(float).eps * np.abs(values).max(axis=0)
    np.testing.assert_allclose(scaler.mean_, reference.mean_, rtol=1e-12, atol=mean_error.max())
    np.testing.assert_allclose(scaler.var_, reference.var_, rtol=1e-9,
                               atol=(len(values) * mean_error.max()) ** 2)
    np.testing.assert_array_equal(scaler.scale_ == 1, reference.scale_ == 1)
    np.testing.assert_allclose(scaler.scale_, reference.scale_, rtol=1e-9)
    for data in (train, test):
        worked, scaled = outcome(lambda data=data: scaler.transform(data))
        if worked and len(scaled):
            array = np.asarray(data)
            assert scaled.shape == array.shape and np.isfinite(scaled).all()
            assert scaled.dtype == (array.dtype if array.dtype.kind == "f" else np.float64)
            expected = reference.transform(array.astype(np.float64))
            eps = np.finfo(scaled.dtype).eps
            atol = 10 * (eps * np.abs(array).max() + mean_error.max()) / reference.scale_.min()
            np.testing.assert_allclose(scaled, expected, rtol=10 * eps, atol=atol)
            worked, back = outcome(lambda scaled=scaled: scaler.inverse_transform(scaled))
            if worked and scaled.dtype == np.float64:  # rounding: eps of the largest term
                terms = np.abs(scaled * reference.scale_).max() + np.abs(reference.mean_).max()
                np.testing.assert_allclose(back, array, rtol=1e-9, atol=10 * eps * terms)


LABELS = pick(
    st.lists(st.integers(-3, 3), max_size=8), st.lists(st.text(max_size=3), max_size=8),
    hnp.arrays(st.sampled_from([np.float64, np.int8, np.bool_, np.uint64]),
               st.integers(0, 8)),
    st.lists(pick(st.integers(0, 2), st.text(max_size=1), st.none()), max_size=4),
    any_array(max_dims=2), garbage())


@PROPERTY
@given(LABELS, LABELS)
def test_label_encoder_matches_sklearn(labels, other):
    encoder = LabelEncoder()
    worked, _ = outcome(lambda: encoder.fit(labels))
    if not worked:
        return
    if np.asarray(labels).dtype.kind == "c":  # scikit-learn refuses complex labels
        return
    reference = skp.LabelEncoder().fit(np.asarray(labels))
    np.testing.assert_array_equal(encoder.classes_, reference.classes_)
    for data in (labels, other):
        worked, codes = outcome(lambda data=data: encoder.transform(data))
        if worked:
            np.testing.assert_array_equal(codes, reference.transform(np.asarray(data)))
            np.testing.assert_array_equal(encoder.inverse_transform(codes),
                                          reference.inverse_transform(codes))


@PROPERTY
@given(pick(hnp.arrays(st.sampled_from([np.int64, np.uint8, np.float32]),
                       hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                       elements=st.integers(0, 5)),
            label_arrays(4), garbage()),
       pick(st.none(), st.integers(-1, 8), st.sampled_from([np.int64(6), 3.0, True])),
       mostly(st.sampled_from([np.float32, np.int8, bool, "float64"]),
              st.sampled_from(["foo", str, object, None]) | garbage()))
def test_one_hot_matches_numpy_eye(labels, num_classes, dtype):
    worked, rows = outcome(lambda: one_hot(labels, num_classes, dtype))
    if worked:
        indices = as_ints(labels)
        count = int(indices.max()) + 1 if num_classes is None else int(num_classes)
        expected = np.eye(count)[indices]
        assert rows.shape == (*indices.shape, count)
        np.testing.assert_array_equal(rows, expected.astype(rows.dtype))


FRACTIONS = mostly(
    pick(st.lists(st.floats(0.1, 1), min_size=1, max_size=3).map(
        lambda f: list(np.divide(f, sum(f)))), st.sampled_from([(0.8, 0.1, 0.1), (0.5, 0.5)])),
    pick(st.sampled_from([(1.0, 0.0), (0.5,), (0.6, 0.6), (0.01, 0.99)]), garbage()))


@PROPERTY
@given(st.data())
def test_split_partitions_the_samples(data):
    draw = data.draw
    n = draw(mostly(st.integers(4, 20), st.integers(0, 3)))
    arrays = [np.arange(n)] + draw(st.lists(mostly(
        pick(hnp.arrays(np.float32, (n, 2)), st.just(list(range(n)))),
        pick(any_array(), garbage())), max_size=1))
    stratify = draw(mostly(
        pick(st.none(), hnp.arrays(np.int64, (n,), elements=st.integers(0, 2)),
             st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n)), garbage()))
    fractions = draw(FRACTIONS)
    kwargs = {"fractions": fractions, "stratify": stratify,
              "seed": draw(mostly(st.integers(0, 2**32), counts())),
              "shuffle": draw(st.booleans())}
    worked, parts = outcome(lambda: split(*arrays, **kwargs))
    if not worked:
        return
    indices = [part[0] for part in parts]
    assert len(parts) == len(fractions)
    np.testing.assert_array_equal(np.sort(np.concatenate(indices)), np.arange(n))
    for part in parts:  # every array is cut the same way
        for array, piece in zip(arrays, part, strict=True):
            np.testing.assert_array_equal(np.asarray(piece), np.asarray(array)[part[0]])
    if stratify is None:
        for piece, fraction in zip(indices, fractions, strict=True):
            assert abs(len(piece) - n * fraction) < 1
    else:
        labels = np.asarray(stratify)
        for label in np.unique(labels):
            members = np.sum(labels == label)
            for piece, fraction in zip(indices, fractions, strict=True):
                assert abs(np.sum(labels[piece] == label) - members * fraction) < 1
    again = split(*arrays, **kwargs)
    for first, second in zip(parts, again, strict=True):
        np.testing.assert_array_equal(first[0], second[0])


# ---------------------------------------------------------------- geometry
# A domain is built from a spec, ("box", lo, hi), ("disk", center, r), ("annulus", center, r1,
# r2), ("polygon", vertices) or (operation, spec_a, spec_b); the oracles below read the spec,
# never the domain's internals.
OPERATIONS = {"union": Union, "difference": Difference, "intersection": Intersection}


def build(spec) -> Domain:
    kind = spec[0]
    if kind == "box":
        lo, hi = spec[1], spec[2]
        if len(lo) == 1:
            return Interval(lo[0], hi[0])
        return Rectangle(lo, hi) if len(lo) == 2 else Box(lo, hi)
    if kind == "disk":
        return Disk(spec[1], spec[2])
    if kind == "annulus":
        return Annulus(spec[1], spec[2], spec[3])
    if kind == "polygon":
        return Polygon(spec[1])
    return OPERATIONS[kind](build(spec[1]), build(spec[2]))


def segment_distance(p: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    t = np.clip((p - start) @ (end - start) / np.sum((end - start) ** 2), 0, 1)
    return np.linalg.norm(p - start - t[:, None] * (end - start), axis=1)


def signed(spec, p: np.ndarray) -> np.ndarray:
    """> 0 inside, < 0 outside (the distance itself for the shapes, a bound for operations)."""
    kind = spec[0]
    if kind == "box":
        return np.min(np.minimum(p - spec[1], spec[2] - p), axis=1)
    if kind in ("disk", "annulus"):
        rho = np.linalg.norm(p - spec[1], axis=1)
        return spec[2] - rho if kind == "disk" else np.minimum(rho - spec[2], spec[3] - rho)
    if kind == "polygon":
        corners = spec[1]
        gap = np.min([segment_distance(p, a, b) for a, b in
                      zip(corners, np.roll(corners, -1, axis=0), strict=True)], axis=0)
        return np.where(PolygonPath(corners).contains_points(p), gap, -gap)
    a, b = signed(spec[1], p), signed(spec[2], p)
    return {"union": np.maximum(a, b), "intersection": np.minimum(a, b),
            "difference": np.minimum(a, -b)}[kind]


def faces(spec, flip: bool = False) -> list:
    """Per boundary part, in the domain's part order: (distance to it, outward normal) functions
    of points (n, dim), and for operations the condition that the part bounds the result."""
    kind = spec[0]
    if kind == "box":
        lo, hi = spec[1], spec[2]
        result = []
        for axis in range(len(lo)):
            for bound, sign in ((lo[axis], -1.0), (hi[axis], 1.0)):
                def off(p, axis=axis, bound=bound):
                    inside = np.max(np.maximum(lo - p, p - hi), axis=1, initial=0)
                    return np.maximum(np.abs(p[:, axis] - bound), inside)

                def normal(p, axis=axis, sign=sign):
                    return sign * np.eye(len(lo))[axis] * np.ones((len(p), 1))

                result.append((off, normal))
    elif kind in ("disk", "annulus"):
        center = spec[1]
        radii = [(spec[2], 1.0)] if kind == "disk" else [(spec[2], -1.0), (spec[3], 1.0)]
        result = [(lambda p, r=r: np.abs(np.linalg.norm(p - center, axis=1) - r),
                   lambda p, s=s: s * (p - center) / np.linalg.norm(p - center, axis=1)[:, None])
                  for r, s in radii]
    elif kind == "polygon":
        corners = spec[1]
        ends = np.roll(corners, -1, axis=0)
        area = np.sum(corners[:, 0] * ends[:, 1] - ends[:, 0] * corners[:, 1])
        result = []
        for a, b in zip(corners, ends, strict=True):
            outward = np.array([b[1] - a[1], a[0] - b[0]]) * np.sign(area) / np.linalg.norm(b - a)
            result.append((lambda p, a=a, b=b: segment_distance(p, a, b),
                           lambda p, n=outward: n * np.ones((len(p), 1))))
    else:
        return [(*face, spec[2], kind == "difference") for face in faces(spec[1])] + [
            (*face, spec[1], False) for face in faces(spec[2], flip=kind == "difference")]
    if flip:
        result = [(off, lambda p, normal=normal: -normal(p)) for off, normal in result]
    return result


def bounds(spec) -> tuple[np.ndarray, np.ndarray]:
    kind = spec[0]
    if kind == "box":
        return spec[1], spec[2]
    if kind in ("disk", "annulus"):
        r = spec[2] if kind == "disk" else spec[3]
        return spec[1] - r, spec[1] + r
    if kind == "polygon":
        return spec[1].min(axis=0), spec[1].max(axis=0)
    (lo_a, hi_a), (lo_b, hi_b) = bounds(spec[1]), bounds(spec[2])
    return np.minimum(lo_a, lo_b), np.maximum(hi_a, hi_b)


def diameter(spec) -> float:
    lo, hi = bounds(spec)
    return float(np.linalg.norm(hi - lo))


@st.composite
def shape_specs(draw, dim: int | None = None, scale: float = 100.0):
    """Specs of shapes with moderate coordinates (|x| <= scale, sizes >= scale / 1e4)."""
    size = st.floats(scale / 1e4, scale, allow_nan=False)
    where = st.floats(-scale, scale, allow_nan=False)
    kinds = ["box", "disk", "annulus", "polygon"] if dim is None else (
        ["box"] if dim != 2 else ["box", "disk", "annulus", "polygon"])
    kind = draw(st.sampled_from(kinds))
    if kind == "box":
        d = draw(st.integers(1, 4)) if dim is None else dim
        lo = np.array(draw(st.lists(where, min_size=d, max_size=d)))
        return ("box", lo, lo + np.array(draw(st.lists(size, min_size=d, max_size=d))))
    center = np.array(draw(st.lists(where, min_size=2, max_size=2)))
    if kind == "disk":
        return ("disk", center, draw(size))
    if kind == "annulus":
        inner = draw(size)
        return ("annulus", center, inner, inner * draw(st.floats(1.05, 4)))
    # a star-shaped polygon: corners by increasing angle about the centre are a simple polygon
    k = draw(st.integers(3, 7))
    angles = np.sort(draw(st.lists(st.floats(0, 2 * np.pi, exclude_max=True), min_size=k,
                                   max_size=k, unique=True)))
    if np.min(np.diff(np.append(angles, angles[0] + 2 * np.pi))) < 0.1:
        angles = np.linspace(0, 2 * np.pi, k, endpoint=False) + angles[0]
    radii = np.array(draw(st.lists(st.floats(0.3, 1.0), min_size=k, max_size=k)))
    radius = draw(size)
    return ("polygon", center + radius * radii[:, None] * np.c_[np.cos(angles), np.sin(angles)])


@st.composite
def domain_specs(draw):
    """A valid domain and its spec: a shape, or a set operation of two overlapping shapes."""
    if draw(st.integers(0, 2)):
        spec = draw(shape_specs())
    else:
        dim = draw(st.sampled_from([1, 2, 2, 2]))
        first, second = draw(shape_specs(dim, 1.0)), draw(shape_specs(dim, 1.0))
        spec = (draw(st.sampled_from(sorted(OPERATIONS))), first, second)
    try:
        return build(spec), spec
    except ValueError:  # an empty intersection or a degenerate polygon: not a valid domain
        from hypothesis import reject

        reject()


def number() -> st.SearchStrategy:
    return pick(st.floats(), st.integers(-(10**6), 10**6), st.floats(-10, 10),
                st.sampled_from([1e308, -1e308, 5e-324, np.float32(1.5), np.int64(2),
                                 np.array(3.0), True]), garbage())


def coordinates() -> st.SearchStrategy:
    return pick(st.lists(pick(st.floats(-10, 10), st.floats()), max_size=4),
                st.lists(number(), min_size=1, max_size=3), any_array(max_dims=2), garbage())


@PROPERTY
@given(st.data())
def test_domain_constructors_build_valid_domains_or_reject_their_arguments(data):
    draw = data.draw
    kind = draw(st.sampled_from(["Interval", "Rectangle", "Box", "Disk", "Annulus", "Polygon",
                                 "operation"]))
    event(f"constructor: {kind}")
    if kind == "Interval":
        def call():
            return Interval(draw(number()), draw(number()))
    elif kind in ("Rectangle", "Box"):
        lo = draw(st.lists(st.floats(-10, 10), min_size=1, max_size=3))
        lo, hi = draw(pick(st.just((lo, [v + 1 for v in lo])),
                           st.tuples(coordinates(), coordinates())))

        def call():
            return {"Rectangle": Rectangle, "Box": Box}[kind](lo, hi)
    elif kind == "Disk":
        def call():
            return Disk(draw(coordinates()), draw(number()))
    elif kind == "Annulus":
        def call():
            return Annulus(draw(coordinates()), draw(number()), draw(number()))
    elif kind == "Polygon":
        vertices = draw(pick(
            hnp.arrays(np.float64, st.tuples(st.integers(0, 6), st.sampled_from([2, 2, 3]))),
            hnp.arrays(np.float64, st.tuples(st.integers(3, 6), st.just(2)),
                       elements=st.floats(-10, 10)), coordinates()))
        names = draw(pick(st.none(), st.lists(st.text("ab", max_size=2), max_size=7),
                          garbage()))

        def call():
            return Polygon(vertices, names)
    else:
        operands = [draw(pick(domain_specs().map(lambda d: d[0]), garbage()))
                    for _ in range(2)]

        def call():
            return OPERATIONS[draw(st.sampled_from(sorted(OPERATIONS)))](*operands)
    worked, domain = outcome(call)
    if worked:
        lo, hi = domain.bounding_box
        assert lo.shape == hi.shape == (domain.dim,) and np.all(lo < hi)
        assert np.isfinite([*lo, *hi]).all()
        assert len(set(domain.boundary_parts)) == len(domain.boundary_parts)
        if kind != "operation":  # an operation's measure is a Monte Carlo estimate, maybe 0
            assert 0 < domain.measure < math.inf
            assert 0 < domain.boundary_measure < math.inf


SAMPLE_COUNT = pick(st.integers(1, 64), st.integers(1, 64), st.integers(-2, 0),
                    st.sampled_from([np.int64(9), 3.0, "5", True, None]))
SEED = pick(st.integers(0, 2**64), st.integers(0, 2**64), st.integers(-3, -1),
            st.sampled_from([1.0, "0", None]))
METHOD = pick(st.sampled_from(METHODS), st.sampled_from(METHODS),
              st.sampled_from(["Uniform", "random", "", None, ["grid"]]))


@PROPERTY
@given(domain_specs(), SAMPLE_COUNT, SEED, METHOD)
def test_sample_interior_gives_points_inside_or_rejects_its_arguments(domain_spec, n, seed,
                                                                      method):
    domain, spec = domain_spec
    worked, points = outcome(lambda: domain.sample_interior(n, seed=seed, method=method))
    if not worked:
        return
    assert points.dtype == np.float64 and points.ndim == 2 and points.shape[1] == domain.dim
    assert np.isfinite(points).all() and len(points) >= 1
    if method == "grid":
        if spec[0] == "box":
            assert n / 2 < len(points) < 2 * n
    else:
        assert len(points) == n
    lo, hi = bounds(spec)
    assert np.all((points >= lo) & (points <= hi))
    assert np.all(signed(spec, points) > -1e-7 * diameter(spec))  # none clearly outside
    assert domain.contains(points).all()


PART = pick(st.none(), st.none(), st.integers(0, 20), st.lists(st.integers(0, 20),
            max_size=3), st.sampled_from(["", "circle_3", "LEFT"]), garbage())


@PROPERTY
@given(domain_specs(), SAMPLE_COUNT, SEED, METHOD, PART)
def test_sample_boundary_gives_points_on_the_parts_or_rejects_its_arguments(domain_spec, n, seed,
                                                                            method, part):
    domain, spec = domain_spec
    names = domain.boundary_parts
    if isinstance(part, int) and not isinstance(part, bool):  # an index: a valid part name
        part = names[part % len(names)]
    elif isinstance(part, list) and all(isinstance(p, int) for p in part):
        part = [names[p % len(names)] for p in part]
    worked, sample = outcome(lambda: domain.sample_boundary(n, seed=seed, method=method,
                                                            part=part))
    if not worked:
        return
    points, normals, index = sample.points, sample.normals, sample.part_index
    m = len(points)
    assert points.shape == normals.shape == (m, domain.dim) and index.shape == (m,) and m >= 1
    selected = set(names) if part is None else {part} if isinstance(part, str) else set(part)
    assert {names[i] for i in index} <= selected
    if domain.dim == 1:  # the end points, each once
        assert m == len(set(index.tolist()))
    elif method != "grid" or (domain.dim == 2 and spec[0] not in OPERATIONS):
        assert m == n
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-9)
    tolerance = 1e-9 * diameter(spec)
    face_list = faces(spec)
    for i in np.unique(index):
        rows = index == i
        off, normal, *bounding = face_list[i]
        p = points[rows]
        assert np.all(off(p) < tolerance), f"points off part {names[i]}"
        np.testing.assert_allclose(normals[rows], normal(p), atol=1e-6)
        if bounding:  # a part of an operand bounds the result where it lies outside/inside
            other, outside = bounding
            side = signed(other, p)
            kind = spec[0]
            inside_other = kind == "intersection" or (kind == "difference" and not outside)
            assert np.all(side > -tolerance if inside_other else side < tolerance)


@PROPERTY
@given(domain_specs(), st.data())
def test_contains_agrees_with_the_signed_distance_or_rejects_points(domain_spec, data):
    domain, spec = domain_spec
    lo, hi = bounds(spec)
    middle, half = (lo + hi) / 2, (hi - lo) * 0.75
    m = data.draw(st.integers(0, 12))
    unit = hnp.arrays(np.float64, (m, len(lo)), elements=st.floats(-1, 1))
    points = data.draw(pick(
        unit.map(lambda u: middle + u * half), unit.map(lambda u: middle + u * half),
        unit.map(lambda u: (middle + u * half).astype(np.float32)),
        unit.map(lambda u: np.where(u > 0.9, np.nan, u)), unit.map(lambda u: u[:, :1]),
        any_array(max_dims=3), garbage()))
    worked, inside = outcome(lambda: domain.contains(points))
    if worked:
        points = np.asarray(points, np.float64)
        assert inside.dtype == np.bool_ and inside.shape == (len(points),)
        distance = signed(spec, points)
        margin = 1e-5 * diameter(spec)
        assert np.all(inside[distance > margin])
        assert not np.any(inside[distance < -margin])


DISTANCE_SPECS = [("box", np.array([-1.0]), np.array([2.0])),
                  ("box", np.array([0.0, 0.0]), np.array([2.0, 1.0])),
                  ("box", np.zeros(3), np.array([1.0, 2.0, 3.0])),
                  ("disk", np.array([0.5, -0.5]), 2.0),
                  ("annulus", np.array([0.0, 1.0]), 0.5, 1.5),
                  ("polygon",
                   np.array([(-1, -1), (0, -1), (0, 0), (1, 0), (1, 1), (-1, 1)], float)),
                  ("difference", ("box", np.zeros(2), np.ones(2)), ("disk", np.ones(2), 0.5))]
DISTANCE_DOMAINS = [build(spec) for spec in DISTANCE_SPECS]  # kept: compilations are reused


@PROPERTY
@given(st.integers(0, len(DISTANCE_SPECS) - 1), st.data())
def test_distance_vanishes_on_the_selected_parts_and_is_positive_inside(which, data):
    draw = data.draw
    domain, spec = DISTANCE_DOMAINS[which], DISTANCE_SPECS[which]
    parts = draw(mostly(st.sampled_from([None, domain.boundary_parts[0],
                                         domain.boundary_parts[-1:]]),
                        pick(st.sampled_from(["", "edge9", "LEFT", []]), garbage())))
    interior = domain.sample_interior(64, seed=1)
    interior = interior[signed(spec, interior) > 0.05 * diameter(spec)][:4]
    try:
        boundary = domain.sample_boundary(4, seed=2, part=parts).points
    except (ValueError, TypeError):
        boundary = domain.sample_boundary(4, seed=2).points
    valid = np.concatenate([interior, boundary])
    x = draw(mostly(
        st.sampled_from([valid, valid.astype(np.float32), np.round(valid).astype(np.int32),
                         valid[:0]]),
        pick(st.sampled_from([valid[:, :1], valid[0], valid.astype(np.complex64)]),
             any_array(), garbage())))
    worked, d = outcome(lambda: domain.distance(x, parts))
    if not worked:
        return
    x = np.asarray(x)
    assert d.shape == (len(x),)
    assert d.dtype == (x.dtype if x.dtype.kind == "f" and x.dtype != np.float64 else np.float32)
    if x.shape == valid.shape and x.dtype.kind == "f":
        d = np.asarray(d, np.float64)
        assert np.all(d[: len(interior)] > 0) and np.all(d <= 1.5)
        if parts is not None and not isinstance(parts, str) and not isinstance(parts, tuple):
            return
        np.testing.assert_allclose(d[len(interior):], 0.0, atol=1e-5)


# ---------------------------------------------------------------- loaders (files written here)
SUSY_COLUMNS = 19
NUMBER_TOKEN = st.floats(-1e6, 1e6, allow_nan=False).map(repr) | st.integers(-99, 99).map(str)
BAD_TOKENS = ["", "abc", "1_0", "0x10", "1.2.3", "nan", "inf", "-inf", "1e400", "NaN", " 7 ",
              "+.5", "1e", "-", ".", "1."]
LABEL_TOKENS = ["0", "1", "0.0", "1.0", "1e0", " 1", "2", "-1", "0.5", "nan"]
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.IGNORECASE)


@st.composite
def susy_lines(draw, clean: bool = False) -> str:
    """A line of a SUSY file: an event (label, 18 numbers), or with `clean=False` maybe a
    damaged event, a blank line or text."""
    kind = "event" if clean else draw(st.sampled_from(["event", "token", "columns", "blank",
                                                       "text"]))
    fields = [draw(st.sampled_from(LABEL_TOKENS[:6]))] + draw(
        st.lists(NUMBER_TOKEN, min_size=SUSY_COLUMNS - 1, max_size=SUSY_COLUMNS - 1))
    if kind == "token":
        fields[draw(st.integers(0, SUSY_COLUMNS - 1))] = draw(
            st.sampled_from(BAD_TOKENS + LABEL_TOKENS))
    elif kind == "columns":
        fields = fields[: draw(st.integers(0, SUSY_COLUMNS + 2))] + ["0"] * draw(
            st.integers(0, 2))
    elif kind == "blank":
        return draw(st.sampled_from(["", " ", "\t"]))
    elif kind == "text":
        return draw(st.text(st.characters(codec="ascii", exclude_characters="\r\n"),
                            max_size=30))
    return ",".join(fields)


def susy_oracle(text: str, nrows):
    """(x, y) of the first `nrows` lines as the UCI SUSY format defines them, or None."""
    import io

    lines = list(io.StringIO(text, newline=None))
    lines = lines if nrows is None else lines[:nrows]
    rows = []
    for line in lines:
        if line in ("\n", ""):
            continue
        fields = line.strip("\n").split(",")
        if len(fields) != SUSY_COLUMNS or not all(NUMBER.fullmatch(f.strip()) for f in fields):
            return None
        values = [float(f) for f in fields]
        if values[0] not in (0.0, 1.0) or not np.isfinite(values[1:]).all():
            return None
        rows.append(values)
    if not rows:
        return None
    table = np.array(rows)
    return table[:, 1:].astype(np.float32), table[:, 0].astype(np.int32)


EVENT_LINES = st.lists(pick(susy_lines(clean=True), susy_lines(clean=True), st.just("")),
                      min_size=1, max_size=5)


@PROPERTY
@given(mostly(EVENT_LINES, st.lists(susy_lines(), max_size=5)), st.sampled_from(["\n", "\r\n"]),
       st.data())
def test_load_susy_reads_the_events_or_rejects_the_file(tmp_path, lines, ending, data):
    draw = data.draw
    text = "".join(line + ending for line in lines)
    if draw(mostly(st.just(False), st.just(True))):  # cut the file anywhere
        text = text[: draw(st.integers(0, len(text)))]
    raw = text.encode("ascii")
    form = draw(mostly(st.sampled_from(["raw", "gzip"]), st.sampled_from(["random", "missing"])))
    if form == "gzip":
        raw = gzip.compress(raw)
    elif form == "random":
        raw = draw(st.binary(max_size=200).filter(lambda b: not b.startswith(b"\x1f\x8b")))
    nrows = draw(mostly(st.none() | st.integers(1, 6),
                        st.integers(-1, 0) | st.sampled_from([np.int64(2), 2.0, "3", True])))
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # the examples share tmp_path
    path = directory / draw(st.sampled_from(["SUSY.csv", "SUSY.csv.gz", "events.txt"]))
    target = draw(st.sampled_from([path, str(path), directory]))
    if form != "missing":
        path.write_bytes(raw)
    try:
        worked, result = outcome(lambda: load_susy(target, nrows=nrows), at_the_door=False)
    except FileNotFoundError as error:  # the documented error for a file that is not there
        assert form == "missing" or (target == directory and path.name == "events.txt")
        assert "SUSY" in str(error)
        return
    if not worked:
        assert "load_susy" in str(result)
        expected = None
    else:
        x, y = result
        assert x.dtype == np.float32 and y.dtype == np.int32 and x.shape == (len(y), 18)
    if form in ("raw", "gzip") and isinstance(nrows, (type(None), int, np.integer)) and not (
            isinstance(nrows, bool)) and (nrows is None or nrows >= 1):
        expected = susy_oracle(text, nrows)
        assert worked == (expected is not None), f"oracle {expected}, got {result!r}"
        if worked:
            np.testing.assert_array_equal(x, expected[0])
            np.testing.assert_array_equal(y, expected[1])


IMAGES, LABELS_MAGIC = 2051, 2049


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return b"".join(int(v).to_bytes(4, "big") for v in (magic, *array.shape)) + array.tobytes()


def idx_oracle(raw: bytes, magic: int):
    """The IDX array in `raw`, or None where the format is broken (short, wrong magic, a zero
    dimension, bytes after the announced data)."""
    ndim = magic & 0xFF
    if len(raw) < 4 + 4 * ndim or int.from_bytes(raw[:4], "big") != magic:
        return None
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    size = math.prod(shape)
    data = raw[4 + 4 * ndim:]
    if len(data) != size or 0 in shape:
        return None
    return np.frombuffer(data[:size], np.uint8).reshape(shape)


@st.composite
def idx_files(draw, magic: int, shape: tuple[int, ...]):
    """Bytes of an IDX file, intact (mostly) or damaged, and how."""
    raw = idx_bytes(draw(hnp.arrays(np.uint8, shape)), magic)
    damage = draw(mostly(st.just("none"), st.sampled_from(["magic", "dims", "truncated",
                                                           "trailing", "random", "missing"])))
    if damage == "magic":
        raw = draw(st.integers(0, 2**32 - 1)).to_bytes(4, "big") + raw[4:]
    elif damage == "dims":
        axis = draw(st.integers(0, len(shape) - 1))
        value = draw(st.integers(0, 2**20)).to_bytes(4, "big")
        raw = raw[: 4 + 4 * axis] + value + raw[8 + 4 * axis:]
    elif damage == "truncated":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "trailing":
        raw = raw + draw(st.binary(min_size=1, max_size=8))
    elif damage == "random":
        raw = draw(st.binary(max_size=64).filter(lambda b: not b.startswith(b"\x1f\x8b")))
    return raw, damage


@PROPERTY
@given(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.data())
def test_load_mnist_reads_the_digits_or_rejects_the_files(tmp_path, n, rows, columns, data):
    draw = data.draw
    images, image_damage = draw(idx_files(IMAGES, (n, rows, columns)))
    labels, label_damage = draw(idx_files(LABELS_MAGIC, (draw(mostly(st.just(n),
                                                                     st.just(n + 1))),)))
    split_name = draw(mostly(st.sampled_from(["train", "test"]),
                             st.sampled_from(["Test", "t10k", "", None, 3])))
    prefix = "train" if split_name == "train" else "t10k"
    compress, dotted = draw(st.booleans()), draw(st.lists(st.booleans(), min_size=2, max_size=2))
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # the examples share tmp_path
    for name, raw, damage, dot in ((f"{prefix}-images-idx3-ubyte", images, image_damage,
                                    dotted[0]),
                                   (f"{prefix}-labels-idx1-ubyte", labels, label_damage,
                                    dotted[1])):
        if damage != "missing":
            name = name.replace("-idx", ".idx") if dot else name  # as some mirrors spell it
            path = directory / (name + ".gz" if compress else name)
            path.write_bytes(gzip.compress(raw) if compress else raw)
    try:
        worked, result = outcome(lambda: load_mnist(directory, split=split_name),
                                 at_the_door=False)
    except FileNotFoundError as error:
        assert "missing" in (image_damage, label_damage) and "MNIST" in str(error)
        return
    expected_images, expected_labels = idx_oracle(images, IMAGES), idx_oracle(labels,
                                                                             LABELS_MAGIC)
    valid = (split_name in ("train", "test") and expected_images is not None
             and expected_labels is not None and len(expected_images) == len(expected_labels))
    assert worked == valid, f"expected {'arrays' if valid else 'an error'}, got {result!r:.200}"
    if worked:
        digits, classes = result
        np.testing.assert_array_equal(digits, expected_images[..., None] / np.float32(255))
        np.testing.assert_array_equal(classes, expected_labels.astype(np.int32))
        assert digits.dtype == np.float32 and classes.dtype == np.int32
    else:
        assert "load_mnist" in str(result)


def _damaged_gzip(tmp_path: Path, content: bytes, damage: str) -> Path:
    packed = gzip.compress(content)
    raw = {"garbage after the magic": b"\x1f\x8b" + bytes(range(40)),
           "truncated": packed[: len(packed) // 2],
           "corrupt deflate data": packed[:10] + b"\xff" * 20 + packed[30:]}[damage]
    path = tmp_path / "data.gz"
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("case", ["susy: garbage after the magic", "susy: truncated",
                                  "susy: corrupt deflate data", "mnist: corrupt deflate data",
                                  "mnist: header sizes overflow int64"])
def test_loaders_reject_damaged_files_with_a_value_error(tmp_path, case):
    loader, damage = case.split(": ")
    event_line = b"1," + b"0.5," * 17 + b"0.5\n"
    if loader == "susy":
        path = _damaged_gzip(tmp_path, event_line * 200, damage)
        with pytest.raises(ValueError, match="load_susy"):
            load_susy(path)
        return
    labels = idx_bytes(np.zeros(3, np.uint8), LABELS_MAGIC)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(labels)
    images = tmp_path / "t10k-images-idx3-ubyte"
    if damage == "corrupt deflate data":
        images.unlink(missing_ok=True)
        _damaged_gzip(tmp_path, idx_bytes(np.zeros((3, 28, 28), np.uint8), IMAGES), damage
                      ).rename(images)
    else:
        images.write_bytes(b"".join(v.to_bytes(4, "big") for v in (IMAGES, 2**21, 2**21, 2**21))
                           + bytes(10))
    with pytest.raises(ValueError, match="load_mnist"):
        load_mnist(tmp_path, split="test")
