"""PDEs and boundary conditions: sign conventions, boundary residuals, hard Dirichlet, errors.

The residual functions are checked against fields whose derivatives are known in closed form
(evaluated with NumPy), so a flipped sign or a missing term shows up as a non-zero residual.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from x64 import enable_x64

import pinn
from pinn import operators

PI = np.pi


@pytest.fixture(autouse=True)
def float64():
    with enable_x64(True):
        yield


def random_points(domain, n=64, seed=0):
    return jnp.asarray(domain.sample_interior(n, seed=seed))


def residual_at(problem, u, points):
    return np.asarray(jax.jit(jax.vmap(lambda x: problem.residual(u, x)))(points))


def sine_bump(x):
    """u = sin πx sin πy, Δu = -2π² u."""
    return jnp.sin(PI * x[0]) * jnp.sin(PI * x[1])


def sine_bump_numpy(points):
    points = np.asarray(points)
    return np.sin(PI * points[:, 0]) * np.sin(PI * points[:, 1])


UNIT_SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Sign conventions


def test_poisson_is_minus_laplacian_equals_source():
    points = random_points(UNIT_SQUARE)
    right = pinn.Poisson(UNIT_SQUARE, source=lambda x: 2 * PI**2 * sine_bump(x))
    np.testing.assert_allclose(residual_at(right, sine_bump, points), 0.0, atol=1e-10)

    # DeepXDE-style Δu = f (the opposite sign) leaves -Δu - f = 4π² u.
    wrong = pinn.Poisson(UNIT_SQUARE, source=lambda x: -2 * PI**2 * sine_bump(x))
    np.testing.assert_allclose(residual_at(wrong, sine_bump, points),
                               4 * PI**2 * sine_bump_numpy(points), rtol=1e-10, atol=1e-10)


def test_poisson_constant_source_residual_is_minus_laplacian_minus_source():
    # u = x² + y²: Δu = 4, so -Δu - 1 = -5 everywhere.
    points = random_points(UNIT_SQUARE)
    problem = pinn.Poisson(UNIT_SQUARE, source=1.0)
    residual = residual_at(problem, lambda x: x[0] ** 2 + x[1] ** 2, points)
    np.testing.assert_allclose(residual, -5.0, rtol=1e-12)


def test_laplace_residual_is_the_laplacian():
    points = random_points(UNIT_SQUARE)
    problem = pinn.Laplace(UNIT_SQUARE)
    harmonic = residual_at(problem, lambda x: x[0] ** 2 - x[1] ** 2 + 3 * x[0] * x[1], points)
    np.testing.assert_allclose(harmonic, 0.0, atol=1e-10)
    # u = x² + y² is not harmonic: Δu = +4 (not -4).
    np.testing.assert_allclose(residual_at(problem, lambda x: x[0] ** 2 + x[1] ** 2, points),
                               4.0, rtol=1e-12)


def test_helmholtz_is_laplacian_plus_k_squared_u_equals_source():
    # u = sin 2x sin 3y: Δu = -13 u, so Δu + k²u = (k² - 13) u.
    k = 5.0

    def u(x):
        return jnp.sin(2 * x[0]) * jnp.sin(3 * x[1])

    points = random_points(UNIT_SQUARE)
    values = np.sin(2 * np.asarray(points)[:, 0]) * np.sin(3 * np.asarray(points)[:, 1])
    right = pinn.Helmholtz(UNIT_SQUARE, k=k, source=lambda x: (k**2 - 13) * u(x))
    np.testing.assert_allclose(residual_at(right, u, points), 0.0, atol=1e-10)

    # DeepXDE's -Δu - k²u = f is the same equation with f -> -f: here it is off by 2(k² - 13)u.
    deepxde = pinn.Helmholtz(UNIT_SQUARE, k=k, source=lambda x: -(k**2 - 13) * u(x))
    np.testing.assert_allclose(residual_at(deepxde, u, points), 2 * (k**2 - 13) * values,
                               rtol=1e-10, atol=1e-10)

    homogeneous = pinn.Helmholtz(UNIT_SQUARE, k=k)
    np.testing.assert_allclose(residual_at(homogeneous, u, points), (k**2 - 13) * values,
                               rtol=1e-10, atol=1e-10)


def test_general_pde_residual_is_what_the_user_wrote():
    # u_x + u_yy with u = x³ y²: 3x²y² + 2x³.
    problem = pinn.PDE(UNIT_SQUARE,
                       lambda u, x: operators.partial(u, 0)(x) + operators.partial(u, 1, 2)(x))
    points = random_points(UNIT_SQUARE)
    x, y = np.asarray(points).T
    residual = residual_at(problem, lambda p: p[0] ** 3 * p[1] ** 2, points)
    np.testing.assert_allclose(residual, 3 * x**2 * y**2 + 2 * x**3, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Boundary conditions


def boundary_residual(bc, u, sample):
    return np.asarray(jax.jit(jax.vmap(lambda x, n: bc.residual(u, x, n)))(
        jnp.asarray(sample.points), jnp.asarray(sample.normals)))


def polynomial(x):
    """u = x² + 3y, ∇u = (2x, 3)."""
    return x[0] ** 2 + 3 * x[1]


@pytest.mark.parametrize("side, normal_derivative", [
    ("left", lambda x, y: -2 * x), ("right", lambda x, y: 2 * x),
    ("bottom", lambda x, y: -3 + 0 * x), ("top", lambda x, y: 3 + 0 * x),
])
def test_neumann_residual_is_the_outward_normal_derivative_minus_the_value(side,
                                                                          normal_derivative):
    sample = UNIT_SQUARE.sample_boundary(16, seed=1, part=side)
    x, y = sample.points.T
    bc = pinn.Neumann(lambda p: p[1], on=side)
    np.testing.assert_allclose(boundary_residual(bc, polynomial, sample),
                               normal_derivative(x, y) - y, rtol=1e-12, atol=1e-12)


def test_neumann_on_a_circle_uses_the_radial_normal():
    # u = x² + y² on the circle of radius 2: ∂u/∂n = du/dr = 2r = 4.
    disk = pinn.Disk((0.0, 0.0), 2.0)
    sample = disk.sample_boundary(32, seed=0)
    bc = pinn.Neumann(0.0)
    residual = boundary_residual(bc, lambda x: x[0] ** 2 + x[1] ** 2, sample)
    np.testing.assert_allclose(residual, 4.0, rtol=1e-10)


def test_dirichlet_residual_is_the_value_minus_the_boundary_data():
    sample = UNIT_SQUARE.sample_boundary(32, seed=2)
    x, y = sample.points.T
    bc = pinn.Dirichlet(lambda p: jnp.cos(p[0]) * p[1])
    np.testing.assert_allclose(boundary_residual(bc, polynomial, sample),
                               x**2 + 3 * y - np.cos(x) * y, rtol=1e-12, atol=1e-12)
    constant = pinn.Dirichlet(2.5)
    np.testing.assert_allclose(boundary_residual(constant, polynomial, sample),
                               x**2 + 3 * y - 2.5, rtol=1e-12, atol=1e-12)


def test_robin_residual_combines_value_and_normal_derivative():
    sample = UNIT_SQUARE.sample_boundary(16, seed=3, part="right")  # x = 1, n = (1, 0)
    x, y = sample.points.T
    bc = pinn.Robin(2.0, -0.5, value=1.0, on="right")
    expected = 2.0 * (x**2 + 3 * y) - 0.5 * (2 * x) - 1.0
    np.testing.assert_allclose(boundary_residual(bc, polynomial, sample), expected, rtol=1e-12)


def test_interval_end_points_have_outward_normals():
    # u = x³ on [0, 2]: ∂u/∂n is -u'(0) = 0 on the left, +u'(2) = 12 on the right.
    interval = pinn.Interval(0.0, 2.0)
    for side, expected in (("left", 0.0), ("right", 12.0)):
        sample = interval.sample_boundary(1, part=side)
        bc = pinn.Neumann(0.0, on=side)
        np.testing.assert_allclose(boundary_residual(bc, lambda x: x[0] ** 3, sample), expected,
                                   atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Hard Dirichlet conditions


def test_with_hard_dirichlet_marks_the_only_dirichlet_condition_and_keeps_the_others():
    neumann = pinn.Neumann(1.0, on="right")
    problem = pinn.Poisson(UNIT_SQUARE, source=1.0,
                           bcs=[pinn.Dirichlet(0.5, on=["left", "top", "bottom"]), neumann])
    assert problem.hard_dirichlet is None
    hard = problem.with_hard_dirichlet()
    assert hard.hard_dirichlet is not None and hard.hard_dirichlet.on == ("left", "top", "bottom")
    assert hard.bcs[1] is neumann
    assert problem.hard_dirichlet is None  # the original problem is unchanged


def test_with_hard_dirichlet_refuses_a_problem_without_dirichlet_conditions():
    problem = pinn.Poisson(UNIT_SQUARE, source=1.0, bcs=[pinn.Neumann(0.0)])
    with pytest.raises(ValueError, match="no Dirichlet condition.*Add one"):
        problem.with_hard_dirichlet()


def test_two_hard_dirichlet_conditions_are_blended_into_one_lifting():
    # Sukumar & Srivastava's transfinite blend, checked against its definition with the
    # domain's own distances: g = (d_right·0 + d_left·1) / (d_left + d_right).
    problem = pinn.Laplace(UNIT_SQUARE, bcs=[pinn.Dirichlet(0.0, on="left", hard=True),
                                             pinn.Dirichlet(lambda x: 1.0 + x[1], on="right",
                                                            hard=True)])
    blend = problem.hard_dirichlet
    assert blend.hard and blend.on == ("left", "right")
    x = np.array([[0.0, 0.3], [1.0, 0.3], [0.25, 0.5], [0.7, 0.9]])
    d_left = np.asarray(UNIT_SQUARE.distance(x, parts="left"))
    d_right = np.asarray(UNIT_SQUARE.distance(x, parts="right"))
    g = np.array([float(blend.value(jnp.asarray(point))) for point in x])
    np.testing.assert_allclose(g, d_left * (1.0 + x[:, 1]) / (d_left + d_right), atol=1e-6)
    assert g[0] == 0.0 and abs(g[1] - 1.3) < 1e-6  # each condition's value on its own part
    # At a point shared by both parts' closures no product survives: the values' mean.
    corner = pinn.Laplace(pinn.Interval(0.0, 1.0), bcs=[
        pinn.Dirichlet(2.0, on="left", hard=True), pinn.Dirichlet(4.0, on="right", hard=True)])
    assert np.isfinite(float(corner.hard_dirichlet.value(jnp.array([0.5]))))


def test_with_hard_dirichlet_blends_the_dirichlet_conditions_and_keeps_the_others_soft():
    neumann = pinn.Neumann(0.0, on=["top", "bottom"])
    problem = pinn.Poisson(UNIT_SQUARE, source=1.0, bcs=[
        pinn.Dirichlet(0.0, on="left"), pinn.Dirichlet(1.0, on="right"), neumann])
    hard = problem.with_hard_dirichlet()
    assert hard.hard_dirichlet.on == ("left", "right") and hard.bcs[2] is neumann
    assert problem.hard_dirichlet is None


@pytest.mark.parametrize("bcs, message", [
    ([pinn.Dirichlet(0.0, on="left", hard=True),
      pinn.Dirichlet(1.0, on=["left", "right"], hard=True)],
     r"PDE\(bcs=...\): two Dirichlet\(..., hard=True\) conditions both hold on the part 'left'"
     r".*disjoint on=\[parts\]"),
    ([pinn.Dirichlet(0.0, hard=True), pinn.Dirichlet(1.0, on="top", hard=True)],
     r"both hold on the part 'top' \(hard conditions 1 and 2, on=None and on=\('top',\)\)"),
])
def test_hard_dirichlet_conditions_on_a_common_part_are_refused(bcs, message):
    with pytest.raises(ValueError, match=message):
        pinn.Laplace(UNIT_SQUARE, bcs=bcs)


@pytest.mark.parametrize("domain, conditions, error, message", [
    ("square", [pinn.Dirichlet(0.0)], TypeError, r"blend_dirichlet\(domain=...\): expected a "
     r"pinn domain.*got str 'square'"),
    (UNIT_SQUARE, [], TypeError, r"blend_dirichlet\(conditions=...\): expected a non-empty list "
     r"of pinn.Dirichlet conditions, got list \[\]"),
    (UNIT_SQUARE, pinn.Dirichlet(0.0), TypeError, r"blend_dirichlet\(conditions=...\).*got "
     r"Dirichlet"),
    (UNIT_SQUARE, [pinn.Neumann(0.0)], TypeError, r"blend_dirichlet\(conditions=...\)"),
    (UNIT_SQUARE, [pinn.Dirichlet(0.0, on="west")], ValueError, r"Dirichlet\(on='west'\).*"
     r"\['left', 'right', 'bottom', 'top'\]"),
    (UNIT_SQUARE, [pinn.Dirichlet(0.0), pinn.Dirichlet(1.0, on="left")], ValueError,
     r"blend_dirichlet\(conditions=...\): two Dirichlet.*on the part 'left'"),
])
def test_blend_dirichlet_refuses_bad_arguments_naming_them(domain, conditions, error, message):
    with pytest.raises(error, match=message):
        pinn.conditions.blend_dirichlet(domain, conditions)


def test_with_hard_dirichlet_refuses_dirichlet_conditions_on_a_common_part():
    problem = pinn.Laplace(UNIT_SQUARE, bcs=[pinn.Dirichlet(0.0), pinn.Dirichlet(1.0, on="top")])
    with pytest.raises(ValueError, match=r"Laplace.with_hard_dirichlet\(\): two Dirichlet"):
        problem.with_hard_dirichlet()


# ---------------------------------------------------------------------------------------------
# Bad input: clear errors in the constructors, before anything is traced


def test_source_with_one_value_per_coordinate_is_refused():
    with pytest.raises(ValueError, match=r"Poisson\(source=...\).*one value per point.*\(2,\)"):
        pinn.Poisson(UNIT_SQUARE, source=lambda x: x)
    with pytest.raises(ValueError, match=r"Helmholtz\(source=...\).*one value per point"):
        pinn.Helmholtz(UNIT_SQUARE, k=1.0, source=lambda x: jnp.outer(x, x))


def test_source_written_for_a_batch_of_points_is_refused():
    with pytest.raises(ValueError, match=r"Poisson\(source=...\).*ONE point"):
        pinn.Poisson(UNIT_SQUARE, source=lambda points: points[:, 0] * points[:, 1])


@pytest.mark.parametrize("source", ["one", None, float("nan"), float("inf")])
def test_source_that_is_neither_a_finite_number_nor_a_function_is_refused(source):
    # a wrong type is a TypeError, a number that is not finite a ValueError
    error = ValueError if isinstance(source, float) else TypeError
    with pytest.raises(error, match=r"Poisson\(source=...\): expected a finite number"):
        pinn.Poisson(UNIT_SQUARE, source=source)


@pytest.mark.parametrize("k", [float("nan"), float("inf"), -float("inf"), "4", None, 2j, True])
def test_helmholtz_refuses_a_wave_number_that_is_not_a_finite_real_number(k):
    with pytest.raises((TypeError, ValueError),
                       match=r"Helmholtz\(k=...\): expected a wave number.* got "):
        pinn.Helmholtz(UNIT_SQUARE, k=k)


def test_helmholtz_accepts_a_numpy_float32_wave_number():
    problem = pinn.Helmholtz(UNIT_SQUARE, k=np.float32(2.0))
    assert problem.k == 2.0


def test_condition_on_a_missing_boundary_part_lists_the_parts():
    with pytest.raises(ValueError, match=r"Dirichlet\(on='north'\): expected a boundary part.*"
                                         r"'left', 'right', 'bottom', 'top'.*got 'north'"):
        pinn.Laplace(UNIT_SQUARE, bcs=[pinn.Dirichlet(0.0, on="north")])
    with pytest.raises(ValueError, match=r"Neumann\(on='outer'\).*\['circle'\]"):
        pinn.Laplace(pinn.Disk((0, 0), 1.0), bcs=[pinn.Neumann(0.0, on=["outer"])])


def test_boundary_value_with_several_values_per_point_is_refused():
    with pytest.raises(ValueError, match=r"Dirichlet\(value=...\).*one value per point"):
        pinn.Laplace(UNIT_SQUARE, bcs=[pinn.Dirichlet(lambda x: jnp.stack([x[0], x[1], 1.0]))])


@pytest.mark.parametrize("exact", [lambda x: x, lambda x, t: x[0] * t],
                         ids=["vector_valued", "two_arguments"])
def test_exact_solution_that_is_not_a_scalar_function_of_one_point_is_refused(exact):
    with pytest.raises(ValueError, match=r"exact=...\).*one point"):
        pinn.Poisson(UNIT_SQUARE, source=1.0, exact=exact)


def test_robin_coefficients_must_be_finite_and_not_both_zero():
    with pytest.raises(ValueError, match="not both zero"):
        pinn.Robin(0.0, 0.0)
    with pytest.raises(ValueError, match=r"Robin\(a=...\): expected a number, finite, got nan"):
        pinn.Robin(float("nan"), 1.0)


def test_residual_and_conditions_must_be_of_the_right_type():
    with pytest.raises(TypeError, match=r"PDE\(residual=...\)"):
        pinn.PDE(UNIT_SQUARE, residual="laplacian")
    with pytest.raises(TypeError, match=r"PDE\(bcs=...\).*got float"):
        pinn.Laplace(UNIT_SQUARE, bcs=[0.0])


def test_source_returning_shape_1_is_refused_or_gives_a_scalar_residual():
    interval = pinn.Interval(-1.0, 1.0)
    try:
        problem = pinn.Poisson(interval, source=lambda x: PI**2 * jnp.sin(PI * x))
    except ValueError:
        return
    residual = problem.residual(lambda x: jnp.sin(PI * x[0]), jnp.array([0.3]))
    assert jnp.shape(residual) == ()
