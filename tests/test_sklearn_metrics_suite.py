"""scikit-learn's own metric tests, run with jaxnn.metrics in place of scikit-learn's functions.

The test modules `sklearn/metrics/tests/test_ranking.py` and `test_classification.py` of the
installed scikit-learn run in a subprocess (`pytest.main` with the `SklearnSuite` plugin
below). Before they are imported, the functions jaxnn implements are replaced in
`sklearn.metrics` by adapters that call jaxnn, so the test modules (and their parametrize
lists) get jaxnn's; the test modules' `UndefinedMetricWarning` becomes jaxnn's.

An adapter only maps scikit-learn's spelling onto jaxnn's: the function name
(`accuracy_score` -> `accuracy`), `y_score=` -> `scores=`, and scikit-learn's defaults where
jaxnn's differ on purpose (`zero_division="warn"`, `digits=2`); it computes nothing itself.

Only tests that call a substituted function run (found from the names their code uses);
the others test scikit-learn alone. Of those, tests of inputs or options that jaxnn does not
implement (multilabel-indicator targets, sparse and array-API inputs, functions jaxnn does not
have) are deselected by the patterns in `OUT_OF_SCOPE` and `DIFFERENT_ON_PURPOSE`, each with its
reason, and a pattern that matches no test fails the run (no stale excuses). Every other test
must pass, and must have called jaxnn at run time.

    pytest -m slow tests/test_sklearn_metrics_suite.py -s     # prints the counts
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("sklearn.metrics.tests.test_ranking", "sklearn.metrics.tests.test_classification")

# scikit-learn name -> (jaxnn.metrics name, scikit-learn defaults that jaxnn sets differently)
SUBSTITUTED = {
    "accuracy_score": ("accuracy", {}),
    "auc": ("auc", {}),
    "classification_report": ("classification_report", {"digits": 2, "zero_division": "warn"}),
    "confusion_matrix": ("confusion_matrix", {}),
    "f1_score": ("f1_score", {"zero_division": "warn"}),
    "precision_score": ("precision", {"zero_division": "warn"}),
    "recall_score": ("recall", {"zero_division": "warn"}),
    "roc_auc_score": ("roc_auc_score", {}),
    "roc_curve": ("roc_curve", {}),
}
RENAMED_ARGUMENTS = {"y_score": "scores"}

# Tests (regular expressions on "module::test[parameters]") that exercise what jaxnn does not
# implement.
OUT_OF_SCOPE = {
    r"multilabel": "multilabel-indicator targets are out of scope",
    r"array_api": "array-API namespaces are out of scope (jaxnn takes NumPy/JAX arrays)",
    r"csr_container|csc_container|sparse": "sparse input is out of scope",
    r"::(test_roc_curve_toydata|test_precision_recall_f_(extra|ignored)_labels"
    r"|test_(recall|precision|fscore)_warnings\[|test_prf_average_binary_data_non_binary$)":
        "mixes multilabel-indicator cases (out of scope) into binary/multiclass ones",
}
# Tests where jaxnn differs from scikit-learn on purpose, each with the documented reason.
DIFFERENT_ON_PURPOSE: dict[str, str] = {}


class _Adapter:
    """scikit-learn's spelling of a jaxnn.metrics function; records that jaxnn was called."""

    def __init__(self, suite: SklearnSuite, sklearn_name: str):
        import jaxnn.metrics

        name, defaults = SUBSTITUTED[sklearn_name]
        self.suite, self.function, self.defaults = suite, getattr(jaxnn.metrics, name), defaults
        self.__name__ = self.__qualname__ = sklearn_name
        self.__doc__ = self.function.__doc__

    def __call__(self, *args, **kwargs):
        self.suite.called.add(self.suite.current)
        kwargs = {RENAMED_ARGUMENTS.get(k, k): v for k, v in kwargs.items()}
        return self.function(*args, **{**self.defaults, **kwargs})


def _is_adapter(value) -> bool:
    if isinstance(value, functools.partial):
        value = value.func
    if isinstance(value, (list, tuple)):
        return any(_is_adapter(v) for v in value if not isinstance(v, (list, tuple)))
    if isinstance(value, dict):
        return any(_is_adapter(v) for v in value.values())
    return isinstance(value, _Adapter)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def _calls_jaxnn(function, module, seen: set) -> bool:
    """Whether `function` (or a helper of its module it calls) uses a substituted name."""
    seen.add(function)
    for name in _names(function.__code__):
        value = module.__dict__.get(name)
        if _is_adapter(value):
            return True
        if (inspect.isfunction(value) and value.__module__ == module.__name__
                and value not in seen and _calls_jaxnn(value, module, seen)):
            return True
    return False


