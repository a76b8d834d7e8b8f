"""The Gauss-Newton solvers "kernel" and "cg" against "dense" and against a NumPy oracle, the
memory refusal, the option checks, and the matrix-free solver on 8 simulated devices."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from x64 import enable_x64

import jaxnn
import pinn
from jaxnn.training import train_loop
from pinn.solver import _gn_krylov, _gn_memory
from pinn.solver._gauss_newton import check_dense_size, gauss_newton


@pytest.fixture(autouse=True)
def float64():
    with enable_x64(True):
        yield


# ---------------------------------------------------------------------------------------------
# A small nonlinear least-squares problem with fewer residuals than parameters (N = 24,
# P = 97): a tanh network fitted to values and slopes of sin(3x) at 12 points.

def network(params, x):
    hidden = jnp.tanh(params["w1"] * x + params["b1"])
    hidden = jnp.tanh(params["w2"] @ hidden + params["b2"])
    return params["w3"] @ hidden + params["b3"]


def residual_fn(params, batch):
    values = jax.vmap(lambda x: network(params, x))(batch["x"]) - jnp.sin(3 * batch["x"])
    slopes = jax.vmap(jax.grad(lambda x: network(params, x)))(batch["x"]) - 3 * jnp.cos(
        3 * batch["x"])
    return jnp.concatenate([values, 0.3 * slopes])


def start_params(width=8, seed=0):
    rng = np.random.default_rng(seed)
    return {"w1": rng.normal(size=width), "b1": rng.normal(size=width) * 0.1,
            "w2": rng.normal(size=(width, width)) / np.sqrt(width),
            "b2": rng.normal(size=width) * 0.1, "w3": rng.normal(size=width) / np.sqrt(width),
            "b3": np.zeros(())}


BATCH = {"x": np.linspace(-1.0, 1.0, 12)}


def run(optimizer, steps, params=None):
    def loss_fn(params, batch, key):
        r = residual_fn(params, batch)
        return jnp.sum(r * r), {}

    params = jax.tree_util.tree_map(jnp.asarray, params or start_params())
    return train_loop(loss_fn, params, BATCH, optimizer=optimizer, epochs=1, batch_size=None,
                      steps_per_epoch=steps)


def numpy_step(params, damping, scaling):
    """The plain Levenberg-Marquardt step -(JᵀJ + λD)⁻¹ Jᵀ r, by NumPy, J by finite differences
    of the residual (central, h = 1e-6: J to ~1e-9, the step to ~1e-8 relative), with the
    first λ in λ, 10λ, 100λ, ... whose step decreases the loss."""
    flat, unravel = ravel_pytree(jax.tree_util.tree_map(jnp.asarray, params))
    flat = np.asarray(flat)

    def r(theta):
        return np.asarray(residual_fn(unravel(jnp.asarray(theta)), BATCH))

    h = 1e-6
    jac = np.stack([(r(flat + h * e) - r(flat - h * e)) / (2 * h) for e in np.eye(flat.size)],
                   axis=1)
    gramian = jac.T @ jac
    diagonal = np.diag(gramian)
    scale = {"marquardt": np.maximum(diagonal, 1e-6 * diagonal.mean()),
             "levenberg": np.full_like(diagonal, diagonal.mean()),
             "identity": np.ones_like(diagonal)}[scaling]
    loss = np.sum(r(flat) ** 2)
    for _ in range(8):  # as the optimizer: λ grows tenfold until the step decreases the loss
        step = -np.linalg.solve(gramian + damping * np.diag(scale), jac.T @ r(flat))
        if np.sum(r(flat + step) ** 2) < loss:
            return step
        damping *= 10
    raise AssertionError("no decrease")


PLAIN = {"momentum": 0.0, "geodesic": False, "line_search": 1, "damping": 1e-2}
CONVERGED_CG = {"rank": 20, "cg_iterations": 400, "cg_tolerance": 1e-14}


@pytest.mark.parametrize("solver, scaling", [
    ("dense", "marquardt"), ("dense", "identity"), ("kernel", "marquardt"),
    ("kernel", "levenberg"), ("kernel", "identity"), ("cg", "identity")])
def test_one_plain_step_is_the_levenberg_marquardt_step_of_numpy(solver, scaling):
    options = {**PLAIN, **(CONVERGED_CG if solver == "cg" else {})}
    result = run(gauss_newton(residual_fn, solver=solver, scaling=scaling, **options), 1)
    step = ravel_pytree(result.params)[0] - ravel_pytree(
        jax.tree_util.tree_map(jnp.asarray, start_params()))[0]
    expected = numpy_step(start_params(), PLAIN["damping"], scaling)
    np.testing.assert_allclose(step, expected, rtol=0, atol=1e-7 * np.abs(expected).max())


@pytest.mark.parametrize("solver, scaling", [
    ("kernel", None), ("kernel", "levenberg"), ("cg", "identity")])
def test_each_solver_follows_the_dense_iterates(solver, scaling):
    # momentum, geodesic acceleration and the line search on: 4 full steps ("cg" sketches at
    # the first and preconditions steps 2-4 with that sketch: sketch_every=5)
    options = {"scaling": scaling, **(CONVERGED_CG if solver == "cg" else {})}
    got = run(gauss_newton(residual_fn, solver=solver, **options), 4)
    dense = run(gauss_newton(residual_fn, solver="dense", scaling=scaling), 4)

    def loss(params):
        return float(jnp.sum(residual_fn(jax.tree_util.tree_map(jnp.asarray, params), BATCH) ** 2))

    assert loss(dense.params) < 0.5 * loss(start_params())  # the steps did move
    expected = ravel_pytree(dense.params)[0]
    np.testing.assert_allclose(ravel_pytree(got.params)[0], expected, rtol=0,
                               atol=1e-10 * float(jnp.abs(expected).max()))


def test_the_nystrom_preconditioner_is_exact_at_full_rank_and_its_trace_unbiased():
    rng = np.random.default_rng(1)
    factor = rng.normal(size=(30, 12)) * np.logspace(0, -4, 12)
    matrix = jnp.asarray(factor @ factor.T)  # PSD, rank 12, P = 30
    full = _gn_krylov.nystrom(lambda v: matrix @ v, 30, 12, jnp.float64, jax.random.PRNGKey(3))
    shift = 1e-3
    applied = jax.vmap(lambda v: _gn_krylov.precondition(full, shift, v), 1, 1)(
        matrix + shift * jnp.eye(30))
    # rank(A) <= k: the preconditioned matrix is (λ̂_k + μ) I on range(A), I elsewhere
    eigenvalues = np.linalg.eigvals(np.asarray(applied)).real
    np.testing.assert_allclose(np.sort(eigenvalues)[-12:], full.eigenvalues[-1] + shift,
                               rtol=1e-6)
    traces = [float(_gn_krylov.nystrom(lambda v: matrix @ v, 30, 4, jnp.float64,
                                       jax.random.PRNGKey(seed)).trace) for seed in range(400)]
    # (P/k) tr(ΩᵀAΩ) averaged over 400 sketches: within 4 standard errors of tr(A)
    assert abs(np.mean(traces) - np.trace(matrix)) < 4 * np.std(traces) / np.sqrt(400)


def test_the_nystrom_sketch_in_batches_equals_the_sketch_at_once():
    # the matrix-free solver runs the k products in batches at large N (SKETCH_ROWS), to keep
    # its memory O(N + P): one at a time, and in batches that do not divide k, the same sketch
    rng = np.random.default_rng(2)
    factor = rng.normal(size=(30, 12))
    matrix = jnp.asarray(factor @ factor.T)
    key = jax.random.PRNGKey(5)
    at_once = _gn_krylov.nystrom(lambda v: matrix @ v, 30, 12, jnp.float64, key)
    for batch in (1, 5):
        batched = _gn_krylov.nystrom(lambda v: matrix @ v, 30, 12, jnp.float64, key, batch)
        np.testing.assert_allclose(batched.eigenvalues, at_once.eigenvalues, rtol=1e-10)
        np.testing.assert_allclose(batched.trace, at_once.trace, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Memory

def test_a_dense_gramian_that_does_not_fit_is_refused_with_its_size_and_the_alternatives():
    # 8 bytes x (1000 x 5000 Jacobian + 2 x 5000² for the Gramian and its LU) = 0.44 GB
    with pytest.raises(ValueError, match=r"solver='dense'.*5000 x 5000 Gramian.*0\.44 GB.*"
                                         r"0\.4 GB.*solver='cg'.*solver='kernel' \(0\.096 GB"):
        _gn_memory.check_memory("dense", 1000, 5000, available=int(0.4e9))
    with pytest.raises(ValueError, match=r"solver='kernel'.*100000 x 100000 kernel.*"
                                         r"solver='cg'"):
        _gn_memory.check_memory("kernel", 100_000, 20_000, available=int(16e9))
    _gn_memory.check_memory("dense", 1000, 5000, available=int(1e9))  # fits: no error
    # with the machine's own memory: 10^6 parameters need 16 TB for the Gramian and its LU
    with pytest.raises(ValueError, match=r"1000000 x 1000000 Gramian.*need 1.6e\+04 GB.*"
                                         r"\(1000000 parameters\)"):
        check_dense_size(1_000_000, limit=10**7)


def test_byte_estimates_and_the_automatic_choice():
    assert _gn_memory.solver_bytes("dense", 100, 40) == 8 * (100 * 40 + 2 * 40 * 40)
    assert _gn_memory.solver_bytes("kernel", 100, 40) == 8 * (2 * 100 * 40 + 2 * 100 * 100)
    choose = _gn_memory.choose_solver
    assert choose(3000, 1000, available=int(16e9)) == "dense"
    assert choose(2000, 10_000, available=int(16e9)) == "kernel"
    assert choose(2000, 10_000, available=int(0.3e9)) == "cg"  # kernel: 0.35 GB > half
    assert choose(100_000, 100_000, available=int(1e12)) == "cg"  # 10^5 x 10^5: too large


def test_solve_refuses_a_kernel_that_does_not_fit_before_training(monkeypatch):
    monkeypatch.setattr(_gn_memory, "available_bytes", lambda: 10**4)
    problem = pinn.problems.get("poisson1d").build()
    with pytest.raises(ValueError, match=r"GaussNewton\(solver='kernel'\).*GB.*solver='cg'"):
        pinn.solve(problem, jaxnn.MLP([16, 1], activation="tanh"), dtype="float64",
                   stages=[pinn.GaussNewton(2, solver="kernel")],
                   collocation=pinn.Collocation(interior=40, boundary=2), verbose=0)


def test_stage_check_counts_the_residuals_when_it_is_given_them(monkeypatch):
    monkeypatch.setattr(_gn_memory, "available_bytes", lambda: int(1e9))
    pinn.GaussNewton(5, solver="kernel").check(5000)  # N unknown: nothing to judge yet
    with pytest.raises(ValueError, match=r"40000 x 5000 Jacobian.*28.8 GB, more than the 1 GB"):
        pinn.GaussNewton(5, solver="kernel").check(5000, 40_000)
    pinn.GaussNewton(5, solver="cg").check(10**6, 10**6)  # matrix-free: always accepted


# ---------------------------------------------------------------------------------------------
# Options

@pytest.mark.parametrize("options, message", [
    ({"rank": 0}, r"GaussNewton\(rank=0\): expected an integer >= 1, the rank of the Nyström"),
    ({"rank": 2.5}, r"GaussNewton\(rank=2.5\)"),
    ({"cg_iterations": 0}, r"GaussNewton\(cg_iterations=0\): expected an integer >= 1"),
    ({"cg_tolerance": -1e-8}, r"GaussNewton\(cg_tolerance=-1e-08\): expected a finite number "
                              r">= 0"),
    ({"cg_tolerance": float("nan")}, r"cg_tolerance=nan"),
    ({"damping": 0.0}, r"GaussNewton\(damping=0.0\): expected a positive finite number"),
    ({"momentum": 1.0}, r"GaussNewton\(momentum=1.0\): expected a number in \[0, 1\)"),
    ({"line_search": 0}, r"GaussNewton\(line_search=0\)"),
    ({"max_tries": True}, r"GaussNewton\(max_tries=True\)"),
    ({"geodesic": 1}, r"GaussNewton\(geodesic=1\): expected True or False"),
    ({"solver": "lsqr"}, r"GaussNewton\(solver='lsqr'\): expected 'auto'.*'kernel'.*'cg'"),
    ({"scaling": "diag"}, r"GaussNewton\(scaling='diag'\): expected one of"),
    ({"solver": "cg", "scaling": "marquardt"}, r"solver='cg', scaling='marquardt'.*Leave "
                                               r"scaling unset"),
])
def test_stage_options_out_of_range_are_refused_at_construction(options, message):
    with pytest.raises(ValueError, match=message):
        pinn.GaussNewton(10, **options)


def test_an_unknown_stage_option_is_named():
    with pytest.raises(TypeError, match=r"GaussNewton\(\): unknown option\(s\) \['rnak'\]"):
        pinn.GaussNewton(10, rnak=4)
    with pytest.raises(ValueError, match=r"gauss_newton\(cg_iterations=-3\)"):
        gauss_newton(residual_fn, cg_iterations=-3)


def test_stage_names_follow_the_solver():
    assert [pinn.GaussNewton(1, solver=s).name for s in ("auto", "dense", "kernel", "cg")] == [
        "gauss_newton", "gauss_newton", "gauss_newton_kernel", "gauss_newton_cg"]


# ---------------------------------------------------------------------------------------------
# 8 devices

EIGHT_DEVICES = textwrap.dedent(
    r"""
    import json
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.flatten_util import ravel_pytree
    import jaxnn, pinn
    from jaxnn import parallel
    from pinn.solver import _gauss_newton as optimizers

    shardings = []
    matrix_free_model = optimizers.matrix_free_model

    def watched(residual_at, flat, *args):  # how the residual rows lie on the devices
        model, sketch = matrix_free_model(residual_at, flat, *args)
        jax.debug.inspect_array_sharding(
            model.residual, callback=lambda s: shardings.append(len(s.device_set)))
        return model, sketch

    optimizers.matrix_free_model = watched
    exact = lambda x: jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])
    problem = pinn.Poisson(pinn.Rectangle((0, 0), (1, 1)),
                           source=lambda x: 2 * jnp.pi**2 * exact(x),
                           bcs=[pinn.Dirichlet(0.0, hard=True)], exact=exact)

    def solve():
        return pinn.solve(problem, jaxnn.MLP([8, 8, 1], activation="tanh"), dtype="float64",
                          stages=[pinn.GaussNewton(3, solver="cg", rank=16, cg_iterations=150,
                                                   cg_tolerance=0.0)],
                          collocation=pinn.Collocation(interior=64), log_every=1, verbose=0)

    with parallel.use(1):
        one = solve()
    one_devices = list(shardings)
    eight = solve()
    flat = lambda s: np.asarray(ravel_pytree(s.params)[0]).tolist()
    print("REPORT " + json.dumps({
        "devices": jax.device_count(), "shardings_1": one_devices,
        "shardings_8": shardings[len(one_devices):], "params_1": flat(one),
        "params_8": flat(eight), "loss_1": one.history["loss"], "loss_8": eight.history["loss"]}))
    """
)


def test_matrix_free_steps_on_8_devices_match_1_device(tmp_path):
    script = tmp_path / "eight.py"
    script.write_text(EIGHT_DEVICES)
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("JAX_", "XLA_FLAGS"))}
    flags = os.environ.get("XLA_FLAGS", "")
    environment.update(JAX_PLATFORMS="cpu", JAX_ENABLE_X64="1",
                       XLA_FLAGS=f"{flags} --xla_force_host_platform_device_count=8".strip())
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                               timeout=600, env=environment, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    report = json.loads(next(line for line in output.splitlines()
                             if line.startswith("REPORT "))[len("REPORT "):])
    assert report["devices"] == 8
    assert set(report["shardings_1"]) == {1} and set(report["shardings_8"]) == {8}
    one, eight = np.array(report["params_1"]), np.array(report["params_8"])
    assert report["loss_1"][-1] < 0.5 * report["loss_1"][0]  # the steps did move
    # The 8 devices sum the products' per-point terms in another order: each product differs
    # in the last bits (1e-16 relative). Conjugate gradients run 150 iterations (P = 105: past
    # convergence, to the attainable accuracy, not to a tolerance that two runs may cross at
    # different iterations), which turns that into about cond·1e-16 per solve; three steps
    # keep the parameters within 1e-10 of each other.
    np.testing.assert_allclose(eight, one, rtol=0, atol=1e-10 * np.abs(one).max())


# ---------------------------------------------------------------------------------------------
# The bar: 10^4 parameters, Poisson 2-D to 1e-7 (benchmarks/gauss_newton_scaling.py --bar)

@pytest.mark.slow
def test_a_network_of_ten_thousand_parameters_solves_poisson_2d_to_1e_7():
    script = os.path.join(os.path.dirname(__file__), "..", "benchmarks",
                          "gauss_newton_scaling.py")
    environment = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
    completed = subprocess.run([sys.executable, script, "--bar"], capture_output=True,
                               text=True, timeout=3600, env=environment, check=False)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report.get("skipped") is None, report
    assert report["P"] >= 10_000
    assert report["relative_l2"] <= 1e-7  # against the exact sin πx sin πy on a 100 x 100 grid
    assert report["peak_rss_mb"] < 2000  # the whole process, Python and JAX included
