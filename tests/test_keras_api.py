"""What a Keras user reaches for: MinMaxScaler, Sequential layers, Keras names, class weights,
summary, whole-model saving. Oracles: scikit-learn, NumPy, the same thing done the long way."""

from __future__ import annotations

import numpy as np
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
