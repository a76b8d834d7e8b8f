"""Tests of jaxnn.datasets: the generators (xor, nand, ising, pid_toy) against exact results, and
the SUSY and MNIST loaders on small files written here in the real formats."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jaxnn import datasets
from jaxnn.data.datasets import (
    ONSAGER_TC,
    PID_CLASSES,
    PID_FEATURES,
    SUSY_FEATURES,
    ising,
    load_mnist,
    load_susy,
    magnetization,
    nand,
    onsager_magnetization,
    pid_toy,
    xor,
)
from jaxnn.data.datasets import _susy as susy_module
from jaxnn.data.datasets._mnist import LABELS_MAGIC, read_idx, write_idx

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)

# ---------------------------------------------------------------------------------------------
# XOR and NAND


@pytest.mark.parametrize("generator, outputs", [(xor, [0, 1, 1, 0]), (nand, [1, 1, 1, 0])])
def test_logic_gate_truth_tables(generator, outputs):
    x, y = generator()
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(x, CORNERS)
    np.testing.assert_array_equal(y, outputs)


@pytest.mark.parametrize(
    "generator, rule",
    [
        (xor, lambda a, b: a ^ b),
        (nand, lambda a, b: 1 - (a & b)),
    ],
)
def test_noisy_samples_scatter_around_corners_with_their_labels(generator, rule):
    x, y = generator(noise=0.1, n=4000, seed=3)
    assert x.shape == (4000, 2) and y.shape == (4000,)
    corner = np.rint(x).astype(int).clip(0, 1)  # noise 0.1: every sample rounds to its corner
    np.testing.assert_array_equal(y, rule(corner[:, 0], corner[:, 1]))
    counts = np.bincount(corner[:, 0] * 2 + corner[:, 1], minlength=4)
    np.testing.assert_array_equal(counts, [1000] * 4)
    assert np.std(x - corner) == pytest.approx(0.1, rel=0.05)


def test_generators_are_seeded():
    np.testing.assert_array_equal(xor(0.2, 50, seed=1)[0], xor(0.2, 50, seed=1)[0])
    assert not np.array_equal(xor(0.2, 50, seed=1)[0], xor(0.2, 50, seed=2)[0])
    np.testing.assert_array_equal(pid_toy(100, seed=4)[0], pid_toy(100, seed=4)[0])
    assert not np.array_equal(pid_toy(100, seed=4)[0], pid_toy(100, seed=5)[0])


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: xor(n=0), ValueError, ["xor(n=...)", ">= 1"]),
        (lambda: nand(noise=-1.0), ValueError, ["nand(noise=-1.0)", ">= 0"]),
        (lambda: xor(seed=-3), ValueError, ["xor(seed=-3)", "seed=3"]),
        (lambda: pid_toy(10.5), TypeError, ["pid_toy(n=...)", "integer"]),
        (lambda: pid_toy(10, seed="a"), TypeError, ["pid_toy(seed='a')"]),
    ],
)
def test_generators_reject_bad_arguments(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------------------------
# Ising


def exact_small_lattice(size: int, temperature: float) -> tuple[float, float]:
    """<|m|> and <E>/N of the periodic size x size lattice by summing all 2^(size^2) states."""
    sites = size * size
    codes = np.arange(2**sites, dtype=np.int64)
    spins = (((codes[:, None] >> np.arange(sites)) & 1) * 2 - 1).reshape(-1, size, size)
    energy = -np.sum(spins * (np.roll(spins, 1, 1) + np.roll(spins, 1, 2)), axis=(1, 2))
    weight = np.exp(-(energy - energy.min()) / temperature)
    weight /= weight.sum()
    return float(weight @ np.abs(spins.mean(axis=(1, 2)))), float(weight @ energy) / sites


@pytest.fixture(scope="module")
def ising_samples():
    # L = 16, a few hundred sweeps: the magnetization bar at T = 1.5 and 2.0, a disordered T.
    return ising(16, [1.5, 2.0, 3.0], 200, seed=0, equilibration_sweeps=300, decorrelation_sweeps=5)


def test_ising_magnetization_matches_onsager_yang(ising_samples):
    spins, temperatures, _ = ising_samples
    order = np.abs(magnetization(spins))
    for t in (1.5, 2.0):
        sampled = order[temperatures == t].mean()
        exact = float(onsager_magnetization(t))
        assert abs(sampled - exact) < 0.03, (t, sampled, exact)
    assert order[temperatures == 3.0].mean() < 0.25  # disordered: only finite-size |m|


def test_ising_shapes_values_and_labels(ising_samples):
    spins, temperatures, labels = ising_samples
    assert isinstance(ising_samples, datasets.IsingSamples)
    assert spins.shape == (600, 16, 16) and spins.dtype == np.float32
    assert set(np.unique(spins).tolist()) == {-1.0, 1.0}
    assert temperatures.shape == (600,) and labels.shape == (600,) and labels.dtype == np.int32
    np.testing.assert_array_equal(temperatures, np.repeat([1.5, 2.0, 3.0], 200))
    np.testing.assert_array_equal(labels, (temperatures < 2.269185).astype(int))


def test_ising_ordered_samples_come_in_both_signs(ising_samples):
    spins, temperatures, _ = ising_samples
    m = magnetization(spins[temperatures == 1.5])
    assert np.all(np.abs(m) > 0.9)
    assert 0.3 < np.mean(m > 0) < 0.7


def test_ising_sampler_matches_exact_enumeration_of_a_4x4_lattice():
    spins, temperatures, _ = ising(
        4, [2.0, 3.0], 4000, seed=1, chains=40, equilibration_sweeps=50, decorrelation_sweeps=2
    )
    for t in (2.0, 3.0):
        sample = spins[temperatures == t].astype(np.float64)
        exact_m, exact_e = exact_small_lattice(4, t)
        energy = -np.sum(sample * (np.roll(sample, 1, 1) + np.roll(sample, 1, 2)), axis=(1, 2))
        assert np.abs(sample.mean(axis=(1, 2))).mean() == pytest.approx(exact_m, abs=0.02)
        assert energy.mean() / 16 == pytest.approx(exact_e, abs=0.03)


def test_ising_is_seeded_and_counts_samples_with_uneven_chains():
    first = ising(4, [1.0, 4.0], 5, seed=7, chains=2, equilibration_sweeps=10, dtype="int8")
    again = ising(4, [1.0, 4.0], 5, seed=7, chains=2, equilibration_sweeps=10, dtype="int8")
    other = ising(4, [1.0, 4.0], 5, seed=8, chains=2, equilibration_sweeps=10, dtype="int8")
    assert first.spins.shape == (10, 4, 4) and first.spins.dtype == np.int8
    np.testing.assert_array_equal(first.spins, again.spins)
    assert not np.array_equal(first.spins, other.spins)


def test_onsager_constants():
    assert pytest.approx(2 / np.log(1 + np.sqrt(2))) == ONSAGER_TC
    assert pytest.approx(2.269185, abs=1e-6) == ONSAGER_TC
    expected = (1 - np.sinh(2 / 1.5) ** -4) ** 0.125
    assert onsager_magnetization(1.5) == pytest.approx(expected)
    np.testing.assert_array_equal(onsager_magnetization([2.3, 3.0]), [0.0, 0.0])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"L": 15}, ValueError, ["ising(L=15)", "even", "L=16"]),
        ({"temperatures": [1.0, -2.0]}, ValueError, ["temperatures", "> 0"]),
        ({"temperatures": []}, ValueError, ["non-empty"]),
        ({"samples_per_temperature": 0}, ValueError, ["samples_per_temperature", ">= 1"]),
        ({"dtype": "float16"}, ValueError, ["dtype='float16'", "int8"]),
        ({"chains": 0}, ValueError, ["chains"]),
    ],
)
def test_ising_rejects_bad_arguments(kwargs, error, words):
    arguments = {"L": 8, "temperatures": [2.0], "samples_per_temperature": 2, **kwargs}
    with pytest.raises(error) as info:
        ising(**arguments)
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------------------------
# Particle-identification toy


def test_pid_toy_shapes_and_unbalanced_abundance():
    x, y = pid_toy(5000, seed=0)
    assert x.shape == (5000, 3) and x.dtype == np.float32
    assert y.shape == (5000,) and y.dtype == np.int32
    assert len(PID_FEATURES) == 3 and PID_CLASSES == ("pion", "kaon")
    fractions = [pid_toy(5000, seed=s)[1].mean() for s in range(4)]
    assert all(0.1 < f < 0.4 for f in fractions)
    assert np.ptp(fractions) > 0.02  # the abundance changes with the seed: it looks unknown
    assert np.all(x[:, 0] > 0.15) and np.all(x[:, 2] > 6.0)  # p above 0.2 GeV/c, TOF >= L / c


def test_pid_toy_correlations_are_the_documented_ones():
    x, y = pid_toy(50_000, seed=1)
    for label, expected in ((0, (0.67, -0.35, -0.26)), (1, (-0.20, -0.54, 0.85))):
        correlation = np.corrcoef(x[y == label].T)[np.triu_indices(3, 1)]
        np.testing.assert_allclose(correlation, expected, atol=0.05)


def test_pid_toy_a_linear_cut_is_imperfect_and_a_nonlinear_classifier_does_better():
    x, y = pid_toy(20_000, seed=2)
    train, test = slice(0, 15_000), slice(15_000, None)
    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(x[train], y[train])
    linear_auc = roc_auc_score(y[test], linear.predict_proba(x[test])[:, 1])
    # k nearest neighbours: a non-parametric, non-linear estimate of P(kaon | x).
    neighbours = make_pipeline(StandardScaler(), KNeighborsClassifier(50)).fit(x[train], y[train])
    neighbours_auc = roc_auc_score(y[test], neighbours.predict_proba(x[test])[:, 1])
    assert 0.85 < linear_auc < 0.97
    assert neighbours_auc > linear_auc + 0.015
    assert neighbours_auc < 0.995  # the classes overlap: no classifier is perfect


# ---------------------------------------------------------------------------------------------
# SUSY loader


def susy_table(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, rows).astype(np.float64)
    return np.column_stack([labels, rng.normal(size=(rows, 18)) * 5])


def write_susy(path, table: np.ndarray) -> None:
    """Write like the UCI file: no header, every number as 1.000000000000000000e+00."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt") as file:
        np.savetxt(file, table, delimiter=",", fmt="%.18e")


