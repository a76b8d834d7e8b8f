"""Weighted jaxnn.metrics against scikit-learn with sample_weight, on random data (hypothesis).

Every metric, with every option both libraries have, on random labels (integers, text,
booleans), random weights (zeros and negative ones included) and tied scores, agrees with
scikit-learn to 1e-12, warns (`UndefinedMetricWarning`) exactly when scikit-learn warns, and
raises a ValueError/TypeError naming the function exactly when scikit-learn raises. Weights are
multiples of 1/8, so that sums are exact and cancellations to 0 (0/0) happen in both libraries
alike; `test_*_with_continuous_weights` repeat the comparisons with arbitrary float weights.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefined

from jaxnn import metrics

PROPERTY = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    derandomize="PROPERTY_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = np.array(["kaon", "muon", "pion", "proton"])  # sorted: text labels keep index order
ZERO_DIVISION = ["warn", 0, 1, np.nan]
TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}


def _kinds(caught) -> set[str]:
    """The kinds of user-facing warnings: UndefinedMetricWarning (either library's) or other."""
    undefined = (SklearnUndefined, metrics.UndefinedMetricWarning)
    return {"undefined" if issubclass(w.category, undefined) else w.category.__name__
            for w in caught if issubclass(w.category, UserWarning)}


def agree(ours, theirs):
    """Call scikit-learn, then jaxnn: both raise (jaxnn naming its function), or both return
    (compared by the caller) with the same kinds of warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            expected = theirs()
        except ValueError as error:
            expected = error
    if isinstance(expected, ValueError):
        with pytest.raises((ValueError, TypeError)) as raised:
            ours()
        assert str(raised.value).startswith(ours.metric), raised.value
        event("both raised")
        return None, None
    event(f"warned {sorted(_kinds(caught))}")
    if _kinds(caught):
        with pytest.warns(Warning) as record:
            got = ours()
        assert _kinds(record) == _kinds(caught), ([str(w.message) for w in record],
                                                  [str(w.message) for w in caught])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = ours()
    return got, expected


def named(metric: str, call):
    call.metric = metric
    return call


@st.composite
def labelled(draw, scores: bool = False):
    """(y_true, y_pred or scores, weights, kind, classes) for n samples of C classes."""
    n = draw(st.integers(1, 30))
    classes = draw(st.sampled_from([2, 2, 2, 3] if scores else [2, 3, 4]))
    kind = draw(st.sampled_from(["int", "text", "bool"] if classes == 2 else ["int", "text"]))
    codes = st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)
    y_true, y_pred = np.array(draw(codes)), np.array(draw(codes))
    eighths = st.integers(-8, 40) if draw(st.booleans()) else st.integers(0, 40)
    weights = np.array(draw(st.lists(eighths, min_size=n, max_size=n))) / 8.0
    encode = {"int": lambda c: c, "text": lambda c: NAMES[c], "bool": lambda c: c.astype(bool)}
    if scores:
        y_pred = np.array(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))) / 2.0
        return encode[kind](y_true), y_pred, weights, kind, classes
    return encode[kind](y_true), encode[kind](y_pred), weights, kind, classes


def labels_of(kind, classes, subset):
    values = np.arange(classes)[subset]
    return NAMES[values] if kind == "text" else values


@PROPERTY
@given(labelled(), st.sampled_from([None, "true", "pred", "all"]), st.booleans(), st.data())
def test_confusion_matrix_matches_sklearn(case, normalize, given_labels, data):
    y_true, y_pred, weights, kind, classes = case
    labels = None
    if given_labels:
        order = data.draw(st.permutations(range(classes)))
        labels = labels_of(kind, classes, order[:data.draw(st.integers(1, classes))])
    # jaxnn's convention: integer labels are indices, the matrix has max + 1 rows
    implicit = np.arange(max(y_true.max(), y_pred.max()) + 1) if kind != "text" else None
    got, expected = agree(
        named("confusion_matrix", lambda: metrics.confusion_matrix(
            y_true, y_pred, labels=labels, sample_weight=weights, normalize=normalize)),
        lambda: skm.confusion_matrix(y_true, y_pred, labels=implicit if labels is None else labels,
                                     sample_weight=weights, normalize=normalize))
    if expected is not None:
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **TOLERANCE)


@PROPERTY
@given(labelled(), st.booleans())
def test_accuracy_matches_sklearn(case, normalize):
    y_true, y_pred, weights, *_ = case
    got, expected = agree(
        named("accuracy", lambda: metrics.accuracy(y_true, y_pred, normalize=normalize,
                                                   sample_weight=weights)),
        lambda: _sklearn_accuracy(y_true, y_pred, normalize, weights))
    if expected is not None:
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _sklearn_accuracy(y_true, y_pred, normalize, weights):
    try:
        return skm.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=weights)
    except ZeroDivisionError as error:  # weights summing to 0: jaxnn raises a ValueError
        raise ValueError(str(error)) from error


@pytest.mark.parametrize("name, theirs", [("precision", skm.precision_score),
                                          ("recall", skm.recall_score),
                                          ("f1_score", skm.f1_score)])
@PROPERTY
@given(case=labelled(), average=st.sampled_from(["binary", "micro", "macro", "weighted", None]),
       zero_division=st.sampled_from(ZERO_DIVISION), given_labels=st.booleans(), data=st.data())
def test_precision_recall_f1_match_sklearn(name, theirs, case, average, zero_division,
                                           given_labels, data):
    y_true, y_pred, weights, kind, classes = case
    ours = getattr(metrics, name)
    options = {"average": average, "sample_weight": weights, "zero_division": zero_division}
    if average == "binary":
        options["pos_label"] = labels_of(kind, classes, data.draw(st.integers(0, classes - 1)))
        if kind == "bool":
            options["pos_label"] = bool(options["pos_label"])
    elif given_labels:
        order = data.draw(st.permutations(range(classes)))
        options["labels"] = labels_of(kind, classes, order[:data.draw(st.integers(1, classes))])
    got, expected = agree(named(name, lambda: ours(y_true, y_pred, **options)),
                          lambda: theirs(y_true, y_pred, **options))
    if expected is not None:
        np.testing.assert_allclose(got, expected, **TOLERANCE)


@PROPERTY
@given(case=labelled(), zero_division=st.sampled_from(ZERO_DIVISION),
       given_labels=st.booleans(), data=st.data())
def test_classification_report_matches_sklearn(case, zero_division, given_labels, data):
    y_true, y_pred, weights, kind, classes = case
    options = {"sample_weight": weights, "zero_division": zero_division, "output_dict": True}
    if given_labels:
        options["labels"] = labels_of(kind, classes, data.draw(st.permutations(range(classes))))
    got, expected = agree(
        named("classification_report", lambda: metrics.classification_report(
            y_true, y_pred, **options)),
        lambda: skm.classification_report(y_true, y_pred, **options))
    if expected is None:
        return
    assert list(got) == list(expected)
    for key, row in expected.items():
        if key == "accuracy":
            assert got[key] == pytest.approx(row, rel=1e-12, abs=1e-12, nan_ok=True)
        else:
            assert list(got[key]) == list(row)
            np.testing.assert_allclose(list(got[key].values()), list(row.values()), **TOLERANCE)
    text = metrics.classification_report(y_true, y_pred, digits=4, **{
        **options, "output_dict": False, "zero_division": 0})
    assert text == skm.classification_report(y_true, y_pred, digits=4, **{
        **options, "output_dict": False, "zero_division": 0})


def _pos_label(kind):
    return {"int": None, "text": "pion", "bool": True}[kind]


@PROPERTY
@given(labelled(scores=True), st.booleans())
def test_roc_curve_matches_sklearn(case, drop_intermediate):
    y_true, scores, weights, kind, _ = case
    pos_label = _pos_label(kind)
    if kind == "int":
        y_true = (y_true == 1).astype(int)  # 0/1 labels need no pos_label
    got, expected = agree(
        named("roc_curve", lambda: metrics.roc_curve(
            y_true, scores, pos_label=pos_label, sample_weight=weights,
            drop_intermediate=drop_intermediate)),
        lambda: skm.roc_curve(y_true, scores, pos_label=pos_label, sample_weight=weights,
                              drop_intermediate=drop_intermediate))
    if expected is not None:
        for ours, theirs in zip(got, expected, strict=True):
            np.testing.assert_allclose(ours, theirs, **TOLERANCE)


@PROPERTY
@given(labelled(scores=True), st.sampled_from([None, 0.3, 1.0]))
def test_binary_roc_auc_score_matches_sklearn(case, max_fpr):
    y_true, scores, weights, *_ = case
    weights = np.abs(weights)  # scikit-learn refuses the non-monotonic curves of negative ones
    totals = [weights[y_true == label].sum() for label in np.unique(y_true)]
    if max_fpr == 0.3 and len(totals) == 2 and 0 in totals and weights.any():
        # A class of zero total weight: NaN and a warning, as without max_fpr (scikit-learn's
        # partial area then fails in auc() on the NaN curve it has just warned about).
        with pytest.warns(metrics.UndefinedMetricWarning, match="samples in y_true"):
            assert math.isnan(metrics.roc_auc_score(y_true, scores, sample_weight=weights,
                                                    max_fpr=max_fpr))
        return
    got, expected = agree(
        named("roc_auc_score", lambda: metrics.roc_auc_score(
            y_true, scores, sample_weight=weights, max_fpr=max_fpr)),
        lambda: skm.roc_auc_score(y_true, scores, sample_weight=weights, max_fpr=max_fpr))
    if expected is not None:
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12, nan_ok=True)


@st.composite
def probabilities(draw):
    """(y_true, (n, C) probabilities, weights, kind) with every class usually present."""
    classes = draw(st.sampled_from([3, 4]))
    n = draw(st.integers(classes, 30))
    y_true = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    if draw(st.integers(0, 4)):
        y_true[:classes] = np.arange(classes)
    logits = np.array(draw(st.lists(st.integers(-2, 2), min_size=n * classes,
                                    max_size=n * classes))).reshape(n, classes)
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    weights = np.array(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))) / 8.0
    kind = draw(st.sampled_from(["int", "text"]))
    return (NAMES[y_true] if kind == "text" else y_true), scores, weights, kind


@PROPERTY
@given(probabilities(), st.sampled_from(["ovr", "ovo"]),
       st.sampled_from(["macro", "weighted", "micro", None]), st.booleans(), st.booleans())
def test_multiclass_roc_auc_score_matches_sklearn(case, multi_class, average, weighted,
                                                  given_labels):
    y_true, scores, weights, kind = case
    options = {"multi_class": multi_class, "average": average,
               "sample_weight": weights if weighted else None}
    if given_labels:
        options["labels"] = labels_of(kind, scores.shape[1], slice(None))
    try:
        got, expected = agree(
            named("roc_auc_score", lambda: metrics.roc_auc_score(y_true, scores, **options)),
            lambda: skm.roc_auc_score(y_true, scores, **options))
    except NotImplementedError:  # scikit-learn's error for ovo with average=None
        with pytest.raises(NotImplementedError, match=r"roc_auc_score\(average=None\)"):
            metrics.roc_auc_score(y_true, scores, **options)
        return
    if expected is not None:
        np.testing.assert_allclose(got, expected, **TOLERANCE)


def test_metrics_with_continuous_weights_match_sklearn():
    rng = np.random.default_rng(0)
    n, classes = 2000, 4
    y_true = rng.integers(0, classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, classes, n))
    weights = rng.exponential(1.0, n) * np.where(rng.random(n) < 0.1, -0.3, 1.0)
    for average in ["micro", "macro", "weighted"]:
        for ours, theirs in [(metrics.precision, skm.precision_score),
                             (metrics.recall, skm.recall_score), (metrics.f1_score, skm.f1_score)]:
            assert ours(y_true, y_pred, average=average, sample_weight=weights) == pytest.approx(
                theirs(y_true, y_pred, average=average, sample_weight=weights), rel=1e-12)
    np.testing.assert_allclose(
        metrics.confusion_matrix(y_true, y_pred, sample_weight=weights, normalize="true"),
        skm.confusion_matrix(y_true, y_pred, sample_weight=weights, normalize="true"), rtol=1e-12)
    assert metrics.accuracy(y_true, y_pred, sample_weight=weights) == pytest.approx(
        skm.accuracy_score(y_true, y_pred, sample_weight=weights), rel=1e-12)
    signal = (y_true == 1).astype(int)
    scores = rng.normal(size=n) + signal
    positive = np.abs(weights)
    for ours, theirs in zip(metrics.roc_curve(signal, scores, sample_weight=weights),
                            skm.roc_curve(signal, scores, sample_weight=weights), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert metrics.roc_auc_score(signal, scores, sample_weight=positive) == pytest.approx(
        skm.roc_auc_score(signal, scores, sample_weight=positive), rel=1e-12)
    logits = rng.normal(size=(n, classes)) + 2 * np.eye(classes)[y_true]
    probability = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for average in ["micro", "macro", "weighted"]:
        assert metrics.roc_auc_score(y_true, probability, multi_class="ovr", average=average,
                                     sample_weight=positive) == pytest.approx(
            skm.roc_auc_score(y_true, probability, multi_class="ovr", average=average,
                              sample_weight=positive), rel=1e-12)


def test_weighted_auc_with_negative_weights_is_the_weighted_pair_probability():
    """scikit-learn refuses the non-monotonic curve; the AUC is still P(s > b) + P(s = b) / 2
    over weighted pairs, which the trapezoid sum of the weighted curve computes."""
    rng = np.random.default_rng(1)
    n = 300
    y_true = rng.integers(0, 2, n)
    scores = np.round(rng.normal(size=n) + y_true, 1)
    weights = rng.normal(1.0, 1.0, n)  # about 16 % negative
    signal, background = y_true == 1, y_true == 0
    pair_weight = np.outer(weights[signal], weights[background])
    above = scores[signal][:, None] > scores[background][None, :]
    tied = scores[signal][:, None] == scores[background][None, :]
    expected = np.sum(pair_weight * (above + 0.5 * tied)) / np.sum(pair_weight)
    got = metrics.roc_auc_score(y_true, scores, sample_weight=weights)
    assert got == pytest.approx(expected, rel=1e-12)
    assert not math.isnan(got)
