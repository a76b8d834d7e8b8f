"""Feature scaling as scikit-learn's: `StandardScaler` (mean 0, standard deviation 1) and
`MinMaxScaler` (each feature to a range, e.g. [0, 1]).

    scaler = jaxnn.data.MinMaxScaler().fit(x_train)      # "scale all variables to [0, 1]"
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.data._labels import ENCODE_HINT, to_numpy


def _check_features(x: Any, argument: str) -> np.ndarray:
    array = to_numpy(x, argument)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected a numeric array (samples, features), got dtype "
                        f"{array.dtype}. " + ENCODE_HINT)
    if array.ndim != 2:
        hint = " For a single feature use x.reshape(-1, 1)." if array.ndim == 1 else ""
        raise ValueError(f"{argument}: expected a 2-D array (samples, features), got shape "
                         f"{array.shape}.{hint}")
    bad_columns = np.flatnonzero(~np.isfinite(array).all(axis=0))
    if bad_columns.size:
        column = int(bad_columns[0])
        count = int((~np.isfinite(array[:, column])).sum())
        raise ValueError(f"{argument}: column {column} holds {count} NaN/inf value(s) (columns "
                         f"with NaN/inf: {bad_columns.tolist()}). Remove or impute them first.")
    return array


def _fitted_features(scaler: Any, x: Any, method: str) -> tuple[np.ndarray, np.dtype]:
    """`x` for a fitted scaler's `method`: float64 features, as many as in fit, and the dtype
    to return them in (x's float dtype, else float64)."""
    where = f"{type(scaler).__name__}.{method}"
    if scaler.scale_ is None:
        raise ValueError(f"{where}: the scaler is not fitted yet. Call fit(x_train) first.")
    array = _check_features(x, f"{where}(x=...)")
    if array.shape[1] != scaler.n_features_in_:
        raise ValueError(f"{where}(x=...): expected {scaler.n_features_in_} features (as in "
                         f"fit), got {array.shape[1]} (shape {array.shape}).")
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    return array.astype(np.float64), dtype


class StandardScaler:
    """Shift and scale each feature to mean 0 and standard deviation 1 (as scikit-learn's).

    `transform(x) = (x - mean_) / scale_` with `scale_` the population standard deviation
    (ddof=0). A constant feature (variance within rounding error of 0) gets `scale_ = 1`, so it
    maps to 0 rather than dividing by zero. Statistics are computed in float64; outputs keep
    the input's float dtype (integers become float64).

    Attributes (after `fit`):
        mean_: (features,) feature means.
        var_: (features,) feature variances.
        scale_: (features,) the divisors.
        n_features_in_: number of features seen in `fit`.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.var_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_features_in_: int | None = None

    def fit(self, x: Any) -> StandardScaler:
        """Learn `mean_` and `scale_` from `x: (samples, features)`; returns self."""
        array = _check_features(x, "StandardScaler.fit(x=...)")
        if array.shape[0] == 0:
            raise ValueError("StandardScaler.fit(x=...): expected at least one sample, got 0.")
        values = array.astype(np.float64)
        mean = values.mean(axis=0)
        # Two-pass variance with the rounding error of the mean subtracted (as scikit-learn):
        # identical large values give exactly 0, not a few ulp of the mean squared.
        deviation = values - mean
        var = np.mean(deviation**2, axis=0) - np.mean(deviation, axis=0) ** 2
        # Variance within the two-pass algorithm's error bound of 0 counts as constant
        # (Chan, Golub & LeVeque), the test scikit-learn uses.
        n, eps = values.shape[0], np.finfo(np.float64).eps
        overflow = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(var)))
        if overflow.size:
            column = int(overflow[0])
            raise ValueError(f"StandardScaler.fit(x=...): the mean or variance of column {column} "
                             f"(values up to {np.abs(values[:, column]).max():.3g}) overflows "
                             "float64. Rescale that feature first (e.g. change its units).")
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        self.mean_, self.var_ = mean, var
        self.scale_ = np.where(constant, 1.0, np.sqrt(var))
        self.n_features_in_ = values.shape[1]
        return self

    @staticmethod
    def _finite(result: np.ndarray, method: str) -> np.ndarray:
        """Raise if the (float) result overflowed its dtype instead of returning inf."""
        bad_columns = np.flatnonzero(~np.isfinite(result).all(axis=0))
        if bad_columns.size:
            raise ValueError(f"StandardScaler.{method}(x=...): columns {bad_columns.tolist()[:10]} "
                             f"overflow {result.dtype} when scaled: the values lie far outside "
                             "the range seen in fit. Pass float64 data or check the features.")
        return result

    def _checked(self, x: Any, method: str) -> tuple[np.ndarray, np.dtype]:
        return _fitted_features(self, x, method)

    def transform(self, x: Any) -> np.ndarray:
        """Standardize `x: (samples, features)` with the fitted statistics."""
        values, dtype = self._checked(x, "transform")
        with np.errstate(over="ignore"):
            return self._finite(((values - self.mean_) / self.scale_).astype(dtype), "transform")

    def fit_transform(self, x: Any) -> np.ndarray:
        """`fit(x)` then `transform(x)`."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo `transform`: `x * scale_ + mean_`."""
        values, dtype = self._checked(x, "inverse_transform")
        with np.errstate(over="ignore"):
            return self._finite((values * self.scale_ + self.mean_).astype(dtype),
                                "inverse_transform")


def _check_range(feature_range: Any) -> tuple[float, float]:
    problem = (f"MinMaxScaler(feature_range={feature_range!r}): expected a pair (low, high) of "
               "finite numbers with low < high, e.g. (0, 1) or (-1, 1).")
    if not isinstance(feature_range, (tuple, list)) or len(feature_range) != 2:
        raise ValueError(problem)
    low, high = feature_range
    numbers = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                  for v in (low, high))
    if not numbers or not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(problem)
    return float(low), float(high)