@pytest.mark.parametrize("name", ["SUSY.csv", "SUSY.csv.gz"])
def test_load_susy_matches_numpy_loadtxt(tmp_path, name):
    table = susy_table(50)
    write_susy(tmp_path / name, table)
    x, y = load_susy(tmp_path / name)
    expected = np.loadtxt(tmp_path / name, delimiter=",")  # NumPy opens .gz files itself
    assert x.shape == (50, 18) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int32
    np.testing.assert_array_equal(x, expected[:, 1:].astype(np.float32))
    np.testing.assert_array_equal(y, expected[:, 0])
    assert len(SUSY_FEATURES) == 18 and SUSY_FEATURES[0] == "lepton_1_pT"
    assert SUSY_FEATURES[-1] == "cos_theta_r1"


def test_load_susy_nrows_directory_and_chunks(tmp_path, monkeypatch):
    table = susy_table(23)
    write_susy(tmp_path / "SUSY.csv.gz", table)
    monkeypatch.setattr(susy_module, "_CHUNK_ROWS", 5)  # several chunks, a ragged last one
    x, y = load_susy(tmp_path)  # a directory holding SUSY.csv.gz
    np.testing.assert_array_equal(x, table[:, 1:].astype(np.float32))
    x, y = load_susy(tmp_path / "SUSY.csv.gz", nrows=12)
    np.testing.assert_array_equal(y, table[:12, 0])
    assert load_susy(tmp_path / "SUSY.csv.gz", nrows=1000)[0].shape == (23, 18)


