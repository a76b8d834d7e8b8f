"""The example scripts: quick smoke runs by default, the accuracy bars with `pytest -m slow`.

Each example is imported by path; ``run(args)`` returns its figures of merit, ``main(argv)``
is what the command line calls. The SUSY and MNIST examples run on small files written here in
the real formats.
"""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaxnn.data.datasets import ONSAGER_TC
from jaxnn.data.datasets._mnist import write_idx

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, options: str, out: Path) -> dict[str, float]:
    """``run(args)`` of an example with command-line `options` and plots written to `out`."""
    module = load_example(name)
    return module.run(module.make_parser().parse_args([*options.split(), "--out", str(out)]))


def pngs(directory: Path) -> set[str]:
    return {path.name for path in directory.glob("*.png")}


def write_susy_like(path: Path, rows: int = 600) -> None:
    """A SUSY-format file (label, then 18 features) with a learnable signal."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, rows)
    features = rng.normal(size=(rows, 18)) + 1.5 * labels[:, None] * (np.arange(18) < 3)
    with gzip.open(path, "wt") as file:
        np.savetxt(file, np.column_stack([labels, features]), delimiter=",", fmt="%.18e")


def write_mnist_like(directory: Path, counts=(("train", 300), ("t10k", 100))) -> None:
    """MNIST-format IDX files of 'digits' drawn as a bright bar whose height is the label."""
    rng = np.random.default_rng(0)
    for prefix, count in counts:
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels, strict=True):
            image[2 * label : 2 * label + 6, 4:24] = 250
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels)


# ---------------------------------------------------------------------------------------------
# Fast runs (default suite)


def test_xor_example_mlp_learns_xor_and_logistic_regression_cannot(tmp_path, capsys):
    figures = run_example("xor_mlp", "", tmp_path)
    assert figures["mlp_accuracy"] == 1.0
    assert figures["logistic_regression_accuracy"] <= 0.75
    assert pngs(tmp_path) == {"xor_decision_boundary.png", "xor_loss.png"}
    assert "truth table" in capsys.readouterr().out


def test_nand_example_logistic_regression_learns_nand(tmp_path, capsys):
    assert load_example("nand_logistic_regression").main(["--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "accuracy 100%" in output and "learned weights" in output
    assert pngs(tmp_path) == {"nand_decision_boundary.png"}


@pytest.mark.slow  # the docs build runs every example
def test_ising_example_smoke(tmp_path):
    options = "--size 8 --t-steps 6 --samples 16 --equilibration 50 --epochs 1"
    figures = run_example("ising_phases_cnn", options, tmp_path)
    assert 0.0 <= figures["accuracy"] <= 1.0
    assert pngs(tmp_path) == {"ising_p_ordered.png", "ising_history.png"}


@pytest.mark.slow  # the docs build runs every example
def test_pid_example_smoke(tmp_path):
    figures = run_example("pid_classification", "--tracks 2000 --epochs 2 --hidden 8", tmp_path)
    assert all(0.0 <= figures[f"{key}_auc"] <= 1.0 for key in ("linear", "mlp"))
    assert pngs(tmp_path) == {"pid_roc.png", "pid_mlp_response.png", "pid_mlp_history.png"}


def test_susy_example_on_a_small_susy_format_file(tmp_path, capsys):
    write_susy_like(tmp_path / "SUSY.csv.gz")
    options = ["--nrows", "500", "--hidden", "16", "--epochs", "2", "--batch-size", "64"]
    argv = [*options, "--data", str(tmp_path), "--out", str(tmp_path / "plots")]
    assert load_example("susy_mlp").main(argv) == 0
    assert "read 500 events" in capsys.readouterr().out
    assert pngs(tmp_path / "plots") == {"susy_roc.png", "susy_response.png", "susy_history.png"}


def test_susy_example_compares_all_low_and_high_level_features(tmp_path, capsys, monkeypatch):
    """The lecture's comparison: one MLP per feature set, one ROC plot, a table of AUCs. In
    the synthetic file only three low-level features carry the signal, so the high-level set
    sees none of it; each AUC is checked against scikit-learn's on the same scores."""
    import jaxnn
    from sklearn.metrics import roc_auc_score

    module = load_example("susy_mlp")
    write_susy_like(tmp_path / "SUSY.csv.gz", rows=1000)
    x, y = module.load_susy(tmp_path, nrows=1000)
    args = module.make_parser().parse_args(
        ["--hidden", "16", "--epochs", "10", "--batch-size", "64", "--learning-rate", "0.01",
         "--features", "all,low,high", "--out", str(tmp_path / "plots")])
    scores, predict_proba = {}, jaxnn.predict_proba

    def remember(model, params, x_test, *rest):  # the test scores of each feature set
        probabilities = predict_proba(model, params, x_test, *rest)
        scores[x_test.shape[1]] = probabilities[:, 1]
        return probabilities

    monkeypatch.setattr(jaxnn, "predict_proba", remember)
    figures = module.run(args, x, y)
    table = capsys.readouterr().out
    y_test = jaxnn.data.split(x, y, fractions=(0.8, 0.1, 0.1), seed=0)[2][1]
    for name, width, row in (("all", 18, "all 18 features"), ("low", 8, "8 low-level"),
                             ("high", 10, "10 high-level")):
        auc = figures[f"auc_{name}"]
        assert auc == pytest.approx(roc_auc_score(y_test, scores[width]), abs=1e-6)
        assert f"{row:<17} {auc:>7.4f}" in table
    assert figures["auc_low"] > 0.85 and figures["auc_all"] > 0.85
    assert abs(figures["auc_high"] - 0.5) < 0.15  # no signal in the high-level columns
    assert figures["auc"] == figures["auc_all"]  # the first set's figures, unsuffixed
    assert pngs(tmp_path / "plots") == {"susy_roc.png", "susy_response.png", "susy_history.png"}
    with pytest.raises(SystemExit):
        module.make_parser().parse_args(["--features", "all,mid"])
    assert "expected distinct names among all, low, high" in capsys.readouterr().err