class MinMaxScaler:
    """Scale each feature linearly so that its training minimum and maximum map to
    `feature_range` (default (0, 1)), as scikit-learn's ``MinMaxScaler``.

    ``transform(x) = x * scale_ + min_`` with ``scale_ = (high - low) / (data_max_ -
    data_min_)`` and ``min_ = low - data_min_ * scale_``. A constant feature (range within
    rounding error of 0) gets a divisor of 1, so it maps to ``low`` instead of dividing by
    zero. Values outside the training range map outside `feature_range` unless ``clip=True``.
    Statistics are computed in float64; outputs keep the input's float dtype (integers become
    float64).

    Args:
        feature_range: ``(low, high)`` with ``low < high``.
        clip: clip transformed values to `feature_range`.

    Attributes (after `fit`):
        data_min_, data_max_, data_range_: (features,) per-feature minimum, maximum, range.
        scale_, min_: (features,) the affine map.
        n_features_in_: number of features seen in `fit`.
    """

    def __init__(self, feature_range: tuple[float, float] = (0, 1), clip: bool = False) -> None:
        self.feature_range = _check_range(feature_range)
        if not isinstance(clip, (bool, np.bool_)):
            raise TypeError(f"MinMaxScaler(clip={clip!r}): expected True or False.")
        self.clip = bool(clip)
        self.data_min_: np.ndarray | None = None
        self.data_max_: np.ndarray | None = None
        self.data_range_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.min_: np.ndarray | None = None
        self.n_features_in_: int | None = None

    def fit(self, x: Any) -> MinMaxScaler:
        """Learn the per-feature minimum and maximum of `x: (samples, features)`; returns self."""
        array = _check_features(x, "MinMaxScaler.fit(x=...)")
        if array.shape[0] == 0:
            raise ValueError("MinMaxScaler.fit(x=...): expected at least one sample, got 0.")
        values = array.astype(np.float64)
        low, high = self.feature_range
        data_min, data_max = values.min(axis=0), values.max(axis=0)
        with np.errstate(over="ignore"):
            data_range = data_max - data_min
        overflow = np.flatnonzero(~np.isfinite(data_range))
        if overflow.size:
            raise ValueError(f"MinMaxScaler.fit(x=...): the range of column {int(overflow[0])} "
                             "overflows float64. Rescale that feature first (e.g. change its "
                             "units).")
        # As scikit-learn: a range within 10 ulp of 0 counts as constant.
        divisor = np.where(data_range < 10 * np.finfo(np.float64).eps, 1.0, data_range)
        self.data_min_, self.data_max_, self.data_range_ = data_min, data_max, data_range
        self.scale_ = (high - low) / divisor
        self.min_ = low - data_min * self.scale_
        self.n_features_in_ = values.shape[1]
        return self

    def _checked(self, x: Any, method: str) -> tuple[np.ndarray, np.dtype]:
        return _fitted_features(self, x, method)

    @staticmethod
    def _finite(result: np.ndarray, dtype: np.dtype, method: str) -> np.ndarray:
        """`result` in `dtype`, or a ValueError if it overflows there."""
        with np.errstate(over="ignore"):
            converted = result.astype(dtype)
        bad_columns = np.flatnonzero(~np.isfinite(converted).all(axis=0))
        if bad_columns.size:
            raise ValueError(f"MinMaxScaler.{method}(x=...): columns {bad_columns.tolist()[:10]} "
                             f"overflow {dtype} when scaled: the values lie far outside the "
                             "range seen in fit. Pass float64 data or check the features.")
        return converted

    def transform(self, x: Any) -> np.ndarray:
        """Scale `x: (samples, features)` with the fitted minimum and maximum."""
        values, dtype = self._checked(x, "transform")
        with np.errstate(over="ignore", invalid="ignore"):
            result = values * self.scale_ + self.min_
        if self.clip:
            result = np.clip(result, *self.feature_range)
        return self._finite(result, dtype, "transform")

    def fit_transform(self, x: Any) -> np.ndarray:
        """`fit(x)` then `transform(x)`."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo `transform`: ``(x - min_) / scale_``."""
        values, dtype = self._checked(x, "inverse_transform")
        with np.errstate(over="ignore", invalid="ignore"):
            result = (values - self.min_) / self.scale_
        return self._finite(result, dtype, "inverse_transform")
