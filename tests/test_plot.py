"""Tests for jaxnn.plot and pinn.plot: what each figure shows, against NumPy and scikit-learn."""

import jax.numpy as jnp
import numpy as np
import pytest
from matplotlib.colors import LogNorm
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from sklearn import metrics as skmetrics

from jaxnn import plot
from pinn import plot as pinn_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.exists()
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 1000


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture
def scored_samples():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = y + rng.normal(0, 0.8, 400)
    weak = y + rng.normal(0, 2.5, 400)
    return y, good, weak


# ---------------------------------------------------------------- jaxnn.plot: history


def test_history_draws_train_and_validation_per_metric_with_log_loss():
    history = {
        "epoch": [1, 2, 3],
        "loss": [1.0, 0.5, 0.25],
        "val_loss": [1.1, 0.6, 0.4],
        "accuracy": [0.5, 0.7, 0.8],
        "val_accuracy": [0.4, 0.6, 0.75],
        "time": [1, 1, 1],
    }
    figure = plot.history(history)
    assert isinstance(figure, Figure)
    loss_ax, accuracy_ax = figure.axes
    assert loss_ax.get_yscale() == "log" and accuracy_ax.get_yscale() == "linear"
    for ax, key in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        train, validation = ax.get_lines()
        np.testing.assert_allclose(train.get_ydata(), history[key])
        np.testing.assert_allclose(validation.get_ydata(), history[f"val_{key}"])
        np.testing.assert_allclose(train.get_xdata(), history["epoch"])
        assert legend_texts(ax) == ["train", "validation"]


def test_history_accepts_a_result_object_and_selects_keys(tmp_path):
    class Result:
        def __init__(self):
            self.history = {"loss": [2.0, 1.0], "auc": [0.6, 0.7], "val_auc": [0.55, 0.65]}

    figure = plot.history(Result(), keys=["auc"], path=tmp_path / "sub" / "history.png")
    assert len(figure.axes) == 1 and len(figure.axes[0].get_lines()) == 2
    assert_png(tmp_path / "sub" / "history.png")


def test_history_rejects_unknown_keys_and_impossible_log_scale():
    with pytest.raises(ValueError, match="no curves named \\['f1'\\]"):
        plot.history({"loss": [1.0]}, keys=["f1"])
    with pytest.raises(ValueError, match="log_scale=True"):
        plot.history({"score": [-1.0, 1.0]}, log_scale=True)
    with pytest.raises(TypeError, match="history"):
        plot.history([1.0, 2.0])


# ---------------------------------------------------------------- jaxnn.plot: ROC


def test_roc_legend_reports_auc_equal_to_sklearn(scored_samples, tmp_path):
    y, good, weak = scored_samples
    figure = plot.roc({"good": (y, good), "weak": (y, weak)}, path=tmp_path / "roc.png")
    ax = figure.axes[0]
    assert len(ax.get_lines()) == 3  # two models and the chance diagonal
    texts = legend_texts(ax)
    for name, scores in (("good", good), ("weak", weak)):
        expected = f"{name} (AUC = {skmetrics.roc_auc_score(y, scores):.3f})"
        assert expected in texts
    fpr, tpr = ax.get_lines()[0].get_data()
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert_png(tmp_path / "roc.png")


def test_roc_rejection_style_plots_one_minus_fpr_against_tpr_at_every_threshold(scored_samples):
    y, good, _ = scored_samples
    rejection_ax = plot.roc({"good": (y, good)}, style="rejection").axes[0]
    assert len(rejection_ax.get_lines()) == 1  # no chance diagonal
    efficiency, rejection = rejection_ax.get_lines()[0].get_data()
    fpr, tpr, _ = skmetrics.roc_curve(y, good, drop_intermediate=False)  # every working point
    assert len(fpr) == len(np.unique(good)) + 1
    np.testing.assert_array_equal(efficiency, tpr)
    np.testing.assert_allclose(rejection, 1 - fpr, rtol=0, atol=1e-15)
    assert "rejection" in rejection_ax.get_ylabel()