def test_load_susy_names_the_line_with_a_wrong_column_count(tmp_path, monkeypatch):
    lines = tmp_path / "SUSY.csv"
    write_susy(lines, susy_table(12))
    text = lines.read_text().splitlines()
    text[8] = text[8].rsplit(",", 1)[0]  # line 9 loses its last column
    lines.write_text("\n".join(text) + "\n")
    monkeypatch.setattr(susy_module, "_CHUNK_ROWS", 4)  # line 9 is in the third chunk
    with pytest.raises(ValueError) as info:
        load_susy(lines)
    message = str(info.value)
    assert "line 9" in message and "found 18" in message and "expected 19" in message


def test_load_susy_rejects_a_label_other_than_0_or_1(tmp_path):
    table = susy_table(6)
    table[3, 0] = 2.0
    write_susy(tmp_path / "SUSY.csv", table)
    with pytest.raises(ValueError, match=r"line 4: the label \(column 0\) is 2.0, expected 1 "):
        load_susy(tmp_path / "SUSY.csv")


def test_load_susy_rejects_a_header(tmp_path):
    write_susy(tmp_path / "SUSY.csv", susy_table(3))
    text = (tmp_path / "SUSY.csv").read_text()
    (tmp_path / "SUSY.csv").write_text("label," + ",".join(SUSY_FEATURES) + "\n" + text)
    with pytest.raises(ValueError, match=r"line 1, column 0 \(the label; .*'label' is not a "
                                         r"number.*no header"):
        load_susy(tmp_path / "SUSY.csv")