class SklearnSuite:
    """pytest plugin: substitutes jaxnn, selects the tests that call it, records outcomes."""

    def __init__(self, summary: str):
        import sklearn.exceptions
        import sklearn.metrics

        import jaxnn.metrics

        self.summary, self.current = summary, None
        self.called: set[str] = set()
        self.outcomes: dict[str, str] = {}
        self.deselected: dict[str, str] = {}
        for sklearn_name in SUBSTITUTED:
            setattr(sklearn.metrics, sklearn_name, _Adapter(self, sklearn_name))
        self.warning = jaxnn.metrics.UndefinedMetricWarning
        self.sklearn_warning = sklearn.exceptions.UndefinedMetricWarning

    def pytest_collection_modifyitems(self, config, items):
        kept, dropped, used = [], [], set()
        for item in items:
            module = item.module
            if getattr(module, "UndefinedMetricWarning", None) is self.sklearn_warning:
                module.UndefinedMetricWarning = self.warning
            test_id = f"{module.__name__.rsplit('.', 1)[-1]}::{item.name}"
            params = getattr(getattr(item, "callspec", None), "params", {})
            matches = [p for p in {**OUT_OF_SCOPE, **DIFFERENT_ON_PURPOSE} if re.search(p, test_id)]
            used.update(matches)
            reason = None
            if not (_calls_jaxnn(item.function, module, set())
                    or any(_is_adapter(v) for v in params.values())):
                reason = "calls no function jaxnn implements (tests scikit-learn alone)"
            elif matches:
                reason = {**OUT_OF_SCOPE, **DIFFERENT_ON_PURPOSE}[matches[0]]
            if reason is None:
                kept.append(item)
            else:
                dropped.append(item)
                self.deselected[test_id] = reason
        self.unused = sorted((set(OUT_OF_SCOPE) | set(DIFFERENT_ON_PURPOSE)) - used)
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def pytest_runtest_setup(self, item):
        self.current = item.nodeid

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.setdefault(report.nodeid, report.outcome)

    def pytest_sessionfinish(self, session):
        Path(self.summary).write_text(json.dumps({
            "outcomes": self.outcomes, "called": sorted(self.called),
            "deselected": self.deselected, "unused_patterns": self.unused}, indent=1))


def run_suite(summary: Path, *arguments: str) -> tuple[dict, str]:
    """Run the two scikit-learn test modules with the plugin in a fresh interpreter."""
    boot = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import pytest; "
            "from tests.test_sklearn_metrics_suite import SklearnSuite; "
            f"sys.exit(pytest.main(sys.argv[1:], plugins=[SklearnSuite({str(summary)!r})]))")
    command = [sys.executable, "-c", boot, "--pyargs", *MODULES, "-p", "no:cacheprovider",
               "-o", "addopts=", "-q", "-n", "0", "-W", "ignore::DeprecationWarning",
               "--rootdir", str(summary.parent), *arguments]
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(command, cwd=summary.parent, env=env, capture_output=True, text=True,
                          timeout=1200, check=False)
    if not summary.exists():
        raise AssertionError(f"the scikit-learn suite did not run:\n{done.stdout[-3000:]}"
                             f"\n{done.stderr[-3000:]}")
    return json.loads(summary.read_text()), done.stdout


@pytest.mark.slow
def test_scikit_learn_metric_tests_pass_with_jaxnn_substituted(tmp_path):
    result, output = run_suite(tmp_path / "summary.json")
    outcomes = result["outcomes"]
    failed = sorted(node for node, outcome in outcomes.items() if outcome == "failed")
    passed = [node for node, outcome in outcomes.items() if outcome == "passed"]
    without_jaxnn = sorted(set(passed) - set(result["called"]))
    reasons: dict[str, int] = {}
    for reason in result["deselected"].values():
        reasons[reason] = reasons.get(reason, 0) + 1
    print(f"\nscikit-learn metric tests with jaxnn substituted: {len(outcomes)} ran, "
          f"{len(passed)} passed, {len(failed)} failed, "
          f"{sum(o == 'skipped' for o in outcomes.values())} skipped by scikit-learn")
    for reason, count in sorted(reasons.items()):
        print(f"  deselected {count:4d}: {reason}")
    assert not failed, f"{len(failed)} failed:\n" + "\n".join(failed) + "\n" + output[-20000:]
    assert not without_jaxnn, f"passed without calling jaxnn: {without_jaxnn}"
    unused = result["unused_patterns"]
    assert not unused, f"deselection patterns that match no test: {unused}"
    assert len(passed) >= 150