def test_roc_from_curves_uses_given_points(scored_samples):
    y, good, _ = scored_samples
    fpr, tpr, _ = skmetrics.roc_curve(y, good)
    ax = plot.roc_from_curves({"good": (fpr, tpr)}).axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), fpr)
    assert f"AUC = {skmetrics.auc(fpr, tpr):.3f}" in legend_texts(ax)[0]


def test_roc_rejects_bad_inputs(scored_samples):
    y, good, _ = scored_samples
    with pytest.raises(ValueError, match="equal length"):
        plot.roc({"m": (y, good[:-1])})
    with pytest.raises(ValueError, match="binary labels"):
        plot.roc({"m": (y + 1, good)})
    with pytest.raises(ValueError, match="scores\\[:, 1\\]"):
        plot.roc({"m": (y, np.stack([1 - good, good], axis=1))})
    with pytest.raises(ValueError, match="style='lift'"):
        plot.roc({"m": (y, good)}, style="lift")
    with pytest.raises(TypeError, match="dict"):
        plot.roc((y, good))
    with pytest.raises(ValueError, match="fpr must rise"):
        plot.roc_from_curves({"m": (y, good)})


@pytest.fixture
def weighted_samples():
    """Binary labels, scores with ties and event weights that change the curve. The weights
    are multiples of 1/4, so every summed weight is exact and the points equal sklearn's."""
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 600)
    scores = np.round(y + rng.normal(0, 1.0, 600), 1)  # ~60 distinct values: many ties
    weights = rng.choice([0.25, 0.5, 1.0, 1.5, 4.0], 600) * np.where(scores > 1, 3.0, 1.0)
    return y, scores, weights


def test_roc_with_event_weights_plots_sklearns_points_and_weighted_auc(weighted_samples):
    y, scores, weights = weighted_samples
    weighted_auc = skmetrics.roc_auc_score(y, scores, sample_weight=weights)
    assert abs(weighted_auc - skmetrics.roc_auc_score(y, scores)) > 5e-3  # the weights matter
    for style, drop_intermediate in (("tpr_fpr", True), ("rejection", False)):
        ax = plot.roc({"MLP": (y, scores, weights)}, style=style).axes[0]
        fpr, tpr, _ = skmetrics.roc_curve(y, scores, sample_weight=weights,
                                          drop_intermediate=drop_intermediate)
        x, y_points = ax.get_lines()[0].get_data()
        np.testing.assert_array_equal(x, fpr if style == "tpr_fpr" else tpr)
        np.testing.assert_array_equal(y_points, tpr if style == "tpr_fpr" else 1 - fpr)
        assert legend_texts(ax)[0] == f"MLP (AUC = {weighted_auc:.3f})"
    _, _, every = skmetrics.roc_curve(y, scores, drop_intermediate=False)
    assert len(fpr) == len(every)  # the rejection style kept every threshold
    # None as the third element is the unweighted curve.
    ax = plot.roc({"MLP": (y, scores, None)}).axes[0]
    assert legend_texts(ax)[0] == f"MLP (AUC = {skmetrics.roc_auc_score(y, scores):.3f})"


def test_roc_with_negative_generator_weights_matches_sums_by_hand(weighted_samples):
    y, scores, weights = weighted_samples
    weights = weights * np.where(np.arange(len(y)) % 7 == 0, -1.0, 1.0)  # NLO-like negatives
    ax = plot.roc({"MLP": (y, scores, weights)}, style="rejection").axes[0]
    efficiency, rejection = ax.get_lines()[0].get_data()
    thresholds = np.unique(scores)[::-1]
    signal, background = weights * (y == 1), weights * (y == 0)
    expected_tpr = [0.0] + [signal[scores >= t].sum() / signal.sum() for t in thresholds]
    expected_fpr = [0.0] + [background[scores >= t].sum() / background.sum() for t in thresholds]
    np.testing.assert_allclose(efficiency, expected_tpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rejection, 1 - np.array(expected_fpr), rtol=0, atol=1e-12)
    assert np.any(np.diff(efficiency) < 0)  # negative weights: the curve is not monotonic
    # The AUC in the legend: the weighted pair probability P(s > b) + P(s = b) / 2.
    pairs = np.sign(scores[y == 1][:, None] - scores[y == 0][None, :]) / 2 + 0.5
    pair_weights = weights[y == 1][:, None] * weights[y == 0][None, :]
    expected_auc = np.sum(pair_weights * pairs) / np.sum(pair_weights)
    assert legend_texts(ax)[0] == f"MLP (AUC = {expected_auc:.3f})"


