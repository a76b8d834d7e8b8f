"""`pinn.quasi_newton` and the `pinn.BFGS` stage: each update against its formula written out
in NumPy, convergence against known minima, a PINN solve against its exact solution, and bad
input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from interrupt import Killed, kill_after
from x64 import enable_x64

import jaxnn
import pinn
from pinn import problems
from pinn.solver import _legacy
from pinn.solver._quasi_newton import broyden_update


@pytest.fixture
def x64():
    with enable_x64(True):
        yield


def _step_on_a_descent_direction(seed: int, size: int = 6):
    """A positive definite H, a gradient g, the step s = -α H g and a change y with yᵀs > 0."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(size, size))
    inverse_hessian = a @ a.T + size * np.eye(size)
    grad = rng.normal(size=size)
    alpha = 0.7
    step = -alpha * inverse_hessian @ grad
    curvature = rng.normal(size=(size, size))
    grad_change = (curvature @ curvature.T + np.eye(size)) @ step  # y = A s, A > 0
    return inverse_hessian, step, grad_change, grad, alpha


def _bfgs_numpy(h, s, y):
    """The textbook inverse BFGS update (Nocedal & Wright, eq. 6.17)."""
    rho = 1.0 / (y @ s)
    left = np.eye(len(s)) - rho * np.outer(s, y)
    return left @ h @ left.T + rho * np.outer(s, s)


def _ssbroyden_numpy(h, s, y, b):
    """Urbán, Stefanou & Pons's SSBroyden2 written out with scalars and branches; b = sᵀBs/sᵀy
    from B = H⁻¹ itself."""
    rho = 1.0 / (y @ s)
    hy = h @ y
    yhy = y @ hy
    hk = yhy * rho
    ak = bk_hk = b * hk - 1.0
    assert bk_hk >= 0
    rho_minus = min(1.0, hk * (1.0 - np.sqrt(ak / (1.0 + ak))))
    theta_minus, theta_plus = (rho_minus - 1.0) / ak, 1.0 / rho_minus
    theta = max(theta_minus, min(theta_plus, (1.0 - b) / b))
    sigma = 1.0 + theta * ak
    root = abs(sigma) ** (1.0 / (1.0 - len(s)))
    scale = min(1.0, 1.0 / b)
    tau = min(scale * root, sigma) if theta <= 0 else scale * min(root, 1.0 / theta)
    phi = (1.0 - theta) / (1.0 + ak * theta)
    v = s * rho - hy / yhy
    return (h - np.outer(hy, hy) / yhy + phi * yhy * np.outer(v, v)) / tau \
        + rho * np.outer(s, s)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_update_matches_its_formula_written_in_numpy(seed, x64):
    h, s, y, g, alpha = _step_on_a_descent_direction(seed)
    b = s @ np.linalg.solve(h, s) / (s @ y)  # sᵀBs / sᵀy, from the matrix itself
    ours = {name: np.asarray(broyden_update(jnp.asarray(h), jnp.asarray(s), jnp.asarray(y),
                                            jnp.asarray(g), alpha, name))
            for name in ("bfgs", "ssbfgs", "ssbroyden")}
    np.testing.assert_allclose(ours["bfgs"], _bfgs_numpy(h, s, y), rtol=1e-10, atol=1e-12)
    # self-scaled BFGS is BFGS applied to H / τ, τ = min(1, 1/b)
    tau = min(1.0, 1.0 / b)
    np.testing.assert_allclose(ours["ssbfgs"], _bfgs_numpy(h / tau, s, y), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(ours["ssbroyden"], _ssbroyden_numpy(h, s, y, b), rtol=1e-9,
                               atol=1e-12)
    for name, new in ours.items():
        np.testing.assert_allclose(new @ y, s, rtol=1e-9, atol=1e-12, err_msg=name)  # secant
        np.testing.assert_allclose(new, new.T, rtol=1e-12, atol=1e-12, err_msg=name)
        assert np.linalg.eigvalsh(new).min() > 0, name


def test_an_update_without_positive_curvature_leaves_the_matrix_unchanged(x64):
    h, s, y, g, alpha = _step_on_a_descent_direction(3)
    for name in ("bfgs", "ssbfgs", "ssbroyden"):
        kept = broyden_update(jnp.asarray(h), jnp.asarray(s), jnp.asarray(-y), jnp.asarray(g),
                              alpha, name)
        np.testing.assert_array_equal(np.asarray(kept), h)


def _minimise(loss, start, update, steps):
    solver = pinn.quasi_newton(update)
    value_and_grad = jax.value_and_grad(loss)

    @jax.jit
    def step(params, state):
        value, grad = value_and_grad(params)
        updates, state = solver.update(grad, state, params, value=value, grad=grad,
                                       value_fn=loss)
        return optax.apply_updates(params, updates), state

    params, state = start, solver.init(start)
    for _ in range(steps):
        params, state = step(params, state)
    return params


@pytest.mark.parametrize("update", ["bfgs", "ssbfgs", "ssbroyden"])
def test_a_quadratic_is_minimised_to_the_solution_of_its_linear_system(update, x64):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 12))
    matrix = a @ a.T + 0.1 * np.eye(12)  # condition number ~1e3
    rhs = rng.normal(size=12)

    def loss(x):
        return 0.5 * x @ jnp.asarray(matrix) @ x - jnp.asarray(rhs) @ x

    found = _minimise(loss, jnp.zeros(12), update, steps=60)
    np.testing.assert_allclose(np.asarray(found), np.linalg.solve(matrix, rhs), rtol=1e-8,
                               atol=1e-10)


