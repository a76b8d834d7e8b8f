"""What a Keras user reaches for: MinMaxScaler, Sequential layers, Keras names, class weights,
summary, whole-model saving. Oracles: scikit-learn, NumPy, the same thing done the long way."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest
from sklearn.preprocessing import MinMaxScaler as SkMinMaxScaler

import jaxnn
from jaxnn.data import MinMaxScaler


# ------------------------------------------------------------------------------- MinMaxScaler
@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (2.5, 7)])
def test_minmax_scaler_matches_sklearn_and_inverts(feature_range):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) * [1, 100, 1e-3, 5] + [0, -3, 7, 1]
    x[:, 3] = 2.0  # a constant feature maps to the low end, as in scikit-learn
    x_new = rng.normal(size=(7, 4)) * 3
    ours, theirs = MinMaxScaler(feature_range), SkMinMaxScaler(feature_range=feature_range)
    np.testing.assert_allclose(ours.fit_transform(x), theirs.fit_transform(x), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(ours.transform(x_new), theirs.transform(x_new), rtol=1e-12,
                               atol=1e-12)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(x_new)), x_new, rtol=1e-12,
                               atol=1e-12)
    assert ours.transform(x.astype(np.float32)).dtype == np.float32


def test_minmax_scaler_clip_matches_sklearn():
    x = np.arange(12.0).reshape(6, 2)
    x_new = np.array([[-5.0, 20.0], [3.0, 4.0]])
    ours = MinMaxScaler(clip=True).fit(x)
    np.testing.assert_allclose(ours.transform(x_new),
                               SkMinMaxScaler(clip=True).fit(x).transform(x_new))


@pytest.mark.parametrize("call, match", [
    (lambda: MinMaxScaler((1, 0)), "low < high"),
    (lambda: MinMaxScaler((0, np.inf)), "finite"),
    (lambda: MinMaxScaler("unit"), "feature_range"),
    (lambda: MinMaxScaler().transform(np.zeros((2, 2))), "not fitted"),
    (lambda: MinMaxScaler().fit(np.zeros(3)), "reshape\\(-1, 1\\)"),
    (lambda: MinMaxScaler().fit(np.array([[1.0, np.nan]])), "column 1"),
    (lambda: MinMaxScaler().fit(np.zeros((3, 2))).transform(np.zeros((3, 3))), "expected 2"),
    (lambda: MinMaxScaler().fit(np.zeros((0, 2))), "at least one sample"),
])
def test_minmax_scaler_bad_input_is_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_minmax_scaler_is_found_beside_standard_scaler():
    assert jaxnn.data.MinMaxScaler is MinMaxScaler and "MinMaxScaler" in jaxnn.data.__all__


# ------------------------------------------------------------------------- Sequential, layers
def _classes(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (np.argmax(x[:, :classes] + 0.3 * rng.normal(size=(n, classes)), axis=1)
         if classes > 1 else (x[:, 0] > 0).astype(np.float32))
    return x, y


FIT = {"epochs": 2, "batch_size": 16, "verbose": 0, "seed": 3}


def _same_tree(a, b, exact=True):
    leaves_a, tree_a = jax.tree_util.tree_flatten(a)
    leaves_b, tree_b = jax.tree_util.tree_flatten(b)
    assert tree_a == tree_b
    for u, v in zip(leaves_a, leaves_b, strict=True):
        if exact:
            np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
        else:
            np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=2e-5, atol=2e-6)


def test_sequential_with_the_layers_of_an_mlp_is_that_mlp():
    x, y = _classes()
    sequential = jaxnn.Sequential([jaxnn.Dense(16, activation="relu"), jaxnn.Dropout(0.2),
                                   jaxnn.Dense(3)])
    mlp = jaxnn.MLP([16, 3], activation="relu", dropout=0.2)
    key = jax.random.PRNGKey(0)
    _same_tree(sequential.init(key, x[:1]), mlp.init(key, x[:1]))  # names and values
    ours, theirs = jaxnn.fit(sequential, (x, y), **FIT), jaxnn.fit(mlp, (x, y), **FIT)
    _same_tree(ours.params, theirs.params)  # dropout masks drawn alike too
    assert ours.history["loss"] == theirs.history["loss"]
    np.testing.assert_array_equal(jaxnn.predict(sequential, ours.params, x),
                                  jaxnn.predict(mlp, theirs.params, x))


def test_lecture_flatten_dense_dropout_dense_is_one_line_and_trains():
    rng = np.random.default_rng(1)
    images = rng.random((40, 6, 6)).astype(np.float32)
    labels = (images[:, :3].mean(axis=(1, 2)) > images[:, 3:].mean(axis=(1, 2))).astype(int)
    model = jaxnn.Sequential([jaxnn.Flatten(), jaxnn.Dense(32, activation="relu"),
                              jaxnn.Dropout(0.2), jaxnn.Dense(2)])
    result = jaxnn.fit(model, (images, labels), loss="sparse_categorical_crossentropy",
                       optimizer="adam", learning_rate=1e-2, epochs=30, batch_size=8, verbose=0)
    assert result.history["loss"][-1] < 0.5 * result.history["loss"][0]
    # The forward pass by hand (dropout off at prediction time).
    p = result.params["params"]
    hidden = np.maximum(images.reshape(40, -1) @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"], 0)
    np.testing.assert_allclose(jaxnn.predict(model, result.params, images),
                               hidden @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"], rtol=1e-4,
                               atol=1e-5)


def test_sequential_conv_layers_match_the_cnn_and_pooling_by_hand():
    images = np.random.default_rng(2).random((3, 8, 8, 2)).astype(np.float32)
    cnn = jaxnn.CNN((4,), num_outputs=3, dense=(), kernel_size=(3, 3), kernel_init="he_normal")
    sequential = jaxnn.Sequential([jaxnn.Conv(4, 3, padding="same", activation="relu",
                                              kernel_init="he_normal"),
                                   jaxnn.MaxPool(2), jaxnn.Flatten(),
                                   jaxnn.Dense(3, kernel_init="lecun_normal")])
    params = cnn.init(jax.random.PRNGKey(0), images)
    _same_tree(sequential.init(jax.random.PRNGKey(0), images), params)
    np.testing.assert_allclose(sequential.apply(params, images), cnn.apply(params, images),
                               rtol=1e-6)
    averaged = jaxnn.Sequential([jaxnn.AvgPool((2, 4))]).apply({}, images)
    by_hand = images.reshape(3, 4, 2, 2, 4, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(averaged, by_hand, rtol=1e-6)


def test_sequential_output_activation_reads_the_last_activation():
    assert jaxnn.Sequential([jaxnn.Dense(3)]).output_activation is None
    assert jaxnn.Sequential([jaxnn.Dense(3, activation="softmax"),
                             jaxnn.Dropout(0.1)]).output_activation == "softmax"
    assert jaxnn.Sequential([jaxnn.Dense(1), jax.nn.sigmoid]).output_activation == "sigmoid"
    assert jaxnn.Sequential([jaxnn.Dense(1), jaxnn.Activation("Sigmoid")]).output_activation == (
        "sigmoid")
    assert jaxnn.Sequential([jaxnn.Dense(3, activation="relu"),
                             jaxnn.Dense(3)]).output_activation is None


@pytest.mark.parametrize("call, error, match", [
    (lambda: jaxnn.Sequential(jaxnn.Dense(3)), TypeError, "list of layers"),
    (lambda: jaxnn.Sequential([]), ValueError, "at least one layer"),
    (lambda: jaxnn.Sequential([jaxnn.Flatten]), TypeError, "the class Flatten"),
    (lambda: jaxnn.Sequential([jaxnn.Dense(3), 7]), TypeError, "layer 1 is int"),
    (lambda: jaxnn.Sequential(["rellu"]), ValueError, "layer 0.*not a known activation"),
    (lambda: jaxnn.Dense(0), ValueError, "Dense\\(units=...\\)"),
    (lambda: jaxnn.Dense(3, activation="sofmax"), ValueError, "Dense\\(activation=...\\)"),
    (lambda: jaxnn.Dropout(1.0), ValueError, "probability"),
    (lambda: jaxnn.Conv(4, padding="full"), ValueError, "'valid', 'same'"),
    (lambda: jaxnn.Conv(4, kernel_size=(3, 0)), ValueError, "kernel_size"),
    (lambda: jaxnn.MaxPool(-2), ValueError, "pool_size"),
])
def test_layers_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_sequential_conv_on_flat_input_says_add_a_channel_axis():
    model = jaxnn.Sequential([jaxnn.Conv(2), jaxnn.Flatten(), jaxnn.Dense(2)])
    with pytest.raises(ValueError, match="x\\[..., None\\]"):
        jaxnn.fit(model, (np.zeros((4, 5, 5)), np.zeros(4)), epochs=1, verbose=0)


# ------------------------------------------------------------------------------ Keras names
MLP3 = jaxnn.MLP([8, 3])


@pytest.mark.parametrize("name, rate, optax_optimizer", [
    ("adam", None, optax.adam(1e-3)),
    ("Adam", 0.05, optax.adam(0.05)),
    ("sgd", None, optax.sgd(1e-2)),
    ("rmsprop", 0.01, optax.rmsprop(0.01)),
    ("adamw", 0.01, optax.adamw(0.01)),
])
def test_optimizer_names_train_exactly_as_the_optax_optimizer(name, rate, optax_optimizer):
    x, y = _classes()
    by_name = jaxnn.fit(MLP3, (x, y), optimizer=name, learning_rate=rate, **FIT)
    by_object = jaxnn.fit(MLP3, (x, y), optimizer=optax_optimizer, **FIT)
    _same_tree(by_name.params, by_object.params)


@pytest.mark.parametrize("keras_name, jaxnn_name, classes", [
    ("sparse_categorical_crossentropy", "softmax_cross_entropy", 3),
    ("categorical_crossentropy", "softmax_cross_entropy", 3),
    ("binary_crossentropy", "binary_cross_entropy", 1),
    ("mean_squared_error", "mse", 3),
])
def test_keras_loss_and_metric_names_train_exactly_as_the_jaxnn_names(keras_name, jaxnn_name,
                                                                      classes):
    x, y = _classes(classes=classes)
    model = jaxnn.MLP([8, classes])
    if keras_name in ("categorical_crossentropy", "mean_squared_error"):
        y = np.eye(3, dtype=np.float32)[y]
    keras = jaxnn.fit(model, (x, y), loss=keras_name, metrics=["acc"], **FIT)
    ours = jaxnn.fit(model, (x, y), loss=jaxnn_name, metrics=["accuracy"], **FIT)
    _same_tree(keras.params, ours.params)
    assert "accuracy" in keras.history and "acc" not in keras.history
    for name in ("loss", "accuracy"):
        assert keras.history[name] == ours.history[name]


def test_softmax_output_model_trains_as_its_logit_twin_and_reads_probabilities():
    # A softmax at the end with the cross-entropy: the loss is -log p of the probabilities,
    # the same function of the parameters as the from-logits loss of the model without it.
    x, y = _classes()
    logits = jaxnn.Sequential([jaxnn.Dense(8, activation="tanh"), jaxnn.Dense(3)])
    probabilities = jaxnn.Sequential([jaxnn.Dense(8, activation="tanh"),
                                      jaxnn.Dense(3, activation="softmax")])
    kwargs = dict(loss="sparse_categorical_crossentropy", optimizer="adam", learning_rate=0.05,
                  metrics=["acc"], **FIT)
    ours, twin = jaxnn.fit(probabilities, (x, y), **kwargs), jaxnn.fit(logits, (x, y), **kwargs)
    _same_tree(ours.params, twin.params, exact=False)
    p = jaxnn.predict(probabilities, ours.params, x)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(jaxnn.predict_proba(probabilities, ours.params, x), p)
    scores = jaxnn.evaluate(probabilities, ours.params, (x, y),
                            loss="sparse_categorical_crossentropy", metrics=["acc"])
    expected_loss = -np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1 - 1e-7)))
    np.testing.assert_allclose(scores["loss"], expected_loss, rtol=1e-5)
    np.testing.assert_allclose(scores["accuracy"], np.mean(p.argmax(axis=1) == y), rtol=1e-6)


def test_sigmoid_output_model_reads_probabilities_in_loss_accuracy_and_proba():
    x, y = _classes(classes=1)
    model = jaxnn.MLP([8, 1], activation="tanh", output_activation="sigmoid")
    twin = jaxnn.MLP([8, 1], activation="tanh")
    kwargs = dict(loss="binary_crossentropy", optimizer="adam", learning_rate=0.05, **FIT)
    ours, theirs = jaxnn.fit(model, (x, y), **kwargs), jaxnn.fit(twin, (x, y), **kwargs)
    _same_tree(ours.params, theirs.params, exact=False)
    p = jaxnn.predict(model, ours.params, x)[:, 0]
    np.testing.assert_allclose(jaxnn.predict_proba(model, ours.params, x)[:, 0], p)
    scores = jaxnn.evaluate(model, ours.params, (x, y), loss="binary_crossentropy")
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(scores["loss"], -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)),
                               rtol=1e-5)
    np.testing.assert_allclose(scores["accuracy"], np.mean((p > 0.5) == y))  # threshold 0.5


@pytest.mark.parametrize("kwargs, error, match", [
    ({"optimizer": "adamax"}, ValueError, "'adam', 'adamw', 'rmsprop', 'sgd'"),
    ({"optimizer": "adam", "learning_rate": -1.0}, ValueError, "positive number"),
    ({"optimizer": "sgd", "learning_rate": "fast"}, ValueError, "positive number"),
    ({"optimizer": optax.adam(1e-3), "learning_rate": 1e-2}, ValueError, "given by name"),
    ({"optimizer": 3}, TypeError, "Optax transformation"),
    ({"loss": "sparse_crossentropy"}, ValueError, "sparse_categorical_crossentropy"),
    ({"metrics": ["accuracyy"]}, ValueError, "not a known metric"),
])
def test_unknown_keras_names_list_the_accepted_ones(kwargs, error, match):
    x, y = _classes()
    with pytest.raises(error, match=match):
        jaxnn.fit(MLP3, (x, y), verbose=0, **kwargs)


def test_probability_output_that_contradicts_the_loss_is_rejected():
    x, y = _classes(classes=1)
    model = jaxnn.Sequential([jaxnn.Dense(1, activation="softmax")])
    with pytest.raises(ValueError, match="softmax of a single output is always 1"):
        jaxnn.fit(model, (x, y), loss="binary_crossentropy", verbose=0)
    with pytest.raises(ValueError, match="evaluate.*always 1"):
        jaxnn.evaluate(model, {}, (x, y), loss="binary_crossentropy")


# ------------------------------------------------------------------------------ class weights
def test_class_weight_dict_trains_as_the_equivalent_sample_weight():
    x, y = _classes()
    class_weight = {0: 0.5, 2: 3.0}  # class 1 keeps weight 1
    weighted = jaxnn.fit(MLP3, (x, y), class_weight=class_weight, **FIT)
    by_hand = np.array([0.5, 1.0, 3.0], np.float32)[y]
    reference = jaxnn.fit(MLP3, (x, y), sample_weight=by_hand, **FIT)
    _same_tree(weighted.params, reference.params)
    # ... and multiplies into given sample weights
    sample_weight = np.linspace(0.5, 2, len(y))
    both = jaxnn.fit(MLP3, (x, y), class_weight=class_weight, sample_weight=sample_weight, **FIT)
    reference = jaxnn.fit(MLP3, (x, y), sample_weight=sample_weight.astype(np.float32) * by_hand,
                          **FIT)
    _same_tree(both.params, reference.params)


def test_balanced_class_weight_is_sklearns():
    from sklearn.utils.class_weight import compute_class_weight

    from jaxnn.supervised import balanced_class_weight

    x, y = _classes(n=61)
    y = np.where(np.arange(61) < 40, 0, y)  # imbalanced
    classes = np.unique(y)
    expected = compute_class_weight("balanced", classes=classes, y=y)
    np.testing.assert_allclose([balanced_class_weight(y)[c] for c in classes], expected)
    balanced = jaxnn.fit(MLP3, (x, y), class_weight="balanced", **FIT)
    reference = jaxnn.fit(MLP3, (x, y), sample_weight=expected[y].astype(np.float32), **FIT)
    _same_tree(balanced.params, reference.params)


def test_class_weight_leaves_the_validation_data_unweighted():
    x, y = _classes()
    kwargs = {"validation_data": (x[:20], y[:20]), **FIT}
    weighted = jaxnn.fit(MLP3, (x, y), class_weight={1: 4.0}, **kwargs)
    scores = jaxnn.evaluate(MLP3, weighted.params, (x[:20], y[:20]))
    np.testing.assert_allclose(weighted.history["val_loss"][-1], scores["loss"], rtol=1e-6)


@pytest.mark.parametrize("class_weight, kwargs, error, match", [
    ({0: 1.0, 5: 2.0}, {}, ValueError, "class\\(es\\) \\[5\\] are not classes.*0 .. 2"),
    ({-1: 2.0}, {}, ValueError, "\\[-1\\]"),
    ({"pion": 2.0}, {}, TypeError, "LabelEncoder"),
    ({0: -1.0}, {}, ValueError, "finite number >= 0"),
    ({0: float("nan")}, {}, ValueError, "finite number >= 0"),
    ({}, {}, ValueError, "empty"),
    ("balance", {}, TypeError, "'balanced'"),
    ([1.0, 2.0], {}, TypeError, "dict"),
    ({0: 0.0, 1: 0.0, 2: 0.0}, {}, ValueError, "weight 0"),
    ({0: 2.0}, {"loss": "mse"}, ValueError, "classification losses.*sample_weight"),
])
def test_bad_class_weight_is_named(class_weight, kwargs, error, match):
    x, y = _classes()
    if kwargs.get("loss") == "mse":
        y = np.eye(3, dtype=np.float32)[y]
    with pytest.raises(error, match=match):
        jaxnn.fit(MLP3, (x, y), class_weight=class_weight, epochs=1, verbose=0, **kwargs)


def test_class_weight_on_binary_labels_needs_hard_labels():
    x, _ = _classes(classes=1)
    soft = np.full(len(x), 0.3, np.float32)
    with pytest.raises(ValueError, match="hard labels 0/1"):
        jaxnn.fit(jaxnn.MLP([4, 1]), (x, soft), loss="binary_crossentropy", class_weight={1: 2.0},
                  epochs=1, verbose=0)


# ------------------------------------------------------------------------------------ summary
def test_summary_of_the_lecture_model_counts_by_hand():
    model = jaxnn.Sequential([jaxnn.Flatten(), jaxnn.Dense(512, activation="relu"),
                              jaxnn.Dropout(0.2), jaxnn.Dense(10)])
    table = jaxnn.summary(model, (28, 28))
    assert [r.kind for r in table.rows] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert [r.output_shape for r in table.rows] == [(None, 784), (None, 512), (None, 512),
                                                    (None, 10)]
    assert [r.params for r in table.rows] == [0, 784 * 512 + 512, 0, 512 * 10 + 10]
    assert table.total_params == 784 * 512 + 512 + 512 * 10 + 10 == 407_050  # Keras's count
    text = str(table)
    assert "Dense_0 (Dense)" in text and "(None, 784)" in text and "Total params: 407,050" in text
    assert str(model.summary(np.zeros((3, 28, 28)))) == text  # data or a shape, same table


def test_summary_of_builtin_models_matches_the_parameter_tree():
    x = np.zeros((2, 8, 8, 1), np.float32)
    cnn = jaxnn.CNN((4,), num_outputs=3, dense=(8,))
    table = jaxnn.summary(cnn, x)
    params = cnn.init(jax.random.PRNGKey(0), x)
    assert table.total_params == jaxnn.count_params(params) == sum(r.params for r in table.rows)
    assert [(r.name, r.params) for r in table.rows] == [
        ("Conv_0", 3 * 3 * 1 * 4 + 4), ("Dense_0", 4 * 4 * 4 * 8 + 8), ("Dense_1", 8 * 3 + 3)]
    assert table.output_shape == (None, 3)
    mlp = jaxnn.summary(jaxnn.MLP([16, 2], dropout=0.1), (5,))
    assert [r.kind for r in mlp.rows] == ["Dense", "Dropout", "Dense"]


@pytest.mark.parametrize("model, x, error, match", [
    (jaxnn.MLP, (5,), TypeError, "Module instance"),
    (jaxnn.MLP([2]), np.zeros(5), ValueError, "input shape without the batch axis"),
    (jaxnn.CNN((2,), 2), (5,), ValueError, "cannot take inputs of shape \\(None, 5\\)"),
])
def test_summary_bad_input_is_named(model, x, error, match):
    with pytest.raises(error, match=match):
        jaxnn.summary(model, x)


# ---------------------------------------------------------------------- save and load a model
@pytest.mark.parametrize("model, shape", [
    (jaxnn.Sequential([jaxnn.Flatten(), jaxnn.Dense(16, activation="relu"), jaxnn.Dropout(0.2),
                       jaxnn.Dense(3, activation="softmax")]), (5, 4, 4)),
    (jaxnn.MLP([8, 2], activation="tanh", output_activation="sigmoid", dropout=0.1), (5, 3)),
    (jaxnn.CNN((4,), 3, (8,), padding="CIRCULAR"), (5, 6, 6, 1)),
    (jaxnn.Sequential([jaxnn.Conv(3, 2, activation="relu"), jaxnn.AvgPool(2), jaxnn.Flatten(),
                       jaxnn.models.Maxout(4), jaxnn.Dense(1)]), (5, 7, 7, 2)),
])
def test_saved_model_loads_with_identical_predictions(tmp_path, model, shape):
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    params = model.init(jax.random.PRNGKey(1), x)
    path = jaxnn.save_model(tmp_path / "model.jaxnn", model, params)
    loaded, loaded_params = jaxnn.load_model(path)
    assert loaded == model
    _same_tree(loaded_params, params)
    np.testing.assert_array_equal(jaxnn.predict(loaded, loaded_params, x),
                                  jaxnn.predict(model, params, x))
    _same_tree(jaxnn.load_params(path), params)  # a parameter file too


def test_saved_model_errors_are_clear(tmp_path):
    import flax.linen as nn

    model = jaxnn.MLP([4, 2])
    params = model.init(jax.random.PRNGKey(0), np.zeros((1, 3)))
    with pytest.raises(FileNotFoundError, match="no such file"):
        jaxnn.load_model(tmp_path / "missing.jaxnn")
    with pytest.raises(ValueError, match="is a directory"):
        jaxnn.load_model(tmp_path)
    path = jaxnn.save_model(tmp_path / "m.jaxnn", model, params)
    (tmp_path / "cut.jaxnn").write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        jaxnn.load_model(tmp_path / "cut.jaxnn")
    jaxnn.save_params(tmp_path / "p.jaxnn", params)
    with pytest.raises(ValueError, match="parameters only.*load_params"):
        jaxnn.load_model(tmp_path / "p.jaxnn")
    with pytest.raises(TypeError, match="kernel_init.*by name"):
        jaxnn.save_model(tmp_path / "f.jaxnn", jaxnn.MLP([2], kernel_init=lambda *a: 0), params)
    with pytest.raises(TypeError, match="pytree of arrays"):
        jaxnn.save_model(tmp_path / "f.jaxnn", model, {"w": "text"})

    class Custom(nn.Module):
        width: int = 3

        @nn.compact
        def __call__(self, x):
            return nn.Dense(self.width)(x)

    custom_params = Custom(5).init(jax.random.PRNGKey(0), np.zeros((1, 3)))
    path = jaxnn.save_model(tmp_path / "c.jaxnn", Custom(5), custom_params)
    with pytest.raises(ValueError, match="custom_objects=\\{'Custom': Custom\\}"):
        jaxnn.load_model(path)
    assert jaxnn.load_model(path, custom_objects={"Custom": Custom})[0] == Custom(5)