@pytest.fixture
def three_classes():
    """Labels 0..2, softmax probabilities of rounded logits (tied rows), and event weights."""
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 500)
    logits = np.round(rng.normal(size=(500, 3)) + 1.2 * np.eye(3)[y], 1)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    weights = rng.choice([0.5, 1.0, 2.0, 3.0], 500)
    return y, probabilities, weights


def test_roc_draws_a_one_vs_rest_curve_per_class_as_sklearn(three_classes):
    y, probabilities, weights = three_classes
    names = ["pion", "kaon", "proton"]
    weak = probabilities[:, ::-1].copy()
    for style, drop_intermediate in (("tpr_fpr", True), ("rejection", False)):
        ax = plot.roc({"MLP": (y, probabilities, weights), "weak": (y, weak)},
                      class_names=names, style=style).axes[0]
        lines = ax.get_lines()
        assert len(lines) == 6 + (style == "tpr_fpr")  # 2 models x 3 classes (+ chance)
        texts = legend_texts(ax)
        models = (("MLP", probabilities, weights, 0), ("weak", weak, None, 3))
        for model, scores, w, offset in models:
            for c, name in enumerate(names):
                truth = (y == c).astype(int)
                fpr, tpr, _ = skmetrics.roc_curve(truth, scores[:, c], sample_weight=w,
                                                  drop_intermediate=drop_intermediate)
                x, y_points = lines[offset + c].get_data()
                np.testing.assert_allclose(x, fpr if style == "tpr_fpr" else tpr, atol=1e-15)
                np.testing.assert_allclose(y_points, tpr if style == "tpr_fpr" else 1 - fpr,
                                           atol=1e-15)
                area = skmetrics.roc_auc_score(truth, scores[:, c], sample_weight=w)
                assert texts[offset + c] == f"{model}: {name} (AUC = {area:.3f})"
                assert lines[offset + c].get_color() == lines[c].get_color()  # colour = class
        assert lines[0].get_linestyle() != lines[3].get_linestyle()  # line style = model
    # sklearn's one-vs-rest AUCs per class are the legend's.
    per_class = skmetrics.roc_auc_score(y, probabilities, multi_class="ovr", average=None,
                                        sample_weight=weights)
    default = legend_texts(plot.roc({"m": (y, probabilities, weights)}).axes[0])
    assert default[:3] == [f"m: class {c} (AUC = {a:.3f})" for c, a in enumerate(per_class)]


def test_roc_rejects_bad_weights_labels_and_class_names(weighted_samples, three_classes):
    y, scores, weights = weighted_samples
    y3, probabilities, weights3 = three_classes
    with pytest.raises(ValueError, match=r"roc\(curves\['m'\]\) sample_weight: expected one "
                       r"weight per sample, shape \(600,\), got shape \(599,\)"):
        plot.roc({"m": (y, scores, weights[:-1])})
    with pytest.raises(ValueError, match="NaN/inf, the first at index 3"):
        plot.roc({"m": (y, scores, np.where(np.arange(600) == 3, np.nan, weights))})
    with pytest.raises(TypeError, match="numeric event weights"):
        plot.roc({"m": (y, scores, np.array(["a"] * 600))})
    negative_background = np.where(y == 0, -weights, weights)
    with pytest.raises(ValueError, match=r"the background \(0\) weights sum to -\d"):
        plot.roc({"m": (y, scores, negative_background)})
    with pytest.raises(ValueError, match=r"the signal \(1\) weights sum to 0 <= 0"):
        plot.roc({"m": (y, scores, np.where(y == 1, 0.0, weights))})
    with pytest.raises(TypeError, match="got 4 items"):
        plot.roc({"m": (y, scores, weights, weights)})
    with pytest.raises(ValueError, match=r"the 'kaon' \(1\) weights sum to 0"):
        plot.roc({"m": (y3, probabilities, np.where(y3 == 1, 0.0, weights3))},
                 class_names=["pion", "kaon", "proton"])
    with pytest.raises(ValueError, match="no 'class 2' \\(2\\) sample"):
        plot.roc({"m": (np.minimum(y3, 1), probabilities)})
    with pytest.raises(ValueError, match="class indices 0..2, got values \\[0, 1, 2, 3\\]"):
        plot.roc({"m": (np.append(y3[:-1], 3), probabilities)})
    with pytest.raises(ValueError, match="equal length"):
        plot.roc({"m": (y3[:-1], probabilities)})
    with pytest.raises(ValueError, match="2 names, but curves\\['m'\\] has scores for 3"):
        plot.roc({"m": (y3, probabilities)}, class_names=["pion", "kaon"])
    with pytest.raises(ValueError, match="every curve is binary"):
        plot.roc({"m": (y, scores)}, class_names=["background", "signal"])
    with pytest.raises(TypeError, match="class_names='pion'"):
        plot.roc({"m": (y3, probabilities)}, class_names="pion")


