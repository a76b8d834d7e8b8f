"""The older keyword form of `pinn.solve` and `pinn.march` (``optimizer="adam+lbfgs"``,
``steps``, ``n_interior``, ``float64=True``, ...; `pinn.solver._legacy`).

Each older keyword still solves, maps exactly onto the part it describes (the same settings
given both ways train bit for bit alike), warns once per call with a `DeprecationWarning` that
names the new spelling, and is reported in the words the user wrote when its value is bad.
Every older-keyword call here expects its warning (`warns_once`), so this file passes under
``-W error::DeprecationWarning``; the rest of the suite is written in the parts form.
"""

from __future__ import annotations

import contextlib
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from x64 import enable_x64

import jaxnn
import pinn
from pinn import problems
from pinn.operators import partial
from pinn.solver import _solve as solver
from pinn.solver._legacy import NEW_SPELLING

X64_BEFORE = jax.config.jax_enable_x64  # the global switch before any solve ran
OLDER = "are the older keyword form"


@contextlib.contextmanager
def warns_once(where: str, *names: str):
    """Expect exactly one older-keyword `DeprecationWarning` from the call inside the block:
    from `where` ("solve" or "march"), naming each of `names` with its new spelling and
    pointing at the line of this file that made the call."""
    with pytest.warns(DeprecationWarning, match=f"^{where}: .*{OLDER}") as record:
        yield
    ours = [w for w in record if issubclass(w.category, DeprecationWarning)
            and OLDER in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    message = str(ours[0].message)
    for name in names:
        assert f"{name}= -> {NEW_SPELLING[name]}" in message, (name, message)
    assert ours[0].filename == __file__  # the user's line, not the library's


def poisson1d() -> pinn.PDE:
    """-u'' = π² sin πx on [-1, 1], u(±1) = 0; exact u = sin πx."""
    return problems.get("poisson1d").build()


def tiny_net() -> jaxnn.MLP:
    return jaxnn.MLP([6, 1], activation="tanh")


def leaves_equal(a, b) -> bool:
    """Whether two parameter trees hold the same arrays, bit for bit."""
    a_leaves, b_leaves = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b) and all(
        np.shape(x) == np.shape(y) and np.array_equal(x, y)
        for x, y in zip(a_leaves, b_leaves, strict=True))


