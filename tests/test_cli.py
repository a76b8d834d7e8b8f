"""The `pinn` command: `pinn list`, `pinn solve NAME ...`, exit statuses.

`pinn.cli.main(argv)` runs in-process (one solve, shared by the tests that read its report);
the installed console script runs once in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import pytest
from x64 import enable_x64

from pinn import cli, problems


def test_list_prints_every_registered_problem(capsys):
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == problems.names()
    for line, name in zip(lines, problems.names(), strict=True):
        assert problems.get(name).description in line


@pytest.fixture(scope="module")
def json_report(tmp_path_factory):
    """`pinn solve poisson1d --steps 50 50 --json --quiet --plot PATH`, on a one-layer network
    (the registry's two-layer network compiles twice as slowly)."""
    path = tmp_path_factory.mktemp("cli") / "poisson1d.png"
    patch = pytest.MonkeyPatch()
    patch.setitem(problems.get("poisson1d").settings, "fast",
                  {**problems.get("poisson1d").settings["fast"], "depth": 1})
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = cli.main(["solve", "poisson1d", "--steps", "50", "50", "--json", "--quiet",
                               "--plot", str(path)])
    finally:
        patch.undo()
    return status, stdout.getvalue(), path


def test_solve_json_prints_one_line_of_results(json_report):
    status, output, _ = json_report
    assert status == 0
    lines = output.splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["problem"] == "poisson1d" and report["mode"] == "fast"
    assert report["optimizer"] == "adam+lbfgs" and report["float64"] is False
    assert 0 < report["relative_l2"] < 1  # 100 steps: better than u = 0, far from converged
    assert report["max_error"] > 0 and report["bar"] == problems.get("poisson1d").bars["fast"]
    assert report["seconds"] > 0 and report["device"] == str(jax.devices()[0])
    assert report["stop_reason"] is None


def test_solve_plot_writes_a_png(json_report):
    _, output, path = json_report
    assert json.loads(output)["plot"] == str(path)
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_unknown_problem_exits_with_status_2_and_lists_the_known_names(capsys):
    assert cli.main(["solve", "poisson3d", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "unknown problem 'poisson3d'" in error
    for name in problems.names():
        assert repr(name) in error


def test_bad_arguments_exit_with_argparse_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["solve", "poisson1d", "--steps", "many"])
    assert exit_info.value.code == 2
    assert "--steps" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2


def test_console_script_is_installed_and_reports_errors():
    # the script next to this interpreter (the virtual environment's), else the one on PATH
    beside = Path(sys.executable).with_name("pinn")
    executable = str(beside) if beside.exists() else shutil.which("pinn")
    assert executable, "the `pinn` console script is not installed"
    finished = subprocess.run([executable, "solve", "no_such_problem"], check=False,
                              capture_output=True, text=True, timeout=1800)  # safety net
    assert finished.returncode == 2
    assert "unknown problem 'no_such_problem'" in finished.stderr
    assert "'poisson2d'" in finished.stderr and finished.stdout == ""


@pytest.mark.slow  # a space-time Gauss-Newton compile: ~15 s of a suite held under 5 minutes
def test_solve_reports_an_inverse_problems_coefficients_against_their_true_values(capsys):
    spec = problems.get("diffusion_inverse")
    patch = pytest.MonkeyPatch()  # a smaller network and point set: compiles in seconds
    patch.setitem(spec.settings, "accurate", {**spec.settings["accurate"], "depth": 1,
                                              "n_interior": 100, "n_boundary": 10})
    try:
        with enable_x64(True):
            status = cli.main(["solve", "diffusion_inverse", "--accurate", "--steps", "2",
                               "--json"])
    finally:
        patch.undo()
    assert status == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert set(report["unknowns"]) == {"C"}
    found = report["unknowns"]["C"]
    assert found != 2.0  # trained from its start value
    assert report["coefficient_errors"]["C"] == pytest.approx(abs(found - 1.0))


@pytest.mark.parametrize("name, expected", [
    ("a_file/plot.png", "lies under .*a_file.*which is a file"),
    ("plot.xyz", r"\.xyz is not an image format.*png"),
    ("plot", "no extension is not an image format"),
])
def test_a_bad_plot_path_is_refused_before_the_solve(tmp_path, monkeypatch, capsys, name,
                                                     expected):
    (tmp_path / "a_file").write_text("in the way")
    solved = []
    monkeypatch.setattr(cli, "_solve", lambda args: solved.append(args))
    code = cli.main(["solve", "poisson1d", "--plot", str(tmp_path / name)])
    assert code == 2 and solved == []
    assert re.search(expected, capsys.readouterr().err)
