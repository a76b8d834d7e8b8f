"""Time marching (`pinn.march`): an evolution problem solved window after window in time.

Each solve is compared with an exact solution: the harmonic oscillator (a system carried by a
hard initial value, and a scalar second-order ODE carried by `pinn.Derivative`) over two
periods, the heat equation with a hard and with a soft initial condition. The carried initial
values are checked against the previous window directly; bad input against its messages.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from x64 import enable_x64

import jaxnn
import pinn
from jaxnn.training import _program as loop
from pinn.solver import _marching as marching
from pinn.solver import _sampling as sampling
from pinn.operators import partial

PERIOD = 2 * np.pi
GN = {"dtype": "float64", "verbose": 0, "log_every": 10}


def oscillator_system(periods: int = 2) -> pinn.PDE:
    """x' = y, y' = -x from (1, 0): x = cos t, y = -sin t, over `periods` periods."""
    def residual(u, t):
        return partial(u["x"], 0)(t) - u["y"](t), partial(u["y"], 0)(t) + u["x"](t)

    bcs = [pinn.Dirichlet(1.0, on="left", field="x", hard=True),
           pinn.Dirichlet(0.0, on="left", field="y", hard=True)]
    return pinn.PDE(pinn.Interval(0.0, periods * PERIOD), residual, bcs=bcs, fields=("x", "y"),
                    exact=lambda t: jnp.stack([jnp.cos(t[0]), -jnp.sin(t[0])]))


@pytest.mark.slow  # the docs build marches the oscillator on every CI run
def test_march_solves_an_ode_system_in_two_windows():
    with enable_x64(True):
        solution = pinn.march(oscillator_system(periods=1), jaxnn.MLP([16, 2], "tanh"),
                              windows=2, stages=[pinn.GaussNewton(30)],
                              collocation=pinn.Collocation(40, 1, method="grid"), **GN)
        t = np.linspace(0, PERIOD, 201)[:, None]
        expected = np.column_stack([np.cos(t[:, 0]), -np.sin(t[:, 0])])
        assert np.max(np.abs(solution(t) - expected)) < 1e-4
        first, second = solution.windows  # the second starts at the first one's end values
        np.testing.assert_allclose(second([[np.pi]]), first([[np.pi]]), atol=1e-12)


@pytest.mark.slow
def test_march_carries_a_system_across_windows_to_the_exact_orbit():
    with enable_x64(True):
        solution = pinn.march(oscillator_system(), jaxnn.MLP([16, 16, 2], activation="tanh"),
                              windows=4, stages=[pinn.GaussNewton(40)],
                              collocation=pinn.Collocation(60, 1, method="grid"), **GN)
        t = np.linspace(0, 2 * PERIOD, 401)[:, None]
        expected = np.column_stack([np.cos(t[:, 0]), -np.sin(t[:, 0])])
        assert np.max(np.abs(solution(t) - expected)) < 1e-5
        assert solution.relative_l2() < 1e-5
        np.testing.assert_allclose(solution["y"](t), solution(t)[:, 1])
        # window k starts where window k - 1 ended (to the carried number)
        for before, after, edge in zip(solution.windows, solution.windows[1:],
                                       solution.edges[1:-1], strict=False):
            np.testing.assert_allclose(after([[edge]]), before([[edge]]), atol=1e-12)
        assert len(solution.windows) == 4 and np.allclose(solution.edges,
                                                           np.linspace(0, 4 * np.pi, 5))
        assert set(solution.history["window"]) == {0, 1, 2, 3}


@pytest.mark.slow
def test_march_carries_a_derivative_condition_of_a_second_order_ode():
    """u'' = -u, u(0) = 1 (hard), u'(0) = 0 (`Derivative`): u = cos t."""
    with enable_x64(True):
        problem = pinn.PDE(pinn.Interval(0.0, 2 * PERIOD),
                           lambda u, t: partial(u, 0, 2)(t) + u(t),
                           bcs=[pinn.Dirichlet(1.0, on="left", hard=True),
                                pinn.Derivative(1, 0.0, on="left")],
                           exact=lambda t: jnp.cos(t[0]))
        solution = pinn.march(problem, jaxnn.MLP([16, 16, 1], activation="tanh"),
                              windows=[0.0, 4.0, 8.0, 2 * PERIOD],
                              stages=[pinn.GaussNewton(60)],
                              collocation=pinn.Collocation(60, 1, method="grid"), **GN)
        assert solution.relative_l2() < 1e-5


