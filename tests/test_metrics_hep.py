"""Weighted working points (signal efficiency, background rejection) against histograms
computed by hand with NumPy, negative generator weights included."""

from __future__ import annotations

import numpy as np
import pytest

from jaxnn import metrics

BINS = 21  # scores are k / 20, k = 0 .. 20: a histogram bin per score value


def weighted_toy(seed: int, negative: bool):
    """Signal peaks at high score, background at low; a fraction of the events (and all
    events of two score values, one per class) carry negative weights, as NLO generators
    produce, so the cumulative rates fall back somewhere. Weights are multiples of 1/64, so
    every sum is exact and a working point placed on a curve point sits exactly on it."""
    rng = np.random.default_rng(seed)
    n_signal, n_background = 1500, 2500
    signal = np.clip(np.round(rng.normal(14, 3, n_signal)), 0, 20) / 20
    background = np.clip(np.round(rng.normal(7, 3, n_background)), 0, 20) / 20
    scores = np.concatenate([signal, background])
    y_true = np.concatenate([np.ones(n_signal, int), np.zeros(n_background, int)])
    weights = np.maximum(np.round(rng.exponential(1.0, len(scores)) * 64), 1) / 64
    if negative:
        weights *= np.where(rng.random(len(scores)) < 0.2, -0.5, 1.0)
        weights[(y_true == 1) & (scores == 0.8)] *= -1.0
        weights[(y_true == 0) & (scores == 0.6)] *= -1.0
    return y_true, scores, weights


def histogram_rates(y_true, scores, weights):
    """(fpr, tpr) of the selections score >= k / 20, from the top bin down, from (0, 0)."""
    edges = (np.arange(BINS + 1) - 0.5) / 20
    signal, _ = np.histogram(scores[y_true == 1], bins=edges, weights=weights[y_true == 1])
    background, _ = np.histogram(scores[y_true == 0], bins=edges, weights=weights[y_true == 0])
    tpr = np.cumsum(signal[::-1]) / np.sum(signal)
    fpr = np.cumsum(background[::-1]) / np.sum(background)
    return np.r_[0.0, fpr], np.r_[0.0, tpr]


def fpr_at_efficiency(fpr, tpr, efficiency):
    """Walk down the thresholds to the first point whose TPR reaches `efficiency`."""
    if efficiency <= 0:
        return 0.0
    for i in range(1, len(tpr)):
        if tpr[i] >= efficiency:
            step = (efficiency - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
            return fpr[i - 1] + step * (fpr[i] - fpr[i - 1])
    raise AssertionError("the rates end at 1")


def tpr_at_false_rate(fpr, tpr, false_rate):
    """Walk down the thresholds to the last point before the FPR first exceeds `false_rate`."""
    tolerance = 8 * np.finfo(float).eps
    for i in range(1, len(fpr)):
        if fpr[i] > false_rate + tolerance:
            if fpr[i - 1] >= false_rate:
                return tpr[i - 1]
            step = (false_rate - fpr[i - 1]) / (fpr[i] - fpr[i - 1])
            return tpr[i - 1] + step * (tpr[i] - tpr[i - 1])
    return tpr[-1]


@pytest.mark.parametrize("negative", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_working_points_match_a_histogram_by_hand(seed, negative):
    y_true, scores, weights = weighted_toy(seed, negative)
    fpr, tpr = histogram_rates(y_true, scores, weights)
    if negative:  # the toy does what it is for: the rates are not monotonic
        assert (np.diff(tpr) < 0).any() and (np.diff(fpr) < 0).any()
    rng = np.random.default_rng(seed + 10)
    efficiencies = np.concatenate([[0.0, 1.0], tpr[(tpr > 0) & (tpr <= 1)], rng.random(40)])
    expected = np.array([fpr_at_efficiency(fpr, tpr, e) for e in efficiencies])
    got = metrics.background_rejection(y_true, scores, efficiencies, sample_weight=weights)
    np.testing.assert_allclose(got, 1.0 - expected, rtol=0, atol=1e-12)
    inverse = metrics.background_rejection(y_true, scores, efficiencies, "inverse",
                                           sample_weight=weights)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(inverse, 1.0 / expected, rtol=1e-12, atol=0)

    false_rates = np.concatenate([[0.0, 1.0], fpr[(fpr >= 0) & (fpr <= 1)], rng.random(40)])
    expected = np.array([tpr_at_false_rate(fpr, tpr, f) for f in false_rates])
    got = metrics.signal_efficiency(y_true, scores, 1.0 - false_rates, sample_weight=weights)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_weighted_curve_points_are_the_histogram_cumulative_sums():
    y_true, scores, weights = weighted_toy(3, negative=True)
    fpr, tpr = histogram_rates(y_true, scores, weights)
    got_fpr, got_tpr, thresholds = metrics.roc_curve(y_true, scores, sample_weight=weights,
                                                     drop_intermediate=False)
    np.testing.assert_allclose(got_fpr, fpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_tpr, tpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(thresholds[1:], np.arange(20, -1, -1) / 20)


def test_integer_weights_count_as_repeated_events():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(size=300) + y_true, 1)
    counts = rng.integers(1, 5, 300)
    repeated = np.repeat(y_true, counts), np.repeat(scores, counts)
    efficiency = np.linspace(0, 1, 23)
    np.testing.assert_allclose(
        metrics.background_rejection(y_true, scores, efficiency, sample_weight=counts),
        metrics.background_rejection(*repeated, efficiency), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        metrics.signal_efficiency(y_true, scores, efficiency, sample_weight=counts),
        metrics.signal_efficiency(*repeated, efficiency), rtol=0, atol=1e-12)


def test_text_labels_with_pos_label_equal_the_0_1_encoding():
    y_true, scores, weights = weighted_toy(5, negative=True)
    names = np.where(y_true == 1, "kaon", "pion")
    for function in (metrics.background_rejection, metrics.signal_efficiency):
        assert function(names, scores, 0.8, sample_weight=weights, pos_label="kaon") == \
            function(y_true, scores, 0.8, sample_weight=weights)


@pytest.mark.parametrize("function", [metrics.background_rejection, metrics.signal_efficiency])
def test_a_class_whose_weights_sum_to_at_most_0_is_refused_naming_the_problem(function):
    y_true = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    name = function.__name__
    with pytest.raises(ValueError, match=rf"{name}\(sample_weight=...\): the background "
                       r"weights sum to -0.5 <= 0.*false positive rate"):
        function(y_true, scores, 0.5, sample_weight=[1.0, -1.5, 1.0, 1.0])
    with pytest.raises(ValueError, match=rf"{name}\(sample_weight=...\): the signal weights "
                       r"sum to 0 <= 0.*signal efficiency"):
        function(y_true, scores, 0.5, sample_weight=[1.0, 1.0, 2.0, -2.0])
    with pytest.raises(ValueError, match=rf"{name}\(sample_weight=...\): expected one weight "
                       r"per sample, shape \(4,\)"):
        function(y_true, scores, 0.5, sample_weight=[1.0, 1.0])