@pytest.mark.parametrize("token", ["1_5", "abc", "", "1.5d0", "0x1f", "--1"])
def test_load_susy_names_the_line_column_and_token_of_a_malformed_number(tmp_path, monkeypatch,
                                                                         token):
    path = tmp_path / "SUSY.csv"
    write_susy(path, susy_table(12))
    text = path.read_text().splitlines()
    fields = text[6].split(",")
    fields[4] = token  # line 7, column 4: lepton_2_pT
    text[6] = ",".join(fields)
    path.write_text("\n".join(text) + "\n")
    monkeypatch.setattr(susy_module, "_CHUNK_ROWS", 4)  # line 7 is in the second chunk
    with pytest.raises(ValueError) as info:
        load_susy(path)
    message = str(info.value)
    for words in ("line 7, column 4", "'lepton_2_pT'", f"{token!r} is not a number"):
        assert words in message, message


def test_load_susy_missing_file_says_where_the_data_come_from(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_susy(tmp_path / "nothing.csv")
    message = str(info.value)
    for word in ("nothing.csv", "SUSY.csv", "SUSY.csv.gz", "UCI", "279"):
        assert word in message
    with pytest.raises(FileNotFoundError, match="holds neither SUSY.csv nor SUSY.csv.gz"):
        load_susy(tmp_path)


# ---------------------------------------------------------------------------------------------
# MNIST loader


def write_mnist(directory, split="train", count=7, shape=(28, 28), compress=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, *shape), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if compress else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.mark.parametrize("split, compress", [("train", True), ("test", False)])
def test_load_mnist_round_trips_gzip_and_raw_idx(tmp_path, split, compress):
    images, labels = write_mnist(tmp_path, split, compress=compress)
    x, y = load_mnist(tmp_path, split=split)
    assert x.shape == (7, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (7,) and y.dtype == np.int32
    np.testing.assert_allclose(x[..., 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_load_mnist_reads_the_dimensions_from_the_header(tmp_path):
    images, _ = write_mnist(tmp_path, count=3, shape=(5, 9))
    x, _ = load_mnist(tmp_path)
    assert x.shape == (3, 5, 9, 1)
    np.testing.assert_allclose(x[..., 0] * 255.0, images, atol=1e-4)


def test_load_mnist_parses_a_hand_written_header(tmp_path):
    # Independent of write_idx: magic 0x00000803, then n, rows, columns, big-endian.
    header = bytes.fromhex("00000803000000020000000200000003")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(header + bytes(range(0, 240, 20)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(bytes.fromhex("00000801 00000002 0709"))
    x, y = load_mnist(tmp_path)
    np.testing.assert_allclose(x[1, :, :, 0] * 255, [[120, 140, 160], [180, 200, 220]])
    np.testing.assert_array_equal(y, [7, 9])


def test_load_mnist_wrong_magic_number_says_found_and_expected(tmp_path):
    write_mnist(tmp_path, compress=False)
    labels = (tmp_path / "train-labels-idx1-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels)  # a labels file in its place
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "magic number 2049" in message and "expected 2051" in message


def test_load_mnist_truncated_file_gives_expected_and_found_bytes(tmp_path):
    write_mnist(tmp_path, count=4, compress=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    expected = 16 + 4 * 28 * 28
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "truncated" in message and f"{expected} bytes" in message
    assert f"{expected - 100} bytes" in message


def test_load_mnist_damaged_gzip_file_is_a_clear_error(tmp_path):
    write_mnist(tmp_path, count=4)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="damaged gzip file"):
        load_mnist(tmp_path)


def test_load_mnist_image_and_label_counts_must_agree(tmp_path):
    write_mnist(tmp_path, count=5)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        load_mnist(tmp_path)


def test_load_mnist_missing_files_say_where_mnist_comes_from(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, split="test")
    message = str(info.value)
    for word in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "lecun.com", str(tmp_path)):
        assert word in message
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist(tmp_path, split="validation")


def test_write_idx_and_read_idx_agree_on_gzip_detection_by_content(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels.gz", labels)
    renamed = tmp_path / "train-labels-idx1-ubyte"  # gzipped content without the .gz name
    renamed.write_bytes((tmp_path / "labels.gz").read_bytes())
    assert gzip.decompress(renamed.read_bytes())[:4] == bytes.fromhex("00000801")
    np.testing.assert_array_equal(read_idx(renamed, LABELS_MAGIC), labels)