def heat(soft: bool) -> pinn.PDE:
    """u_t = u_xx / π² on [0, 1] x [0, 1], u = 0 at the ends, u(x, 0) = sin πx: u =
    exp(-t) sin πx; the initial value hard (one ansatz with the ends) or soft."""
    domain = pinn.SpaceTime(pinn.Interval(0.0, 1.0), 0.0, 1.0)

    def sine(x):
        return jnp.sin(jnp.pi * x[0])

    bcs = [pinn.Dirichlet(0.0, on=["left", "right"]), pinn.Initial(sine)] if soft else \
        [pinn.Dirichlet(sine, on=["left", "right", "initial"], hard=True)]
    return pinn.PDE(domain, lambda u, x: partial(u, 1)(x) - partial(u, 0, 2)(x) / np.pi**2,
                    bcs=bcs, exact=lambda x: jnp.exp(-x[1]) * sine(x))


@pytest.mark.slow
@pytest.mark.parametrize("soft", [False, True], ids=["hard initial", "soft initial"])
def test_march_solves_the_heat_equation_in_two_windows(soft):
    with enable_x64(True):
        solution = pinn.march(heat(soft), jaxnn.MLP([16, 16, 1], activation="tanh"),
                              windows=2, stages=[pinn.GaussNewton(40)],
                              collocation=pinn.Collocation(200, 20, method="grid"), **GN)
        assert solution.relative_l2() < (3e-4 if soft else 1e-5)  # soft: each window ~1e-4
        # the second window starts from the first one's values at t = 0.5
        x = np.linspace(0, 1, 11)
        edge = np.column_stack([x, np.full_like(x, 0.5)])
        first, second = solution.windows
        # soft: to the windows' own accuracy, worst at the corners (4e-4 at x = 1)
        np.testing.assert_allclose(second(edge), first(edge), atol=1e-12 if not soft else 1e-3)


def test_a_marched_error_on_points_after_the_last_window_is_refused():
    solution = pinn.march(heat(soft=False), jaxnn.MLP([4, 1], activation="tanh"), windows=2,
                          stages=[pinn.Adam(2)], collocation=pinn.Collocation(20, 1), verbose=0)
    late = np.array([[0.5, 0.25], [0.5, 1.5]])  # t = 1.5 is after the domain's t = 1
    assert solution(late).shape == (2,)
    for measure in ("relative_l2", "residual_rms"):
        with pytest.raises(ValueError, match=rf"{measure}\(points=...\): 1 of 2 points lie "
                                             r"outside.*x = \[0.5 1.5\]"):
            getattr(solution, measure)(points=late)


def test_march_trains_every_window_with_one_compiled_program(monkeypatch):
    """Hard initial values travel inside the network's ansatz, the window is data: the
    training chunk and the refinement's residual are compiled once for all windows, and the
    windows are those of window problems solved one by one (`marching._carried`)."""
    options = {"windows": 3, "warm_start": True, "stages": [pinn.GaussNewton(10)],
               "collocation": pinn.Collocation(40, 1, method="grid", refinement={
                   "every": 2, "add": 10, "candidates": 200, "rounds": 1}), **GN}
    model = jaxnn.MLP([8, 8, 1], activation="tanh")
    with enable_x64(True):
        chunks, residuals = loop._CACHE.misses, sampling._RESIDUAL_PROGRAMS.misses
        once = pinn.march(heat(soft=False), model, **options)
        assert loop._CACHE.misses == chunks + 1
        assert sampling._RESIDUAL_PROGRAMS.misses == residuals + 1
        monkeypatch.setattr(marching, "_in_the_network", lambda problem, initial: False)
        one_by_one = pinn.march(heat(soft=False), model, **options)
        points = np.random.default_rng(0).uniform(0, 1, (200, 2))
        np.testing.assert_allclose(once(points), one_by_one(points), rtol=0, atol=1e-10)
        late, late_alone = once.windows[2], one_by_one.windows[2]  # its network, as applied
        np.testing.assert_allclose(late.model.apply(late.params, points),
                                   late_alone.model.apply(late_alone.params, points), atol=1e-10)
        assert once.relative_l2() < 1e-3  # against u = exp(-t) sin(πx)


