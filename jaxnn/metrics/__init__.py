"""Classification metrics on the host: confusion matrix, accuracy, precision, recall, F1, ROC,
AUC (binary and multi-class), background rejection and signal efficiency, with event weights.

Inputs may be NumPy or JAX arrays (or lists); results are NumPy arrays or Python floats. The
definitions, option names and edge cases follow scikit-learn's `sklearn.metrics` (and are tested
against its own test suite); where jaxnn differs on purpose the docstring says so:

- Class labels. Integer labels are class indices 0 .. C-1: `confusion_matrix` has max label + 1
  rows (or `num_classes`), so an absent class keeps its row. Text labels (and booleans, as 0/1)
  work everywhere, encoded as `jaxnn.data.LabelEncoder` does; with text labels, or whenever
  `labels=` is passed, scikit-learn's convention holds: the sorted labels present, or `labels`.
- Binary metrics take the signal class as 1 (and background as 0 or -1), or `pos_label=`.
- A ratio 0/0 is 0 by default (`zero_division=0`, silent); "warn" gives scikit-learn's
  behaviour (0 and an `UndefinedMetricWarning`), 1 and np.nan are the other choices.
- `classification_report` shows 3 decimals (scikit-learn: 2).

Event weights (`sample_weight=`, Monte-Carlo generator or cross-section weights) are accepted
by every metric; negative weights are allowed where the quantity stays defined, and a clear
error says when it does not (e.g. background weights summing to <= 0 for a rejection).

    print(classification_report(y_test, predicted, target_names=["pion", "kaon", "proton"]))
    fpr, tpr, thresholds = roc_curve(y_test, scores, sample_weight=weights)
    background_rejection(y_test, scores, [0.5, 0.9])      # 1 - FPR at 50% and 90% signal eff.
    roc_auc_score(y_test, probabilities, multi_class="ovr")  # (samples, C) probabilities
    roc_curves(y_test, probabilities)                       # {class: (fpr, tpr, thresholds)}
"""

from jaxnn.metrics._auc import roc_auc_score, roc_curves
from jaxnn.metrics._checks import UndefinedMetricWarning
from jaxnn.metrics._confusion import accuracy, confusion_matrix, f1_score, precision, recall
from jaxnn.metrics._curve import auc, roc_curve
from jaxnn.metrics._hep import background_rejection, signal_efficiency
from jaxnn.metrics._report import classification_report

__all__ = [
    "UndefinedMetricWarning",
    "accuracy",
    "auc",
    "background_rejection",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "precision",
    "recall",
    "roc_auc_score",
    "roc_curve",
    "roc_curves",
    "signal_efficiency",
]
