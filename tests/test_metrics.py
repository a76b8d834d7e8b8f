"""jaxnn.metrics against scikit-learn and independent NumPy computations."""

import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.metrics as skm

from jaxnn import metrics

SEEDS = [0, 1, 2, 3]


def _multiclass(seed, n=300, classes=5):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, n)
    # Mostly right, sometimes a random class: non-trivial precision/recall per class.
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, classes, n))
    return y_true, y_pred


def _binary_scores(seed, n=400, decimals=1):
    """Labels and Gaussian scores rounded to `decimals`, so many scores tie across classes."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    scores = np.round(rng.normal(size=n) + 1.5 * y_true, decimals)
    return y_true, scores


def _working_points(y_true, scores):
    """(fpr, tpr) of every threshold `score >= t`, counted directly."""
    thresholds = np.unique(scores)
    signal, background = scores[y_true == 1], scores[y_true == 0]
    tpr = np.array([(signal >= t).mean() for t in thresholds])
    fpr = np.array([(background >= t).mean() for t in thresholds])
    return np.append(fpr, 0.0), np.append(tpr, 0.0)


# Confusion matrix, accuracy, precision, recall, F1


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_matches_sklearn_rows_true_columns_predicted(seed):
    y_true, y_pred = _multiclass(seed)
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    expected = skm.confusion_matrix(y_true, y_pred, labels=np.arange(7))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, num_classes=7), expected)


def test_confusion_matrix_accepts_jax_arrays_and_integral_floats():
    y_true, y_pred = _multiclass(0)
    result = metrics.confusion_matrix(jnp.asarray(y_true), jnp.asarray(y_pred, jnp.float32))
    np.testing.assert_array_equal(result, skm.confusion_matrix(y_true, y_pred))


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_matches_sklearn(seed):
    y_true, y_pred = _multiclass(seed)
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_precision_recall_f1_match_sklearn_for_multiclass_averages(seed, average):
    y_true, y_pred = _multiclass(seed)
    if seed % 2:
        y_pred[y_pred == 3] = 4  # class 3 never predicted: precision 0/0 counts as 0
    for ours, theirs in [
        (metrics.precision, skm.precision_score),
        (metrics.recall, skm.recall_score),
        (metrics.f1_score, skm.f1_score),
    ]:
        expected = theirs(y_true, y_pred, average=average, zero_division=0)
        assert ours(y_true, y_pred, average=average) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pos_label", [0, 1])
@pytest.mark.parametrize("average", ["binary", "macro", "micro", "weighted"])
def test_precision_recall_f1_match_sklearn_for_binary_labels(seed, pos_label, average):
    y_true, y_pred = _multiclass(seed, classes=2)
    for ours, theirs in [
        (metrics.precision, skm.precision_score),
        (metrics.recall, skm.recall_score),
        (metrics.f1_score, skm.f1_score),
    ]:
        def both(ours=ours, theirs=theirs):
            return (ours(y_true, y_pred, average=average, pos_label=pos_label),
                    theirs(y_true, y_pred, average=average, pos_label=pos_label, zero_division=0))

        if average != "binary" and pos_label != 1:  # both warn that pos_label is ignored
            with pytest.warns(UserWarning, match="pos_label.*ignored"):
                got, expected = both()
        else:
            got, expected = both()
        assert got == pytest.approx(expected, abs=1e-6)


def test_binary_scores_are_zero_when_nothing_is_predicted_positive():
    y_true, y_pred = np.array([0, 1, 1, 0]), np.zeros(4, int)
    assert metrics.precision(y_true, y_pred) == 0.0
    assert metrics.recall(y_true, y_pred) == 0.0
    assert metrics.f1_score(y_true, y_pred) == 0.0
    assert metrics.precision(y_true, y_pred) == skm.precision_score(
        y_true, y_pred, zero_division=0
    )


# ROC, AUC


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("decimals", [0, 1, 6])
@pytest.mark.parametrize("drop_intermediate", [False, True])
def test_roc_curve_matches_sklearn_with_ties(seed, decimals, drop_intermediate):
    y_true, scores = _binary_scores(seed, decimals=decimals)
    fpr, tpr, thresholds = metrics.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
    expected = skm.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
    np.testing.assert_allclose(fpr, expected[0], atol=1e-12)
    np.testing.assert_allclose(tpr, expected[1], atol=1e-12)
    np.testing.assert_array_equal(thresholds, expected[2])
    assert (fpr[0], tpr[0], thresholds[0]) == (0.0, 0.0, np.inf)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)


def test_roc_curve_accepts_bool_labels_and_jax_float32_scores():
    y_true, scores = _binary_scores(0, decimals=3)
    scores32 = jnp.asarray(scores, jnp.float32)
    fpr, tpr, _ = metrics.roc_curve(y_true.astype(bool), scores32)
    expected = skm.roc_curve(y_true, np.asarray(scores32))
    np.testing.assert_allclose(fpr, expected[0], atol=1e-12)
    np.testing.assert_allclose(tpr, expected[1], atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_score_matches_sklearn(seed):
    y_true, scores = _binary_scores(seed)
    assert metrics.roc_auc_score(y_true, scores) == pytest.approx(
        skm.roc_auc_score(y_true, scores), abs=1e-6
    )


def test_roc_auc_score_is_the_probability_signal_outscores_background():
    y_true, scores = _binary_scores(5, n=120)
    signal, background = scores[y_true == 1], scores[y_true == 0]
    wins = (signal[:, None] > background[None, :]).mean()
    ties = (signal[:, None] == background[None, :]).mean()
    assert metrics.roc_auc_score(y_true, scores) == pytest.approx(wins + 0.5 * ties, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_auc_matches_sklearn_for_increasing_and_decreasing_x(seed):
    rng = np.random.default_rng(seed)
    x, y = np.sort(rng.random(30)), rng.random(30)
    assert metrics.auc(x, y) == pytest.approx(skm.auc(x, y), abs=1e-12)
    assert metrics.auc(x[::-1], y[::-1]) == pytest.approx(skm.auc(x[::-1], y[::-1]), abs=1e-12)


@pytest.mark.parametrize("zero_division", [0, 1, np.nan])
def test_zero_division_sets_the_value_of_0_over_0(zero_division):
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0])  # class 1 never predicted
    got = metrics.precision(y_true, y_pred, zero_division=zero_division)
    np.testing.assert_equal(got, float(zero_division))
    per_class = metrics.precision(y_true, y_pred, average=None, zero_division=zero_division)
    np.testing.assert_equal(per_class, [0.5, zero_division])
    expected = skm.precision_score(y_true, y_pred, average="macro", zero_division=zero_division)
    assert metrics.precision(y_true, y_pred, average="macro",
                             zero_division=zero_division) == pytest.approx(expected)


def test_zero_division_warn_is_zero_with_an_undefined_metric_warning():
    with pytest.warns(metrics.UndefinedMetricWarning,
                      match="precision: Precision is ill-defined and being set to 0.0 due to no "
                            "predicted samples"):
        assert metrics.precision([0, 1], [0, 0], zero_division="warn") == 0.0
    with pytest.warns(metrics.UndefinedMetricWarning, match="F-score is ill-defined"):
        assert metrics.f1_score([0, 0], [0, 0], zero_division="warn") == 0.0


def test_text_labels_follow_sklearn_sorted_or_as_labels_says():
    y_true = ["cat", "ant", "cat", "cat", "ant", "bird"]
    y_pred = ["ant", "ant", "cat", "cat", "ant", "cat"]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred))
    order = ["cat", "bird"]  # a subset, in the caller's order: other samples are left out
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=order),
                                  skm.confusion_matrix(y_true, y_pred, labels=order))
    assert metrics.classification_report(y_true, y_pred) == skm.classification_report(
        y_true, y_pred, digits=3, zero_division=0)
    assert metrics.f1_score(y_true, y_pred, average="weighted") == pytest.approx(
        skm.f1_score(y_true, y_pred, average="weighted", zero_division=0))


def test_integer_labels_keep_the_class_index_convention_unless_labels_are_given():
    y_true, y_pred = [1, 2, 2], [2, 2, 1]
    matrix = metrics.confusion_matrix(y_true, y_pred)  # rows 0, 1, 2: class 0 has a row
    np.testing.assert_array_equal(matrix, skm.confusion_matrix(y_true, y_pred, labels=[0, 1, 2]))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=[1, 2]),
                                  skm.confusion_matrix(y_true, y_pred))


def test_classification_report_with_labels_warns_on_a_target_names_mismatch_as_sklearn():
    y_true, y_pred = [0, 1, 2, 2], [0, 2, 2, 1]
    with pytest.warns(UserWarning, match="labels size, 2, does not match size of target_names, 3"):
        report = metrics.classification_report(y_true, y_pred, labels=[0, 2],
                                               target_names=["a", "b", "c"])
    with pytest.warns(UserWarning, match="labels size, 2, does not match"):
        assert report == skm.classification_report(
            y_true, y_pred, labels=[0, 2], target_names=["a", "b", "c"], digits=3)


# Background rejection and signal efficiency


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("decimals", [1, 6])
def test_background_rejection_matches_interpolated_sklearn_roc(seed, decimals):
    y_true, scores = _binary_scores(seed, decimals=decimals)
    fpr, tpr, _ = skm.roc_curve(y_true, scores, drop_intermediate=False)
    efficiency = np.random.default_rng(seed + 100).random(25)
    expected_fpr = np.interp(efficiency, tpr, fpr)
    complement = metrics.background_rejection(y_true, scores, efficiency)
    inverse = metrics.background_rejection(y_true, scores, efficiency, rejection="inverse")
    np.testing.assert_allclose(complement, 1.0 - expected_fpr, atol=1e-9)
    with np.errstate(divide="ignore"):  # a false-positive rate of 0: rejection inf
        expected_inverse = 1.0 / expected_fpr
    np.testing.assert_allclose(inverse, expected_inverse, rtol=1e-9)


def test_background_rejection_at_a_reached_efficiency_takes_the_smallest_fpr():
    y_true, scores = _binary_scores(7, n=200, decimals=6)
    fpr_points, tpr_points = _working_points(y_true, scores)
    efficiencies = np.unique(tpr_points)
    expected = np.array([fpr_points[tpr_points >= e].min() for e in efficiencies])
    got = metrics.background_rejection(y_true, scores, efficiencies)
    np.testing.assert_allclose(got, 1.0 - expected, atol=1e-12)


def test_background_rejection_of_a_scalar_is_a_float_and_an_array_keeps_its_shape():
    y_true, scores = _binary_scores(0)
    assert isinstance(metrics.background_rejection(y_true, scores, 0.5), float)
    assert metrics.background_rejection(y_true, scores, 0.0) == 1.0
    assert metrics.background_rejection(y_true, scores, 0.0, rejection="inverse") == np.inf
    grid = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    assert metrics.background_rejection(y_true, scores, grid).shape == (2, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_signal_efficiency_matches_interpolated_sklearn_roc(seed):
    y_true, scores = _binary_scores(seed)
    fpr, tpr, _ = skm.roc_curve(y_true, scores, drop_intermediate=False)
    rejection = np.random.default_rng(seed + 200).random(25)
    expected = np.interp(1.0 - rejection, fpr, tpr)
    got = metrics.signal_efficiency(y_true, scores, rejection)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    got_inverse = metrics.signal_efficiency(y_true, scores, 1.0 / (1.0 - rejection),
                                            rejection="inverse")
    np.testing.assert_allclose(got_inverse, expected, atol=1e-9)


def test_signal_efficiency_at_a_reached_fpr_takes_the_largest_tpr():
    y_true, scores = _binary_scores(8, n=200, decimals=6)
    fpr_points, tpr_points = _working_points(y_true, scores)
    false_rates = np.unique(fpr_points)
    expected = np.array([tpr_points[fpr_points <= f].max() for f in false_rates])
    got = metrics.signal_efficiency(y_true, scores, 1.0 - false_rates)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_signal_efficiency_inverts_background_rejection_on_a_strictly_rising_roc():
    # Every score value holds both classes in different numbers: every ROC segment is a
    # diagonal, so the curve is strictly rising and the two maps are inverse functions.
    rng = np.random.default_rng(3)
    levels = np.arange(10.0)
    signal_counts, background_counts = rng.integers(1, 20, 10), rng.integers(1, 20, 10)
    scores = np.concatenate([np.repeat(levels, signal_counts),
                             np.repeat(levels, background_counts)])
    y_true = np.concatenate([np.ones(signal_counts.sum()), np.zeros(background_counts.sum())])
    efficiency = np.linspace(0.0, 1.0, 41)
    for rejection in ["complement", "inverse"]:
        reject = metrics.background_rejection(y_true, scores, efficiency, rejection=rejection)
        back = metrics.signal_efficiency(y_true, scores, reject, rejection=rejection)
        np.testing.assert_allclose(back, efficiency, atol=1e-9)


# Report


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("digits", [2, 3, 4])
def test_classification_report_matches_sklearn_text(seed, digits):
    y_true, y_pred = _multiclass(seed, classes=3 + seed)
    expected = skm.classification_report(y_true, y_pred, digits=digits, zero_division=0)
    assert metrics.classification_report(y_true, y_pred, digits=digits) == expected


def test_classification_report_with_labels_lists_a_class_absent_from_the_data():
    y_true = np.array([0, 0, 1, 1, 1, 0, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 0, 1])
    names = ["pion", "kaon", "proton"]  # no proton in the data: a row with support 0
    expected = skm.classification_report(
        y_true, y_pred, labels=[0, 1, 2], target_names=names, digits=3, zero_division=0
    )
    report = metrics.classification_report(y_true, y_pred, target_names=names, labels=[0, 1, 2])
    assert report == expected
    assert "proton" in report


def test_classification_report_refuses_target_names_that_do_not_match_the_classes_present():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"classification_report\(target_names=...\): Number of "
                       r"classes, 2, does not match size of target_names, 3.*labels=range\(3\)"):
        metrics.classification_report(y_true, y_pred, target_names=["pion", "kaon", "proton"])
    with pytest.raises(ValueError, match="Number of classes, 2, does not match"):
        skm.classification_report(y_true, y_pred, target_names=["pion", "kaon", "proton"])


# Errors at the door


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: metrics.accuracy([0, 1, 1], [0, 1]), ValueError, "same length, got 3 and 2"),
        (lambda: metrics.accuracy([[0, 1]], [[0, 1]]), ValueError, r"1-D array .* shape \(1, 2\)"),
        (lambda: metrics.accuracy([0, 1], np.ones((2, 3))), ValueError, "argmax"),
        (lambda: metrics.accuracy([0, 1], [0.2, 0.9]), ValueError, "not scores or probabilities"),
        (lambda: metrics.confusion_matrix([0, -1], [0, 1]), ValueError,
         r"confusion_matrix\(y_true=...\): expected class labels >= 0 .* got -1.*labels="),
        (lambda: metrics.accuracy(["a", "b"], [0, 1]), TypeError,
         "y_true holds text and y_pred holds numbers.*LabelEncoder"),
        (lambda: metrics.accuracy([b"a", b"b"], [b"a", b"a"]), TypeError, "bytes"),
        (lambda: metrics.accuracy(["a", 1], ["a", "a"]), TypeError, "labels mix text"),
        (lambda: metrics.accuracy([0, 1], [0, 1], sample_weight=[1.0]), ValueError,
         r"accuracy\(sample_weight=...\): expected one weight per sample, shape \(2,\)"),
        (lambda: metrics.accuracy([0, 1], [0, 1], sample_weight=[1.0, np.nan]), ValueError,
         "NaN/inf, the first at index 1"),
        (lambda: metrics.accuracy([0, 1], [0, 1], sample_weight=[1.0, -1.0]), ValueError,
         "weights sum to 0"),
        (lambda: metrics.accuracy([], []), ValueError, "empty"),
        (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError,
         r"y_true=.*\[0, 3\) .* got 3"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], num_classes=0), ValueError,
         r"num_classes=...\): expected an integer >= 1, got 0"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], normalize="rows"), ValueError,
         "normalize='rows'.*'true', 'pred', 'all'"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[3, 4]), ValueError,
         r"labels=...\): At least one label specified must be in y_true"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[0, 0]), ValueError,
         "must be unique"),
        (lambda: metrics.confusion_matrix(["a"], ["b"], labels=[0, 1]), TypeError,
         "labels are numbers but y_true holds text"),
        (lambda: metrics.precision([0, 1, 2], [0, 1, 2]), ValueError,
         r"precision\(average='binary'\).*3 classes.*one of \[None, 'micro', 'macro'"),
        (lambda: metrics.precision([0, 1], [0, 1], zero_division="nan"), ValueError,
         r"precision\(zero_division='nan'\): expected 'warn', 0, 1 or np.nan"),
        (lambda: metrics.precision(["a", "b"], ["a", "b"], pos_label=1), TypeError,
         r"precision\(pos_label=1\): expected a text label"),
        (lambda: metrics.recall([0, 1], [0, 1], average="samples"), ValueError,
         "average='samples'"),
        (lambda: metrics.f1_score([0, 2], [2, 0], pos_label=1), ValueError,
         r"pos_label=1.*\[0, 2\]"),
        (lambda: metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3]), ValueError,
         r"binary labels 0/1, got values \[0, 1, 2\]"),
        (lambda: metrics.background_rejection([1, 1, 1], [0.1, 0.2, 0.3], 0.5), ValueError,
         r"background_rejection\(y_true=...\): ROC needs both classes.*background"),
        (lambda: metrics.signal_efficiency([0, 0], [0.1, 0.2], 0.5), ValueError,
         r"signal_efficiency\(y_true=...\): ROC needs both classes.*signal"),
        (lambda: metrics.roc_curve(["s", "b"], [0.1, 0.2]), ValueError,
         r"roc_curve\(y_true=...\).*pass pos_label explicitly.*pos_label='s'"),
        (lambda: metrics.roc_curve([0, 1], [0.1, 0.2], pos_label="s"), TypeError,
         r"roc_curve\(pos_label='s'\): expected an integer label"),
        (lambda: metrics.roc_curve([0, 1], [0.1, 0.2], sample_weight=[0, 0]), ValueError,
         r"roc_curve\(sample_weight=...\): every weight is 0"),
        (lambda: metrics.roc_curve([0, 1], [0.1, np.nan]), ValueError, "NaN/inf score.*index 1"),
        (lambda: metrics.roc_curve([0, 1], [0.1]), ValueError, "same length, got 2 and 1"),
        (lambda: metrics.roc_curve([0, 1], np.ones((2, 2))), ValueError, r"scores\[:, 1\]"),
        (lambda: metrics.roc_auc_score([0, 1], [np.inf, 0.0]), ValueError,
         r"roc_auc_score\(scores=...\): 1 NaN/inf"),
        (lambda: metrics.roc_auc_score([0, 1], [0.1]), ValueError,
         r"roc_auc_score: y_true and scores must have the same length"),
        (lambda: metrics.auc([0, 1, 0.5], [0, 1, 1]), ValueError, "monotonic"),
        (lambda: metrics.auc([0], [1]), ValueError, "length >= 2"),
        (lambda: metrics.background_rejection([0, 1], [0.1, 0.9], 1.2), ValueError,
         r"signal_efficiency=.*\[0, 1\], got 1.2"),
        (lambda: metrics.background_rejection([0, 1], [0.1, 0.9], 0.5, rejection="1/fpr"),
         ValueError, "'complement'.*'inverse'"),
        (lambda: metrics.signal_efficiency([0, 1], [0.1, 0.9], 0.5, rejection="inverse"),
         ValueError, r"\[1, inf\], got 0.5"),
        (lambda: metrics.classification_report([0, 3], [0, 1], target_names=["a", "b"]),
         ValueError, r"Number of classes, 3, does not match size of target_names, 2"),
        (lambda: metrics.classification_report([0, 1], [0, 1], digits=-1), ValueError,
         r"digits=...\): expected an integer >= 0, got -1"),
    ],
)
def test_bad_input_raises_a_message_that_names_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()