def test_a_marched_residual_may_differentiate_in_reverse_mode():
    """The earlier windows carried inside the ansatz (their networks summed under `vmap`)
    take `jax.grad` in x as they take forward-mode derivatives: the same windows, to
    rounding."""
    def by_grad(u, x):
        gradient = jax.grad(u)
        return gradient(x)[1] - jax.grad(lambda x: gradient(x)[0])(x)[0] / np.pi**2

    options = {"windows": 3, "warm_start": True, "stages": [pinn.Adam(3)],
               "collocation": pinn.Collocation(30, 1, method="grid"), **GN}
    model = jaxnn.MLP([8, 1], activation="tanh")
    problem = heat(soft=False)
    with enable_x64(True):
        forward = pinn.march(problem, model, **options)
        reverse = pinn.march(pinn.PDE(problem.domain, by_grad, bcs=problem.bcs), model,
                             **options)
        points = np.random.default_rng(1).uniform(0, 1, (50, 2))
        np.testing.assert_allclose(reverse(points), forward(points), rtol=0, atol=1e-9)


@pytest.mark.slow
def test_march_resumes_from_its_checkpoints_to_the_same_solution(tmp_path):
    with enable_x64(True):
        options = {"stages": [pinn.GaussNewton(5)], "windows": 2,
                   "collocation": pinn.Collocation(30, 1, method="grid"), **GN}
        model = jaxnn.MLP([8, 2], activation="tanh")
        first = pinn.march(oscillator_system(), model, checkpoint_dir=tmp_path, **options)
        again = pinn.march(oscillator_system(), model, checkpoint_dir=tmp_path, resume=True,
                           **options)
        t = np.linspace(0, 2 * PERIOD, 50)[:, None]
        np.testing.assert_array_equal(again(t), first(t))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["window_000", "window_001"]


def test_march_refuses_what_it_cannot_march():
    scalar = pinn.PDE(pinn.Rectangle((0, 0), (1, 1)), lambda u, x: partial(u, 0)(x))
    with pytest.raises(TypeError, match=r"march\(problem=...\): expected a problem on a "
                                        r"pinn.SpaceTime domain .*got Rectangle"):
        pinn.march(scalar)
    problem = oscillator_system()
    with pytest.raises(ValueError, match=r"march\(windows=0\): expected at least 1 window"):
        pinn.march(problem, windows=0)
    with pytest.raises(ValueError, match=r"increasing window edges from t0 = 0.0 to t1 = 12"):
        pinn.march(problem, windows=[0.0, 3.0, 2.0])
    ode = pinn.Interval(0.0, 1.0)
    two_point = pinn.PDE(ode, lambda u, t: partial(u, 0, 2)(t),
                         bcs=[pinn.Dirichlet(0.0, on="left"), pinn.Dirichlet(1.0, on="right")])
    with pytest.raises(ValueError, match="on the part 'right' fixes the final time"):
        pinn.march(two_point)
    inverse = pinn.PDE(ode, lambda u, t, k: partial(u, 0)(t) - k["a"] * u(t),
                       unknowns=[pinn.Unknown("a")],
                       bcs=[pinn.Dirichlet(1.0, on="left"),
                            pinn.Observations([[0.5]], [1.5])])
    with pytest.raises(ValueError, match="inverse problem .* solve it with pinn.solve"):
        pinn.march(inverse)
    robin = pinn.PDE(ode, lambda u, t: partial(u, 0)(t), bcs=[pinn.Robin(1.0, 1.0, on="left")])
    with pytest.raises(ValueError, match="Robin on the initial part 'left' cannot be carried"):
        pinn.march(robin)
    with pytest.raises(ValueError, match="soft Dirichlet .* mixes the initial part"):
        pinn.march(pinn.PDE(heat(True).domain, heat(True).residual,
                            bcs=[pinn.Dirichlet(0.0)]))
    blended = pinn.PDE(heat(True).domain, heat(True).residual, bcs=[
        pinn.Dirichlet(0.0, on="left", hard=True), pinn.Dirichlet(0.0, on="right", hard=True),
        pinn.Initial(lambda x: jnp.sin(np.pi * x[0]))])
    with pytest.raises(ValueError, match=r"several Dirichlet\(..., hard=True\) conditions; their "
                                         r"blended lifting .* one hard condition"):
        pinn.march(blended)