def assert_same_solution(older: pinn.Solution, parts: pinn.Solution) -> None:
    for x, y in zip(jax.tree_util.tree_leaves(older.params),
                    jax.tree_util.tree_leaves(parts.params), strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert older.history["loss"] == parts.history["loss"]
    assert older.history["stage"] == parts.history["stage"]
    assert older.dtype == parts.dtype


# ---------------------------------------------------------------------------------------------
# The signature


def test_solve_takes_the_parts_and_a_few_plain_keywords():
    parameters = inspect.signature(pinn.solve).parameters
    assert len(parameters) <= 16
    assert set(NEW_SPELLING).isdisjoint(parameters)  # the older keywords are not parameters
    assert [p.kind for p in parameters.values()][-1] is inspect.Parameter.VAR_KEYWORD
    assert set(NEW_SPELLING).isdisjoint(inspect.signature(pinn.march).parameters)


# ---------------------------------------------------------------------------------------------
# Each older keyword solves, warns once and trains exactly as its parts

# Shared by the cases below unless the case sets that part itself: small, and several epochs
# (log_every=1) so that resampling, refinement and gradient weighting act between them.
STAGES = [pinn.Adam(3, learning_rate=1e-2)]
COLLOCATION = pinn.Collocation(20, boundary=2)
REFINE = {"every": 2, "add": 4, "candidates": 50, "rounds": 1}

# (older keywords, the same settings as parts); "problem"/"model" in the parts replace
# poisson1d() and tiny_net()
CASES = {
    "optimizer steps learning_rate": (
        {"optimizer": "adam", "steps": 4, "learning_rate": 5e-3},
        {"stages": [pinn.Adam(4, learning_rate=5e-3)]}),
    "adam+lbfgs": ({"optimizer": "adam+lbfgs", "steps": (3, 2)},
                   {"stages": [pinn.Adam(3), pinn.LBFGS(2)]}),
    # the default optimizer is "adam+lbfgs" (these settings share the case above's programs)
    "steps alone": ({"steps": (3, 2)}, {"stages": [pinn.Adam(3), pinn.LBFGS(2)]}),
    "gauss_newton": ({"optimizer": "gauss_newton", "steps": 2},
                     {"stages": [pinn.GaussNewton(2)]}),
    "gauss_newton_cg": ({"optimizer": "gauss_newton_cg", "steps": 2},
                        {"stages": [pinn.GaussNewton(2, solver="cg")]}),
    "optax": ({"optimizer": optax.sgd(1e-2), "steps": 3},
              {"stages": [pinn.OptaxStage(optax.sgd(1e-2), 3)]}),
    "n_interior alone": ({"n_interior": 24}, {"collocation": pinn.Collocation(24)}),
    "n_interior n_boundary": ({"n_interior": 24, "n_boundary": 3},
                              {"collocation": pinn.Collocation(24, boundary=3)}),
    "sampling_method": ({"n_interior": 16, "n_boundary": 2, "sampling_method": "sobol"},
                        {"collocation": pinn.Collocation(16, 2, method="sobol")}),
    "resample_every": ({"n_interior": 20, "n_boundary": 2, "resample_every": 2},
                       {"collocation": pinn.Collocation(20, 2, resample_every=2)}),
    "adaptive": ({"n_interior": 20, "n_boundary": 2, "adaptive": REFINE},
                 {"collocation": pinn.Collocation(20, 2, refinement=pinn.Refinement(**REFINE))}),
    "weights": ({"weights": {"interior": 0.5, "boundary": 10.0}},
                {"weighting": pinn.FixedWeights(interior=0.5, boundary=10.0)}),
    "gradient_weighting": ({"gradient_weighting": True},
                           {"weighting": pinn.GradientNormWeights()}),
    "gradient_weighting with weights": (
        {"gradient_weighting": True, "weights": {"boundary": 10.0}},
        {"weighting": pinn.GradientNormWeights(boundary=10.0)}),
    "hard_constraints": ({"hard_constraints": True},
                         {"problem": poisson1d().with_hard_dirichlet()}),
    "fourier_features": ({"fourier_features": (4, 1.0)},
                         {"model": pinn.FourierFeatures(tiny_net(), num_features=4, scale=1.0,
                                                        seed=0)}),
}


@pytest.fixture(scope="module")
def baseline() -> pinn.Solution:
    """The shared settings alone, in the parts form."""
    return pinn.solve(poisson1d(), tiny_net(), stages=STAGES, collocation=COLLOCATION,
                      log_every=1, seed=0, verbose=0)


@pytest.mark.parametrize("case", list(CASES))
def test_each_older_keyword_trains_bit_for_bit_as_its_parts(case, baseline):
    older, parts = CASES[case]
    parts = dict(parts)
    problem, model = parts.pop("problem", poisson1d()), parts.pop("model", tiny_net())
    shared = {"stages": STAGES, "collocation": COLLOCATION}
    for name in list(older):
        shared.pop(solver_part(name), None)
    with warns_once("solve", *older):
        from_older = pinn.solve(poisson1d(), tiny_net(), log_every=1, seed=0, verbose=0,
                                **shared, **older)
    from_parts = pinn.solve(problem, model, log_every=1, seed=0, verbose=0, **shared, **parts)
    assert_same_solution(from_older, from_parts)
    # and the keyword did something: the solution is not the baseline's
    assert not leaves_equal(from_parts.params, baseline.params)


def solver_part(name: str) -> str | None:
    """The part an older keyword describes (its parts-form keyword of `solve`)."""
    return {"optimizer": "stages", "steps": "stages", "learning_rate": "stages",
            "n_interior": "collocation", "n_boundary": "collocation",
            "sampling_method": "collocation", "resample_every": "collocation",
            "adaptive": "collocation", "weights": "weighting",
            "gradient_weighting": "weighting"}.get(name)


def test_float64_with_gauss_newton_and_points_trains_bit_for_bit_as_its_parts():
    with enable_x64(True):
        with warns_once("solve", "optimizer", "steps", "n_interior", "float64"):
            older = pinn.solve(poisson1d(), tiny_net(), optimizer="gauss_newton", steps=4,
                               n_interior=30, float64=True, log_every=2, verbose=0)
        parts = pinn.solve(poisson1d(), tiny_net(), stages=[pinn.GaussNewton(4)],
                           collocation=pinn.Collocation(30), dtype="float64", log_every=2,
                           verbose=0)
        assert_same_solution(older, parts)
        assert older.dtype == np.float64 and older(np.zeros((1, 1))).dtype == np.float64


def test_float64_false_is_float32(baseline):
    with warns_once("solve", "float64"):
        older = pinn.solve(poisson1d(), tiny_net(), stages=STAGES, collocation=COLLOCATION,
                           float64=False, log_every=1, seed=0, verbose=0)
    assert_same_solution(older, baseline)


def decay() -> pinn.PDE:
    """u' = -u on [0, 2] in time, u(0) = 1 (hard): u = exp(-t)."""
    return pinn.PDE(pinn.Interval(0.0, 2.0), lambda u, t: partial(u, 0)(t) + u(t),
                    bcs=[pinn.Dirichlet(1.0, on="left", hard=True)],
                    exact=lambda t: jnp.exp(-t[0]))


def test_march_with_older_keywords_warns_naming_march_and_marches_as_its_parts():
    with enable_x64(True):
        with warns_once("march", "optimizer", "steps", "n_interior", "n_boundary", "float64",
                        "fourier_features"):
            older = pinn.march(decay(), tiny_net(), windows=2, optimizer="gauss_newton",
                               steps=3, n_interior=30, n_boundary=2, float64=True,
                               fourier_features=(4, 1.0), log_every=1, verbose=0)
        parts = pinn.march(decay(), pinn.FourierFeatures(tiny_net(), num_features=4, scale=1.0),
                           windows=2, stages=[pinn.GaussNewton(3)],
                           collocation=pinn.Collocation(30, boundary=2), dtype="float64",
                           log_every=1, verbose=0)
        assert len(older.windows) == len(parts.windows) == 2
        for a, b in zip(older.windows, parts.windows, strict=True):
            assert_same_solution(a, b)
        t = np.linspace(0.0, 2.0, 41)[:, None]
        np.testing.assert_array_equal(older(t), parts(t))
        # it trained: far closer to exp(-t) than the ansatz's u = 1 at N = 0
        exact = np.exp(-t[:, 0])
        error = np.linalg.norm(older(t) - exact) / np.linalg.norm(exact)
        assert error < 0.1 * np.linalg.norm(1.0 - exact) / np.linalg.norm(exact)


def test_march_with_steps_alone_warns_naming_march(no_training):
    with warns_once("march", "steps"), pytest.raises(_Trained):
        pinn.march(decay(), tiny_net(), windows=2, steps=(3, 2), verbose=0)
    assert no_training[0]["total_steps"] == 3  # Adam(3), then LBFGS(2)


# ---------------------------------------------------------------------------------------------
# Bad input, in the words the user wrote


class _Trained(Exception):
    """Raised instead of training: the call got past every check."""


@pytest.fixture
def no_training(monkeypatch):
    """Replace the training loop: record what solve asked of it, then stop."""
    calls = []

    def train_loop(loss_fn, params, data, **options):
        calls.append({**options, "data": data})
        raise _Trained

    monkeypatch.setattr(solver, "train_loop", train_loop)
    return calls


def test_n_interior_alone_keeps_400_points_per_boundary_condition(no_training):
    problem = problems.get("poisson2d").build()
    with warns_once("solve", "n_interior"), pytest.raises(_Trained):
        pinn.solve(problem, n_interior=20, verbose=0)
    with pytest.raises(_Trained):
        pinn.solve(problem, collocation=pinn.Collocation(20, boundary=400), verbose=0)
    older, parts = (call["data"] for call in no_training)
    assert older["interior"].shape == (20, 2)
    assert [points.shape for points, _ in older["boundary"]] == [(400, 2)]
    for a, b in zip(jax.tree_util.tree_leaves(older), jax.tree_util.tree_leaves(parts),
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("older, error, message, not_in", [
    ({"sampling_method": "lhs"}, ValueError,
     r"^solve\(sampling_method='lhs'\): expected one of \['uniform', 'grid'", "Collocation("),
    ({"sampling_method": "random"}, ValueError, r"^solve\(sampling_method='random'\)",
     "Collocation("),
    ({"adaptive": {"every": 0}}, ValueError, r"^solve\(adaptive=\{'every': .*\}\).*got 0",
     "Refinement("),
    ({"adaptive": {"evry": 100}}, ValueError, r"^solve\(adaptive=...\).*\['evry'\]",
     "Collocation("),
    ({"adaptive": {"add": 10, "candidates": 5}}, ValueError,
     r"^solve\(adaptive=\{'candidates': 5\}\): must be at least add=10", "Refinement("),
    ({"weights": {"boundary": -1.0}}, ValueError, r"^solve\(weights=\{'boundary'.*got -1",
     "FixedWeights("),
    ({"weights": {"bdry": 1.0}}, ValueError, r"^solve\(weights=...\).*\['bdry'\]", "Weights("),
    ({"gradient_weighting": True, "weights": {"data": 0.0}}, ValueError,
     r"^solve\(weights=\{'data'", "GradientNormWeights("),
    ({"resample_every": -5}, ValueError, r"^solve\(resample_every=...\).*got -5",
     "Collocation("),
    ({"sampling_method": "grid", "resample_every": 100}, ValueError,
     r"^solve\(resample_every=100\): a grid.*use sampling_method='uniform'", " method="),
    ({"n_interior": 0}, ValueError, r"^solve\(n_interior=0\): expected a positive integer", ""),
    ({"n_interior": -3}, ValueError, r"^solve\(n_interior=-3\)", "Collocation("),
    ({"n_interior": 2.5}, ValueError, r"^solve\(n_interior=2.5\)", "Collocation("),
    ({"n_boundary": 0}, ValueError, r"^solve\(n_boundary=0\)", "Collocation("),
    ({"optimizer": "adam+sgd"}, ValueError, r"^solve\(optimizer='adam\+sgd'\): unknown stage "
                                            r"'sgd'.*'adam'.*'lbfgs'", "Stage"),
    ({"optimizer": 3}, TypeError, r"^solve\(optimizer=3\)", "Stage"),
    ({"optimizer": "adam", "steps": 0}, ValueError, r"^solve\(steps=...\).*got 0", "Adam("),
    ({"optimizer": "adam", "steps": 100.0}, TypeError, r"^solve\(steps=.*100.0", "Adam("),
    ({"optimizer": "adam+lbfgs", "steps": (10, -1)}, ValueError, r"^solve\(steps=...\).*-1",
     "Adam("),
    ({"optimizer": "adam+lbfgs", "steps": (100,)}, ValueError, r"^solve\(steps=\[100\]\)", ""),
    ({"optimizer": "adam+lbfgs", "steps": (100, 100, 100)}, ValueError, r"^solve\(steps=", ""),
    ({"optimizer": "adam+lbfgs", "steps": 100}, ValueError, r"^solve\(steps=100\)", ""),
    ({"learning_rate": -1.0}, ValueError, r"^solve\(learning_rate=-1.0\)", "Adam("),
    ({"fourier_features": 32}, ValueError, r"^solve\(fourier_features=32\)", ""),
    ({"fourier_features": (0, 1.0)}, ValueError, r"^solve\(fourier_features=\(0, 1.0\)\)", ""),
])
def test_bad_older_keywords_are_refused_in_the_users_words(no_training, older, error, message,
                                                           not_in):
    with warns_once("solve", *older), pytest.raises(error, match=message) as caught:
        pinn.solve(poisson1d(), verbose=0, **older)
    assert not not_in or not_in not in str(caught.value)
    assert no_training == []


def test_bad_older_keywords_of_march_name_march(no_training):
    with warns_once("march", "optimizer", "steps"), \
            pytest.raises(ValueError, match=r"^march\(steps=...\).*got 0"):
        pinn.march(decay(), windows=2, optimizer="adam", steps=0, verbose=0)
    with warns_once("march", "optimizer"), \
            pytest.raises(ValueError, match=r"^march\(optimizer='adam\+sgd'\)"):
        pinn.march(decay(), windows=2, optimizer="adam+sgd", verbose=0)
    with warns_once("march", "sampling_method"), \
            pytest.raises(ValueError, match=r"^march\(sampling_method='lhs'\)"):
        pinn.march(decay(), windows=2, sampling_method="lhs", verbose=0)
    assert no_training == []


@pytest.mark.parametrize("call", [pinn.solve, pinn.march])
def test_a_misspelt_keyword_is_a_type_error_suggesting_the_name(call):
    where = call.__name__
    with pytest.raises(TypeError, match=rf"^{where}\(\) got an unexpected keyword argument "
                                        r"'n_interor'. Did you mean 'n_interior'\?"):
        call(decay(), n_interor=3, verbose=0)
    with pytest.raises(TypeError, match=r"'stage'. Did you mean 'stages'\?"):
        call(decay(), stage=[pinn.Adam(3)], verbose=0)


@pytest.mark.parametrize("older, parts", [
    ({"optimizer": "adam"}, {"stages": [pinn.Adam(10)]}),
    ({"steps": (10, 10)}, {"stages": [pinn.Adam(10)]}),
    ({"learning_rate": 1e-2}, {"stages": [pinn.Adam(10)]}),
    ({"n_interior": 10}, {"collocation": pinn.Collocation(10)}),
    ({"adaptive": REFINE}, {"collocation": pinn.Collocation(10)}),
    ({"weights": {"boundary": 2.0}}, {"weighting": pinn.FixedWeights()}),
    ({"gradient_weighting": True}, {"weighting": pinn.FixedWeights()}),
    ({"float64": True}, {"dtype": "float32"}),
])
def test_an_older_keyword_with_its_part_is_refused(no_training, older, parts):
    (name,), (part,) = older, parts
    with warns_once("solve", name), pytest.raises(
            ValueError, match=rf"^solve: {name}= and {part}= describe the same thing; give "
                              rf"only {part}="):
        pinn.solve(poisson1d(), verbose=0, **older, **parts)
    assert no_training == []


def test_hard_constraints_name_the_older_keyword_when_there_is_no_dirichlet_condition():
    problem = pinn.PDE(pinn.Interval(0.0, 1.0), lambda u, x: partial(u, 0, 2)(x),
                       bcs=[pinn.Neumann(0.0)])
    with warns_once("solve", "hard_constraints"), \
            pytest.raises(ValueError, match=r"solve\(hard_constraints=True\): the problem has no "
                                            r"Dirichlet condition.*leave hard_constraints=False"):
        pinn.solve(problem, verbose=0, hard_constraints=True)


@pytest.mark.skipif(X64_BEFORE, reason="x64 is on for the whole session")
def test_float64_with_x64_off_is_refused_with_the_line_that_enables_it():
    with warns_once("solve", "float64"), pytest.raises(ValueError, match="x64 mode"):
        pinn.solve(poisson1d(), tiny_net(), float64=True, verbose=0)
    assert jax.config.jax_enable_x64 is False


def test_an_older_keyword_given_as_none_is_not_given(no_training, recwarn):
    with pytest.raises(_Trained):
        pinn.solve(poisson1d(), stages=[pinn.Adam(7)], optimizer=None, n_interior=None,
                   float64=None, log_every=7, verbose=0)
    assert no_training[0]["total_steps"] == 7
    assert not [w for w in recwarn if OLDER in str(w.message)]


def test_every_older_keyword_has_a_new_spelling_that_names_a_part():
    assert set(NEW_SPELLING) == {
        "optimizer", "steps", "learning_rate", "n_interior", "n_boundary", "sampling_method",
        "resample_every", "adaptive", "weights", "gradient_weighting", "hard_constraints",
        "float64", "fourier_features"}
    parts = ("stages=", "pinn.Adam(", "collocation=", "weighting=", "hard=True", "dtype=",
             "model=")
    for name, spelling in NEW_SPELLING.items():
        assert any(part in spelling for part in parts), (name, spelling)
