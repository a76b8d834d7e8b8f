"""Tests of jaxnn.data: split, StandardScaler and LabelEncoder (against scikit-learn), one_hot,
and the fixed-shape minibatch indices the compiled epoch uses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import preprocessing

from jaxnn.data import LabelEncoder, StandardScaler, batch_indices, num_batches, one_hot, split

# ---------------------------------------------------------------------------------------------
# split


def test_split_sizes_follow_the_fractions_and_cover_every_sample_once():
    index = np.arange(103)
    parts = split(index, fractions=(0.8, 0.1, 0.1), seed=0)
    sizes = [len(part[0]) for part in parts]
    assert sum(sizes) == 103
    assert all(abs(size - 103 * f) < 1 for size, f in zip(sizes, (0.8, 0.1, 0.1), strict=True))
    np.testing.assert_array_equal(np.sort(np.concatenate([p[0] for p in parts])), index)


def test_split_keeps_the_arrays_aligned():
    x = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    (x_a, y_a), (x_b, y_b) = split(x, y, fractions=(0.6, 0.4), seed=3)
    np.testing.assert_array_equal(x_a[:, 0], 2.0 * y_a)
    np.testing.assert_array_equal(x_b[:, 1], 2.0 * y_b + 1)
    assert (len(y_a), len(y_b)) == (15, 10)


def test_split_is_seeded():
    index = np.arange(40)
    first = split(index, fractions=(0.5, 0.5), seed=1)
    np.testing.assert_array_equal(first[0][0], split(index, fractions=(0.5, 0.5), seed=1)[0][0])
    assert not np.array_equal(first[0][0], split(index, fractions=(0.5, 0.5), seed=2)[0][0])


def test_split_without_shuffle_gives_contiguous_blocks():
    (a,), (b,) = split(np.arange(10), fractions=(0.7, 0.3), shuffle=False)
    np.testing.assert_array_equal(a, np.arange(7))
    np.testing.assert_array_equal(b, np.arange(7, 10))


def test_split_with_stratify_keeps_the_class_proportions():
    labels = np.repeat([0, 1, 2], [700, 200, 100])
    parts = split(np.arange(1000), labels, fractions=(0.8, 0.1, 0.1), seed=0, stratify=labels)
    for (_, part_labels), fraction in zip(parts, (0.8, 0.1, 0.1), strict=True):
        counts = np.bincount(part_labels, minlength=3)
        np.testing.assert_allclose(counts, fraction * np.array([700, 200, 100]), atol=1)


def test_split_with_stratify_accepts_string_labels():
    names = np.array(["pion"] * 30 + ["kaon"] * 10)
    (train,), (test,) = split(names, fractions=(0.5, 0.5), stratify=names)
    assert (train == "kaon").sum() == 5 and (test == "kaon").sum() == 5


@pytest.mark.parametrize(
    "fractions, message",
    [
        ((0.5, 0.4), "must sum to 1, they sum to 0.9"),
        ((0.8, 0.3), "must sum to 1, they sum to 1.1"),
        ((1.2, -0.2), "positive"),
        ((), "non-empty"),
    ],
)
def test_split_rejects_bad_fractions(fractions, message):
    with pytest.raises(ValueError, match=message):
        split(np.arange(10), fractions=fractions)


def test_split_rejects_arrays_of_different_lengths_and_empty_parts():
    with pytest.raises(ValueError, match=r"same number of samples.*\[10, 9\]"):
        split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError, match="part 1 gets no samples out of 3"):
        split(np.arange(3), fractions=(0.9, 0.1))


# ---------------------------------------------------------------------------------------------
# StandardScaler


def test_standard_scaler_matches_scikit_learn():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, [1.0, 10.0, 0.01], size=(200, 3))
    x_new = rng.normal(size=(20, 3))
    ours, theirs = StandardScaler().fit(x), preprocessing.StandardScaler().fit(x)
    np.testing.assert_allclose(ours.mean_, theirs.mean_)
    np.testing.assert_allclose(ours.scale_, theirs.scale_)
    np.testing.assert_allclose(ours.transform(x_new), theirs.transform(x_new), rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(x_new), theirs.inverse_transform(x_new))
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(x_new)), x_new)


def test_standard_scaler_constant_feature_does_not_divide_by_zero():
    x = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    scaled = StandardScaler().fit_transform(x)
    assert np.all(np.isfinite(scaled))
    np.testing.assert_allclose(scaled, preprocessing.StandardScaler().fit_transform(x))
    np.testing.assert_array_equal(scaled[:, 0], 0.0)


def test_standard_scaler_keeps_float32():
    x = np.random.default_rng(1).normal(size=(30, 2)).astype(np.float32)
    assert StandardScaler().fit_transform(x).dtype == np.float32


def test_standard_scaler_errors_name_the_problem():
    with pytest.raises(ValueError, match="not fitted yet"):
        StandardScaler().transform(np.zeros((2, 2)))
    scaler = StandardScaler().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="expected 3 features .*got 2"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        StandardScaler().fit(np.zeros(5))
    with pytest.raises(ValueError, match="column 1 holds 1 NaN"):
        StandardScaler().fit(np.array([[0.0, np.nan], [1.0, 2.0]]))


# ---------------------------------------------------------------------------------------------
# LabelEncoder and one_hot


def test_label_encoder_matches_scikit_learn():
    names = np.array(["pion", "kaon", "proton", "pion", "kaon"])
    ours, theirs = LabelEncoder().fit(names), preprocessing.LabelEncoder().fit(names)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.tolist() == ["kaon", "pion", "proton"]  # sorted
    np.testing.assert_array_equal(ours.transform(names), theirs.transform(names))
    np.testing.assert_array_equal(ours.inverse_transform([2, 0, 1]), ["proton", "kaon", "pion"])


def test_label_encoder_rejects_unseen_labels_and_bad_codes():
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"unseen label\(s\) \['c'\]"):
        encoder.transform(["a", "c"])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        encoder.inverse_transform([2])
    with pytest.raises(ValueError, match="not fitted yet"):
        LabelEncoder().transform(["a"])


def test_one_hot_matches_the_identity_rows():
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(one_hot(labels), np.eye(3)[labels])
    np.testing.assert_array_equal(one_hot(labels, num_classes=5), np.eye(5)[labels])
    assert one_hot(labels).dtype == np.float32
    assert one_hot(np.array([[0, 1], [1, 0]])).shape == (2, 2, 2)


@pytest.mark.parametrize(
    "labels, kwargs, error, message",
    [
        ([0, 3], {"num_classes": 3}, ValueError, r"\[0, 3\)"),
        ([0, -1], {}, ValueError, ">= 0"),
        ([0.5], {}, ValueError, "integer class labels"),
        (["a"], {}, TypeError, "LabelEncoder"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        one_hot(np.array(labels), **kwargs)


# ---------------------------------------------------------------------------------------------
# batch_indices


def check_epoch_layout(n: int, batch_size: int, seed: int) -> None:
    indices, mask = batch_indices(n, batch_size, jax.random.PRNGKey(seed))
    indices, mask = np.asarray(indices), np.asarray(mask)
    rows = -(-n // batch_size)
    assert (
        indices.shape
        == mask.shape
        == (rows, batch_size)
        == (num_batches(n, batch_size), batch_size)
    )
    # Every sample exactly once where the mask is 1 ...
    np.testing.assert_array_equal(np.sort(indices[mask == 1]), np.arange(n))
    # ... and the fill of the last row wraps around to the start of the same permutation.
    flat = indices.ravel()
    np.testing.assert_array_equal(flat[n:], flat[np.arange(rows * batch_size - n) % n])
    np.testing.assert_array_equal(mask.ravel(), np.arange(rows * batch_size) < n)


@pytest.mark.parametrize("n, batch_size", [(10, 4), (12, 4), (3, 8), (1, 1)])
def test_batch_indices_cover_every_sample_once_with_a_fixed_shape(n, batch_size):
    check_epoch_layout(n, batch_size, seed=0)


@settings(max_examples=5, deadline=None)  # each size compiles once; the cases above are fixed
@given(n=st.integers(1, 60), batch_size=st.integers(1, 20), seed=st.integers(0, 2**16))
def test_batch_indices_layout_holds_for_any_sizes(n, batch_size, seed):
    check_epoch_layout(n, batch_size, seed)


def test_batch_indices_work_under_jit_and_change_with_the_key():
    epoch = jax.jit(lambda key: batch_indices(10, 4, key))
    first, _ = epoch(jax.random.PRNGKey(0))
    again, _ = batch_indices(10, 4, jax.random.PRNGKey(0))
    other, _ = epoch(jax.random.PRNGKey(1))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.dtype == jnp.int32


def test_batch_indices_reject_bad_arguments():
    with pytest.raises(TypeError, match=r"jax.random.key\(3\)"):
        batch_indices(10, 4, 3)
    with pytest.raises(ValueError, match="batch_size=0"):
        batch_indices(10, 0, jax.random.PRNGKey(0))
    with pytest.raises(TypeError, match="static Python int"):
        jax.jit(lambda n: batch_indices(n, 2, jax.random.PRNGKey(0)))(4)
