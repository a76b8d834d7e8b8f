"""Multi-class ROC AUC, per-class ROC curves, and what the ranking metrics do with degenerate
input (one class only), against scikit-learn and direct computations."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

from jaxnn import metrics


def _three_classes(seed: int, n: int = 600):
    """Pion/kaon/proton-like labels and softmax probabilities that favour the true class."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[y_true]
    logits = np.round(logits, 1)  # ties within every column
    probability = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, probability, rng.exponential(1.0, n)


@pytest.mark.parametrize("seed", [0, 1])
def test_roc_curves_are_the_one_vs_rest_curves_of_each_column(seed):
    y_true, probability, weights = _three_classes(seed)
    curves = metrics.roc_curves(y_true, probability, sample_weight=weights)
    assert list(curves) == [0, 1, 2]
    for label, (fpr, tpr, thresholds) in curves.items():
        expected = skm.roc_curve(y_true, probability[:, label], pos_label=label,
                                 sample_weight=weights)
        for ours, theirs in zip((fpr, tpr, thresholds), expected, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_roc_curves_with_text_labels_take_the_sorted_classes_or_labels():
    y_true, probability, _ = _three_classes(2)
    names = np.array(["kaon", "pion", "proton"])[y_true]  # sorted order = column order
    curves = metrics.roc_curves(names, probability, drop_intermediate=False)
    assert list(curves) == ["kaon", "pion", "proton"]
    np.testing.assert_array_equal(curves["pion"][1], metrics.roc_curve(
        y_true == 1, probability[:, 1], drop_intermediate=False)[1])
    reordered = metrics.roc_curves(names, probability[:, ::-1],
                                   labels=["proton", "pion", "kaon"])
    assert list(reordered) == ["proton", "pion", "kaon"]
    np.testing.assert_array_equal(reordered["kaon"][0], metrics.roc_curve(
        y_true == 0, probability[:, 0])[0])


def test_roc_curves_of_a_class_absent_from_y_true_warn_and_are_nan():
    y_true, probability, _ = _three_classes(3)
    y_true[y_true == 2] = 0
    with pytest.warns(metrics.UndefinedMetricWarning, match=r"No positive samples.*roc_curves"):
        curves = metrics.roc_curves(y_true, probability)
    assert np.isnan(curves[2][1]).all() and not np.isnan(curves[2][0]).any()


def test_multiclass_auc_averages_the_per_class_curve_areas():
    y_true, probability, weights = _three_classes(4)
    areas = [metrics.auc(fpr, tpr) for fpr, tpr, _ in
             metrics.roc_curves(y_true, probability, sample_weight=weights).values()]
    per_class = metrics.roc_auc_score(y_true, probability, multi_class="ovr", average=None,
                                      sample_weight=weights)
    np.testing.assert_allclose(per_class, areas, rtol=1e-12)
    prevalence = [weights[y_true == c].sum() for c in range(3)]
    assert metrics.roc_auc_score(y_true, probability, multi_class="ovr", average="weighted",
                                 sample_weight=weights) == pytest.approx(
        np.average(areas, weights=prevalence), rel=1e-12)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_one_vs_one_auc_is_hand_and_till(average):
    y_true, probability, _ = _three_classes(5, n=200)
    pairs, prevalence = [], []
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        both = (y_true == a) | (y_true == b)

        def pair_probability(c, other, both=both):  # P(score_c of a c sample > of an other)
            mine = probability[both & (y_true == c), c]
            theirs = probability[both & (y_true == other), c]
            return np.mean((mine[:, None] > theirs[None]) + 0.5 * (mine[:, None] == theirs[None]))

        pairs.append(0.5 * (pair_probability(a, b) + pair_probability(b, a)))
        prevalence.append(both.mean())
    expected = np.average(pairs, weights=prevalence if average == "weighted" else None)
    got = metrics.roc_auc_score(y_true, probability, multi_class="ovo", average=average)
    assert got == pytest.approx(expected, rel=1e-12)


def test_one_class_in_y_true_gives_nan_and_a_warning_naming_the_function_called():
    with pytest.warns(metrics.UndefinedMetricWarning) as record:
        value = metrics.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9])
    assert np.isnan(value)
    messages = [str(w.message) for w in record]
    assert any("Only one class is present in y_true" in m and "roc_auc_score" in m
               for m in messages), messages
    assert not any("roc_curve" in m for m in messages), messages
    with pytest.warns(metrics.UndefinedMetricWarning, match=r"No negative samples.*roc_curve"):
        fpr, tpr, _ = metrics.roc_curve([1, 1, 1], [0.2, 0.5, 0.9], drop_intermediate=False)
    assert np.isnan(fpr).all()
    np.testing.assert_allclose(tpr, [0, 1 / 3, 2 / 3, 1])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: metrics.roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3], multi_class="ovr"),
         ValueError, r"^roc_auc_score\(scores=...\): `y_score` needs to be of shape"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3)), ValueError,
         r"^roc_auc_score\(multi_class='raise'\).*multi_class must be in \('ovo', 'ovr'\)"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3) * 2, multi_class="ovr"), ValueError,
         r"^roc_auc_score\(scores=...\): Target scores need to be probabilities"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo", average=None),
         NotImplementedError, r"^roc_auc_score\(average=None\)"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo", average=None),
         ValueError, r"^roc_auc_score\(average=None\)"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo",
                                       sample_weight=[1, 1, 1]), ValueError,
         r"^roc_auc_score\(sample_weight=...\): sample_weight is not supported"),
        (lambda: metrics.roc_auc_score([0, 1, 1], np.eye(3)[:, :3], multi_class="ovr"),
         ValueError, r"^roc_auc_score: Number of classes in y_true not equal"),
        (lambda: metrics.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovr",
                                       labels=[2, 1, 0]), ValueError, "must be ordered"),
        (lambda: metrics.roc_auc_score([0, 1], [0.2, 0.8], max_fpr=0), ValueError,
         r"^roc_auc_score\(max_fpr=...\)"),
        (lambda: metrics.roc_auc_score([0, 1], [0.2, 0.8], multi_class="one"), ValueError,
         r"^roc_auc_score\(multi_class='one'\)"),
        (lambda: metrics.roc_auc_score([0, 1, 0, 1], [0.2, 0.8, 0.1, 0.3],
                                       sample_weight=[1, 1, -0.5, 1], max_fpr=0.5), ValueError,
         r"^roc_auc_score\(max_fpr=0.5\): .*non-negative sample weights"),
        (lambda: metrics.roc_curves([0, 1, 3], np.eye(3)), ValueError,
         r"^roc_curves\(y_true=...\): class index 3 has no score column"),
        (lambda: metrics.roc_curves(["a", "b"], np.eye(2), labels=["a"]), ValueError,
         r"^roc_curves\(labels=...\): expected one label per score column, 2, got 1"),
        (lambda: metrics.roc_curves([0, 1], [0.1, 0.2]), ValueError,
         r"^roc_curves\(scores=...\): expected a 2-D array"),
    ],
)
def test_bad_input_names_the_function_called(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_partial_auc_matches_sklearn_mcclish():
    y_true, probability, weights = _three_classes(6)
    signal, score = (y_true == 1).astype(int), probability[:, 1]
    for max_fpr in (0.05, 0.3, 0.9):
        assert metrics.roc_auc_score(signal, score, max_fpr=max_fpr,
                                     sample_weight=weights) == pytest.approx(
            skm.roc_auc_score(signal, score, max_fpr=max_fpr, sample_weight=weights), rel=1e-12)