@pytest.mark.parametrize("update", ["bfgs", "ssbfgs", "ssbroyden"])
def test_rosenbrock_is_minimised_at_its_known_minimum(update, x64):
    def rosenbrock(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    found = _minimise(rosenbrock, jnp.array([-1.2, 1.0, -1.2, 1.0]), update, steps=150)
    np.testing.assert_allclose(np.asarray(found), np.ones(4), atol=1e-8)


def test_bfgs_stage_after_adam_solves_poisson_to_float64_accuracy(x64):
    problem = problems.get("poisson1d").build()  # -u'' = π² sin πx, u(±1) = 0
    common = {"collocation": pinn.Collocation(60, method="grid"), "dtype": "float64",
              "log_every": 100, "seed": 0, "verbose": 0}
    adam = pinn.Adam(300, learning_rate=1e-2)
    solution = pinn.solve(problem, jaxnn.MLP([16, 1], activation="tanh"),
                          stages=[adam, pinn.BFGS(400)], **common)
    x = np.linspace(-1.0, 1.0, 201)[:, None]
    exact = np.sin(np.pi * x[:, 0])
    error = np.linalg.norm(solution(x) - exact) / np.linalg.norm(exact)
    assert error < 1e-5
    assert solution.history["stage"][-1] == "bfgs"
    # the same steps of optax's L-BFGS stop further away
    lbfgs = pinn.solve(problem, jaxnn.MLP([16, 1], activation="tanh"),
                       stages=[adam, pinn.LBFGS(400)], **common)
    assert error < np.linalg.norm(lbfgs(x) - exact) / np.linalg.norm(exact)


def test_the_older_keyword_form_names_the_bfgs_and_kernel_stages():
    stages = _legacy.stages_from_names("adam+bfgs+gauss_newton_kernel", (10, 20, 30))
    assert [type(stage) for stage in stages] == [pinn.Adam, pinn.BFGS, pinn.GaussNewton]
    assert stages[1].steps == 20 and stages[1].update == "ssbroyden"
    assert stages[2].solver == "kernel"


@pytest.mark.parametrize("make, error, message", [
    (lambda: pinn.BFGS(0), ValueError, r"BFGS\(steps=...\)"),
    (lambda: pinn.BFGS(10.5), TypeError, r"BFGS\(steps=...\)"),
    (lambda: pinn.BFGS(10, update="sr1"), ValueError,
     r"BFGS\(update='sr1'\): expected 'ssbroyden'"),
    (lambda: pinn.BFGS(10, max_linesearch_steps=0), ValueError,
     r"BFGS\(max_linesearch_steps=...\)"),
    (lambda: pinn.BFGS(10, early_stopping=3), TypeError, r"BFGS\(early_stopping=3\)"),
    (lambda: pinn.quasi_newton("dfp"), ValueError, r"quasi_newton\(update='dfp'\)"),
    (lambda: pinn.quasi_newton(max_linesearch_steps=-1), ValueError,
     r"quasi_newton\(max_linesearch_steps=...\)"),
])
def test_bad_quasi_newton_settings_are_refused_when_built(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_an_inverse_hessian_larger_than_memory_is_refused_before_training(monkeypatch):
    from pinn.solver import _stages

    monkeypatch.setattr(_stages, "available_bytes", lambda: 10**9)  # a 1 GB machine
    problem = problems.get("poisson1d").build()
    big = jaxnn.MLP([200, 200, 1], activation="tanh")  # 40,801 parameters: 40 GB of H
    trained = []
    with pytest.raises(ValueError, match=r"BFGS\(\): the 40801 x 40801 inverse Hessian .* "
                                         r"need 40 GB.*pinn.LBFGS"):
        pinn.solve(problem, big, stages=[pinn.BFGS(10)], verbose=0,
                   callbacks=[lambda epoch, logs: trained.append(epoch)])
    assert trained == []
    pinn.BFGS(10).check(num_params=5000)  # 0.6 GB: accepted


def test_a_killed_bfgs_stage_resumes_bit_for_bit(tmp_path, x64):
    """The inverse Hessian and the line search's state are part of the checkpoint."""
    def run(directory, resume=False, kill_at=None):
        return pinn.solve(problems.get("poisson1d").build(), jaxnn.MLP([6, 1], activation="tanh"),
                          stages=[pinn.Adam(20, learning_rate=1e-2), pinn.BFGS(40)],
                          collocation=pinn.Collocation(30, method="grid"), dtype="float64",
                          log_every=10, seed=1, verbose=0, checkpoint_dir=str(directory),
                          resume=resume, callbacks=[kill_after(kill_at)])

    whole = run(tmp_path / "whole")
    with pytest.raises(Killed):
        run(tmp_path / "killed", kill_at=4)  # two epochs into the BFGS stage
    resumed = run(tmp_path / "killed", resume=True)
    leaves = zip(jax.tree_util.tree_leaves(whole.params),
                 jax.tree_util.tree_leaves(resumed.params), strict=True)
    assert all(np.array_equal(a, b) for a, b in leaves)
    np.testing.assert_array_equal(whole.history["loss"], resumed.history["loss"])