def test_classifier_response_weights_each_histogram_as_numpy(weighted_samples):
    y, scores, weights = weighted_samples
    weights = weights * np.where(np.arange(len(y)) % 9 == 0, -1.0, 1.0)
    edges = np.histogram_bin_edges(scores, bins=15)
    for density in (True, False):
        ax = plot.classifier_response(y, scores, bins=15, density=density,
                                      sample_weight=weights).axes[0]
        for patch, label in zip(ax.patches, (0, 1), strict=True):
            members = y == label
            expected, _ = np.histogram(scores[members], bins=edges, weights=weights[members],
                                       density=density)
            heights = patch.get_xy()[1 : 2 * len(expected) : 2, 1]
            np.testing.assert_allclose(heights, expected, rtol=1e-12)
        assert ax.get_ylabel() == ("density" if density else "summed weight")
    with pytest.raises(ValueError, match="signal \\(1\\) weights sum to .*density=False"):
        plot.classifier_response(y, scores, sample_weight=np.where(y == 1, -1.0, 1.0))
    with pytest.raises(ValueError, match="one weight per sample"):
        plot.classifier_response(y, scores, sample_weight=weights[:5])


# ---------------------------------------------------------------- jaxnn.plot: confusion matrix


def test_confusion_matrix_annotates_counts_and_row_fractions():
    rng = np.random.default_rng(1)
    truth, predicted = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    cm = skmetrics.confusion_matrix(truth, predicted)
    figure = plot.confusion_matrix(cm, class_names=["e", "mu", "pi"])
    ax = figure.axes[0]
    assert len(figure.axes) == 2  # the matrix and its colour bar
    assert [int(t.get_text()) for t in ax.texts] == cm.ravel().tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["e", "mu", "pi"]

    normalized = plot.confusion_matrix(cm, normalize=True).axes[0]
    fractions = skmetrics.confusion_matrix(truth, predicted, normalize="true")
    assert [t.get_text() for t in normalized.texts] == [f"{v:.2f}" for v in fractions.ravel()]


def test_confusion_matrix_rejects_bad_shapes_and_names():
    with pytest.raises(ValueError, match="square"):
        plot.confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected 2 names"):
        plot.confusion_matrix(np.ones((2, 2)), class_names=["a", "b", "c"])


# ---------------------------------------------------------------- jaxnn.plot: response, boundary


def test_classifier_response_histograms_match_numpy(scored_samples):
    y, good, _ = scored_samples
    ax = plot.classifier_response(y, good, bins=20).axes[0]
    edges = np.histogram_bin_edges(good, bins=20)
    assert legend_texts(ax) == ["background", "signal"]
    for patch, label in zip(ax.patches, (0, 1), strict=True):
        expected, _ = np.histogram(good[y == label], bins=edges, density=True)
        # A step outline visits (edge_i, h_i) and (edge_i+1, h_i): every other vertex.
        heights = patch.get_xy()[1 : 2 * len(expected) : 2, 1]
        np.testing.assert_allclose(heights, expected)
    with pytest.raises(ValueError, match="equal length"):
        plot.classifier_response(y[:10], good)