def test_mnist_example_on_small_idx_files(tmp_path, capsys):
    write_mnist_like(tmp_path)
    options = ["--features", "4", "--epochs", "1"]
    argv = [*options, "--data", str(tmp_path), "--out", str(tmp_path / "plots")]
    assert load_example("mnist_cnn").main(argv) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert pngs(tmp_path / "plots") == {"mnist_confusion_matrix.png", "mnist_history.png"}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("susy_mlp", ["SUSY.csv", "UCI Machine Learning Repository", "--data"]),
        ("mnist_cnn", ["train-images-idx3-ubyte", "lecun.com", "--data"]),
    ],
)
def test_examples_without_their_data_file_exit_with_status_2(tmp_path, capsys, name, expected):
    missing = tmp_path / "nowhere"
    with pytest.raises(SystemExit) as info:
        load_example(name).main(["--data", str(missing), "--out", str(tmp_path)])
    assert info.value.code == 2
    message = capsys.readouterr().err
    for word in [str(missing), *expected]:
        assert word in message


def test_susy_example_command_line_exit_status_without_data(tmp_path):
    process = subprocess.run(
        [sys.executable, str(EXAMPLES / "susy_mlp.py"), "--data", str(tmp_path / "SUSY.csv")],
        check=False,
        capture_output=True,
        text=True,
        timeout=1800,  # a safety net against a hang, not a wait
        cwd=tmp_path,
    )
    assert process.returncode == 2
    assert "SUSY.csv" in process.stderr and "--data" in process.stderr


# ---------------------------------------------------------------------------------------------
# The bars (pytest -m slow)


@pytest.mark.slow
def test_ising_example_classifies_phases_and_finds_onsager_tc(tmp_path):
    figures = run_example("ising_phases_cnn", "", tmp_path)
    assert figures["accuracy"] >= 0.95
    assert figures["critical_temperature"] == pytest.approx(ONSAGER_TC, rel=0.03)


@pytest.mark.slow
def test_pid_example_mlp_beats_the_linear_cut(tmp_path):
    figures = run_example("pid_classification", "", tmp_path)
    assert figures["mlp_auc"] > figures["linear_auc"] + 0.01
    assert figures["mlp_rejection"] > figures["linear_rejection"]
    assert figures["linear_auc"] > figures["time_of_flight_auc"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_xor_example_reaches_100_percent_for_other_seeds(tmp_path, seed):
    figures = run_example("xor_mlp", f"--seed {seed}", tmp_path)
    assert figures["mlp_accuracy"] == 1.0


# The float64 PINN examples at their own settings, against their independent references:
# (example, bar on the relative L2 error of all fields and of each, other figures expected).
FLOAT64_PINN_BARS = [
    ("lotka_volterra", 1e-6, ("relative_l2_x", "relative_l2_y"), {}),  # SciPy's solve_ivp
    ("coupled_bounce", 1e-5, ("relative_l2_phi", "relative_l2_chi"), {}),  # SciPy's solve_bvp
    ("euler_beam", 1e-6, (), {"tip_deflection": -1 / 8}),  # u = -x⁴/24 + x³/6 - x²/4
    ("kovasznay_flow", 3e-4, ("relative_l2_u", "relative_l2_v", "relative_l2_p"), {}),  # exact
]


@pytest.mark.slow
@pytest.mark.parametrize("name, bar, fields, expected", FLOAT64_PINN_BARS)
def test_float64_pinn_example_reaches_its_bar(tmp_path, name, bar, fields, expected):
    from x64 import enable_x64

    with enable_x64(True):
        figures = run_example(name, "--quiet", tmp_path)
    assert max([figures["relative_l2"], *(figures[field] for field in fields)]) < bar
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value, rel=1e-6)
    assert pngs(tmp_path) == {f"{name}.png"}
