"""Plots for classifiers and training runs: loss curves, ROC, confusion matrix, responses,
and many-model figures (`hyperparameter_scan`, `uncertainty_band`).

Every function draws on a `matplotlib.figure.Figure` (the Agg canvas, no display and no pyplot
global state) and returns it; ``path=...`` also saves it (PNG at 120 dpi, parent folders made),
and ``ax=...`` draws into an existing Axes instead (the function then returns ``ax.figure``).

    result = jaxnn.fit(model, (x, y), ..., metrics=["accuracy", "auc"])
    jaxnn.plot.history(result, path="out/history.png")
    jaxnn.plot.roc({"MLP": (y_test, scores)}, style="rejection", path="out/roc.png")
    jaxnn.plot.roc({"MLP": (y_test, scores, weights)})        # weighted events
    jaxnn.plot.roc({"MLP": (y_test, probabilities)}, class_names=["pion", "kaon", "proton"])

The helpers `new_axes`, `save_figure`, `as_history`, `numeric_series` and `x_values` are public
for `pinn.plot`, which draws its figures the same way.
"""

from jaxnn.plot._many import hyperparameter_scan, uncertainty_band
from jaxnn.plot._plot import (
    as_history,
    classifier_response,
    confusion_matrix,
    curve,
    decision_boundary,
    history,
    new_axes,
    numeric_series,
    save_figure,
    x_values,
)
from jaxnn.plot._roc import ROC_STYLES, roc, roc_from_curves

__all__ = [
    "ROC_STYLES",
    "as_history",
    "classifier_response",
    "confusion_matrix",
    "curve",
    "decision_boundary",
    "history",
    "hyperparameter_scan",
    "new_axes",
    "numeric_series",
    "roc",
    "roc_from_curves",
    "save_figure",
    "uncertainty_band",
    "x_values",
]
