"""The classification report: precision, recall, F1 and support per class, as a text table (or
a dict), laid out like scikit-learn's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jaxnn.metrics._checks import check_zero_division, encode_pair, warn
from jaxnn.metrics._confusion import precision_recall_f1_support
from jaxnn.validate import check_bool, check_int

_HEADERS = ("precision", "recall", "f1-score", "support")


def _names(target_names: Any, where: str) -> list[str]:
    if isinstance(target_names, str) or not (
            isinstance(target_names, Sequence)
            or (isinstance(target_names, np.ndarray) and target_names.ndim == 1)):
        raise TypeError(f"{where}(target_names={target_names!r}): expected a list of class "
                        "names, e.g. ['pion', 'kaon'].")
    names = [str(name) for name in target_names]
    if not names:
        raise ValueError(f"{where}(target_names=...): expected one name per class, got none.")
    return names


def _table(names: list[str], rows: list[tuple], averages: dict[str, tuple], digits: int) -> str:
    width = max(max(len(name) for name in names), len("weighted avg"), digits)
    row_format = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    lines = [("{:>{width}s} " + " {:>9}" * 4).format("", *_HEADERS, width=width) + "\n\n"]
    lines += [row_format.format(*row, width=width, digits=digits) for row in rows]
    lines.append("\n")
    for heading, values in averages.items():
        if heading == "accuracy":
            lines.append(("{:>{width}s} " + " {:>9}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
                heading, "", "", values[2], values[3], width=width, digits=digits))
        else:
            lines.append(row_format.format(heading, *values, width=width, digits=digits))
    return "".join(lines)


def classification_report(
    y_true: Any, y_pred: Any, target_names: Sequence[str] | None = None, digits: int = 3, *,
    labels: Any = None, sample_weight: Any = None, output_dict: bool = False,
    zero_division: Any = 0,
) -> str | dict[str, Any]:
    """Precision, recall, F1 and support per class, with accuracy and the macro and weighted
    averages, laid out like scikit-learn's `classification_report`. Show it with `print(...)`.

    The rows are the classes present in y_true or y_pred, sorted (or `labels`, in that order).
    `target_names` names those rows, one name each: a list whose length differs from the
    number of classes present is refused unless `labels=` says which classes are meant (then,
    as in scikit-learn, a warning and the shorter of the two is shown). When `labels` leave out
    a class present in the data, the "accuracy" row becomes a "micro avg" row.

    Args:
        y_true: (samples,) true classes (integers, booleans or text).
        y_pred: (samples,) predicted classes.
        target_names: a display name per row, e.g. `LabelEncoder().classes_`.
        digits: decimals shown (jaxnn's default 3; scikit-learn's is 2).
        labels: (C,) the classes to list, in order, e.g. `range(10)` to list a class that is
            absent from the data.
        sample_weight: (samples,) event weights; the support is then the summed weight.
        output_dict: return a dict {row name: {"precision": ..., "recall": ...,
            "f1-score": ..., "support": ...}, "accuracy": float, ...} instead of text.
        zero_division: the value of a ratio 0/0: 0 (default, silent), 1, np.nan or "warn".

    Returns:
        The table as text, or the dict for `output_dict=True`.
    """
    where = "classification_report"
    digits = check_int(digits, f"{where}(digits=...)", minimum=0)
    output_dict = check_bool(output_dict, f"{where}(output_dict=...)")
    check_zero_division(zero_division, where)
    encoded = encode_pair(y_true, y_pred, where, labels=labels, sample_weight=sample_weight,
                          indices=False)
    shown = encoded.present if encoded.chosen is None else encoded.chosen
    names = [str(label) for label in encoded.classes[shown]]
    if target_names is not None:
        given = _names(target_names, where)
        if len(given) != len(shown):
            if labels is None:
                raise ValueError(
                    f"{where}(target_names=...): Number of classes, {len(shown)}, does not "
                    f"match size of target_names, {len(given)}. Try specifying the labels "
                    f"parameter: the classes present in y_true and y_pred are "
                    f"{names[:10]}; pass labels=[...] with one class per name (e.g. "
                    f"labels=range({len(given)}) for class indices).")
            warn(f"labels size, {len(shown)}, does not match size of target_names, "
                 f"{len(given)} ({where}).", UserWarning)
        names = given
    micro_is_accuracy = encoded.chosen is None or set(encoded.present) <= set(encoded.chosen)
    options = {"pos_label": None, "labels": encoded.classes[shown],
               "sample_weight": sample_weight, "zero_division": zero_division, "where": where,
               "warn_for": ("precision", "recall", "f-score")}
    per_class = precision_recall_f1_support(y_true, y_pred, average=None, **options)
    support = per_class[3]
    total = support.sum()
    rows = list(zip(names, *per_class[:3], support.tolist(), strict=False))
    averages = {}
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        values = precision_recall_f1_support(y_true, y_pred, average=average, **options)
        averages[heading] = (*values[:3], total.item())
    if not output_dict:
        return _table(names, rows, averages, digits)
    report: dict[str, Any] = {
        row[0]: dict(zip(_HEADERS, (float(v) for v in row[1:]), strict=True)) for row in rows}
    for heading, values in averages.items():
        report[heading] = (float(values[0]) if heading == "accuracy" else
                           dict(zip(_HEADERS, (float(v) for v in values), strict=True)))
    return report
