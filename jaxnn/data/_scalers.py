"""MinMaxScaler: scale each feature to a range, e.g. [0, 1] (as scikit-learn's).

Re-exported from `jaxnn.data` beside `StandardScaler`, where users look for it.

    scaler = jaxnn.data.MinMaxScaler().fit(x_train)      # "scale all variables to [0, 1]"
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.data import _check_features

__all__ = ["MinMaxScaler"]


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
        if self.scale_ is None:
            raise ValueError(f"MinMaxScaler.{method}: the scaler is not fitted yet. Call "
                             "fit(x_train) first.")
        array = _check_features(x, f"MinMaxScaler.{method}(x=...)")
        if array.shape[1] != self.n_features_in_:
            raise ValueError(f"MinMaxScaler.{method}(x=...): expected {self.n_features_in_} "
                             f"features (as in fit), got {array.shape[1]} (shape {array.shape}).")
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
        return array.astype(np.float64), dtype

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