def test_decision_boundary_puts_the_half_probability_contour_on_the_true_boundary():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)

    def predict(points):
        return 1 / (1 + np.exp(-5 * (points[:, 0] + points[:, 1])))

    ax = plot.decision_boundary(predict, x, y, resolution=101).axes[0]
    (half,) = [c for c in ax.collections if isinstance(c, ContourSet) and len(c.levels) == 1]
    boundary = np.concatenate(half.allsegs[0])
    spacing = np.ptp(x, axis=0).max() * 1.1 / 100
    assert np.abs(boundary.sum(axis=1)).max() < 2 * spacing
    assert legend_texts(ax) == ["class 0", "class 1"]


def test_decision_boundary_takes_argmax_of_class_scores():
    x = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    def predict(points):  # three classes by which of x, -x, y is largest
        return np.stack([-points[:, 0], points[:, 0], points[:, 1]], axis=1)

    ax = plot.decision_boundary(predict, x, np.array([0, 1, 2]), resolution=50).axes[0]
    (filled,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5, 2.5])


def test_decision_boundary_rejects_three_features_and_bad_outputs():
    with pytest.raises(ValueError, match="two features"):
        plot.decision_boundary(lambda p: p[:, 0], np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="5 labels"):
        plot.decision_boundary(lambda p: p[:, 0], np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="returned shape"):
        plot.decision_boundary(lambda p: p[:3], np.eye(2), np.array([0, 1]), resolution=10)


# ---------------------------------------------------------------- jaxnn.plot: curve, axes, saving


def test_curve_draws_each_series_and_the_marker_line(tmp_path):
    temperature = np.linspace(1.0, 3.5, 11)
    ordered = 1 / (1 + np.exp(4 * (temperature - 2.269)))
    figure = plot.curve(
        temperature,
        {"P(ordered)": ordered, "P(disordered)": 1 - ordered},
        "T",
        "probability",
        vline=(2.269, "$T_c$"),
        path=tmp_path / "c.png",
    )
    ax = figure.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), ordered)
    np.testing.assert_allclose(lines[2].get_xdata(), [2.269, 2.269])
    assert legend_texts(ax) == ["P(ordered)", "P(disordered)", "$T_c$"]
    assert_png(tmp_path / "c.png")
    with pytest.raises(ValueError, match="expected shape \\(11,\\)"):
        plot.curve(temperature, {"bad": ordered[:5]})


def test_functions_draw_into_a_given_axes():
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert plot.curve([0, 1], {"a": [0, 1]}, ax=right) is figure
    assert plot.confusion_matrix(np.eye(2), ax=left) is figure
    assert len(right.get_lines()) == 1 and len(left.texts) == 4
    with pytest.raises(TypeError, match="Axes"):
        plot.curve([0, 1], {"a": [0, 1]}, ax="right")


# ---------------------------------------------------------------- pinn.plot


class Disk:
    """A stand-in with the geometry interface pinn.plot relies on."""

    def __init__(self, center, radius):
        self.center, self.radius = np.asarray(center), radius

    @property
    def bounding_box(self):
        return self.center - self.radius, self.center + self.radius

    def contains(self, points):
        return np.sum((np.asarray(points) - self.center) ** 2, axis=1) <= self.radius**2


def grid(lo, hi, n):
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return gx, gy


def test_field_masks_points_outside_the_disk_and_matches_numpy(tmp_path):
    disk = Disk((0.2, -0.1), 0.7)
    figure = pinn_plot.field(
        lambda p: p[:, 0] ** 2 + 3 * p[:, 1], disk, resolution=41, path=tmp_path / "field.png"
    )
    (image,) = figure.axes[0].get_images()
    values = image.get_array()
    gx, gy = grid(*disk.bounding_box, 41)
    outside = ~disk.contains(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    assert 0.1 < outside.mean() < 0.4  # 1 - pi/4 of the box lies outside the disk
    np.testing.assert_array_equal(np.ma.getmaskarray(values), outside)
    np.testing.assert_allclose(values[~outside], (gx**2 + 3 * gy)[~outside], rtol=1e-6)
    assert len(figure.axes) == 2  # the colour bar
    assert_png(tmp_path / "field.png")


def test_field_on_a_box_vmaps_point_functions_and_masks_nothing():
    box = ((0.0, -1.0), (2.0, 1.0))
    batch = pinn_plot.field(lambda p: jnp.sin(p[:, 0]) * p[:, 1], box, resolution=30)
    point = pinn_plot.field(lambda x: jnp.sin(x[0]) * x[1], box, resolution=30)
    batch_image, point_image = batch.axes[0].get_images()[0], point.axes[0].get_images()[0]
    assert not np.ma.getmaskarray(batch_image.get_array()).any()
    np.testing.assert_allclose(point_image.get_array(), batch_image.get_array(), rtol=1e-5)
    assert batch_image.get_extent() == [0.0, 2.0, -1.0, 1.0]


def test_field_slices_higher_dimensional_domains_through_the_centre():
    box = (np.zeros(4), np.ones(4))
    ax = pinn_plot.field(lambda p: p[:, 2] + p[:, 3], box, resolution=5).axes[0]
    np.testing.assert_allclose(ax.get_images()[0].get_array(), 1.0)
    assert "slice" in ax.get_title()


def test_field_rejects_bad_domains_and_functions():
    with pytest.raises(ValueError, match="solution_1d"):
        pinn_plot.field(lambda p: p[:, 0], (0.0, 1.0))
    with pytest.raises(ValueError, match="lo < hi"):
        pinn_plot.field(lambda p: p[:, 0], ((0.0, 1.0), (1.0, 0.0)))
    with pytest.raises(TypeError, match="domain or a box"):
        pinn_plot.field(lambda p: p[:, 0], "unit square")
    with pytest.raises(ValueError, match="one value per point"):
        pinn_plot.field(lambda p: p, ((0.0, 0.0), (1.0, 1.0)), resolution=4)
    with pytest.raises(ValueError, match="resolution"):
        pinn_plot.field(lambda p: p[:, 0], ((0.0, 0.0), (1.0, 1.0)), resolution=1)


def test_error_field_shows_absolute_error_on_a_log_scale():
    disk = Disk((0.0, 0.0), 1.0)

    def exact(p):
        return np.sin(p[:, 0]) * p[:, 1]

    ax = pinn_plot.error_field(lambda p: exact(p) + 0.1 * p[:, 0], exact, disk, resolution=31).axes[
        0
    ]
    image = ax.get_images()[0]
    gx, gy = grid(*disk.bounding_box, 31)
    inside = gx**2 + gy**2 <= 1
    error = image.get_array()
    positive = inside & (np.abs(gx) > 1e-9)
    np.testing.assert_allclose(error[positive], 0.1 * np.abs(gx[positive]), rtol=1e-6)
    assert isinstance(image.norm, LogNorm)
    assert np.ma.getmaskarray(error)[~inside].all()


def test_error_field_log_scale_spans_four_decades_below_the_largest_error():
    disk = Disk((0.0, 0.0), 1.0)

    def exact(p):
        return np.cos(p[:, 1])

    # |error| = 0.1 x^6: exactly 0 on the axis, 1e-8 near it, 0.1 at x = ±1.
    ax = pinn_plot.error_field(lambda p: exact(p) + 0.1 * p[:, 0] ** 6, exact, disk,
                               resolution=31).axes[0]
    norm = ax.get_images()[0].norm
    assert norm.vmax == pytest.approx(0.1, rel=1e-6)
    assert norm.vmin == pytest.approx(1e-5, rel=1e-6)


def test_solution_1d_draws_both_curves_and_the_log_error():
    figure = pinn_plot.solution_1d(
        lambda p: np.sin(np.pi * p[:, 0]) + 1e-3,
        lambda x: jnp.sin(jnp.pi * x[0]),
        (-1.0, 1.0),
        resolution=101,
    )
    solution_ax, error_ax = figure.axes
    assert legend_texts(solution_ax) == ["PINN", "exact"]
    assert error_ax.get_yscale() == "log"
    np.testing.assert_allclose(error_ax.get_lines()[0].get_ydata(), 1e-3, rtol=1e-3)
    only_u = pinn_plot.solution_1d(lambda p: p[:, 0], None, (0.0, 1.0))
    assert len(only_u.axes) == 1
    with pytest.raises(ValueError, match="1-D interval"):
        pinn_plot.solution_1d(lambda p: p[:, 0], None, ((0, 0), (1, 1)))


def test_loss_history_uses_steps_log_axis_and_marks_stages():
    history = {
        "step": [100, 200, 300, 400],
        "loss": [1.0, 0.1, 0.01, 0.001],
        "interior_loss": [0.8, 0.08, 0.008, 0.0008],
        "relative_l2": [0.5, 0.2, 0.1, 0.05],
        "stage": ["adam", "adam", "lbfgs", "lbfgs"],
        "epoch": [1, 2, 1, 2],
    }
    ax = pinn_plot.loss_history(history).axes[0]
    curves = [line for line in ax.get_lines() if line.get_linestyle() != ":"]
    assert legend_texts(ax) == ["loss", "interior_loss", "relative_l2"]
    np.testing.assert_allclose(curves[0].get_xdata(), history["step"])
    np.testing.assert_allclose(curves[2].get_ydata(), history["relative_l2"])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    (marker,) = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    np.testing.assert_allclose(marker.get_xdata(), [200, 200])
    with pytest.raises(ValueError, match="no numeric curves named \\['boundary_loss'\\]"):
        pinn_plot.loss_history(history, keys=["boundary_loss"])


class FakeSolution:
    def __init__(self, fn, history):
        self.fn, self.history = fn, history

    def __call__(self, points):
        return self.fn(np.asarray(points))


HISTORY = {"step": [10, 20], "loss": [1.0, 0.5], "relative_l2": [0.3, 0.1]}


def test_summary_has_solution_error_and_history_panels_in_2d(tmp_path):
    solution = FakeSolution(lambda p: p[:, 0] * p[:, 1], HISTORY)
    figure = pinn_plot.summary(
        solution,
        lambda x: x[0] * x[1] + 0.01,
        Disk((0, 0), 1),
        path=tmp_path / "out" / "summary.png",
        resolution=20,
    )
    panels = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 3 and len(figure.axes) == 5
    np.testing.assert_allclose(panels[1].get_images()[0].get_array().compressed(), 0.01, rtol=1e-5)
    assert legend_texts(panels[2]) == ["loss", "relative_l2"]
    assert_png(tmp_path / "out" / "summary.png")


def test_summary_in_1d_and_without_exact_solution_or_history():
    solution = FakeSolution(lambda p: np.sin(p[:, 0]), HISTORY)
    one_d = pinn_plot.summary(solution, lambda x: jnp.sin(x[0]), (0.0, 3.0))
    assert len(one_d.axes) == 3 and one_d.axes[1].get_yscale() == "log"
    no_exact = pinn_plot.summary(
        FakeSolution(lambda p: p[:, 0], {}), None, ((0, 0), (1, 1)), resolution=10
    )
    assert len([ax for ax in no_exact.axes if ax.get_label() != "<colorbar>"]) == 1
    with pytest.raises(ValueError, match="domain"):
        pinn_plot.summary(solution, None, None)


def test_a_space_time_map_labels_its_axes_x_and_t():
    import pinn

    rod = pinn.SpaceTime(pinn.Interval(0.0, 1.0), 0.0, 2.0)
    figure = pinn_plot.field(lambda p: np.sin(np.pi * p[:, 0]) * np.exp(-p[:, 1]), rod,
                             resolution=16)
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "t")
    assert ax.images[0].get_extent() == [0.0, 1.0, 0.0, 2.0]
    square = pinn_plot.field(lambda p: p[:, 0], pinn.Rectangle((0, 0), (1, 1)), resolution=8)
    assert (square.axes[0].get_xlabel(), square.axes[0].get_ylabel()) == ("x", "y")
