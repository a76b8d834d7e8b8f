"""The frontier problems' definitions and references (benchmarks/references).

Each is checked against an independent oracle: the exact solutions satisfy their PDEs and
conditions by finite differences; PINNacle's evaluation points are DeepXDE's uniform grids,
derived here by hand; the domains' membership tests agree with plain geometry; the finite
element Poisson solver reproduces a manufactured solution on the holed domain at its expected
order; the Navier-Stokes solver reproduces Kovasznay flow, an exact solution. The slow tests
check that the cached references have converged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from skfem import Basis, ElementTriP2, Functional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from references import fem, navier_stokes, pinnacle  # noqa: E402
from references.holed_square import HoledSquare, holed_square_mesh  # noqa: E402

PI = np.pi
RNG = np.random.default_rng(7)


def second_difference(function, points, axis, h):
    step = np.zeros(points.shape[1])
    step[axis] = h
    return (function(points + step) - 2 * function(points) + function(points - step)) / h**2


def first_difference(function, points, axis, h):
    step = np.zeros(points.shape[1])
    step[axis] = h
    return (function(points + step) - function(points - step)) / (2 * h)


def test_wave1d_c_exact_solves_wave_equation_and_its_conditions():
    problem = pinnacle.PROBLEMS["wave1d_c"]
    u = lambda p: problem.exact(p)[:, 0]  # noqa: E731
    points = RNG.uniform(0.05, 0.95, size=(200, 2))
    u_tt = second_difference(u, points, 1, 1e-4)
    u_xx = second_difference(u, points, 0, 1e-4)
    assert np.max(np.abs(u_tt - problem.parameters["c"] ** 2 * u_xx)) < 1e-5 * np.max(np.abs(u_tt))
    x = np.linspace(0, 1, 41)
    initial = np.stack([x, np.zeros_like(x)], 1)
    np.testing.assert_allclose(u(initial), np.sin(PI * x) + 0.5 * np.sin(4 * PI * x), atol=1e-14)
    np.testing.assert_allclose(first_difference(u, initial, 1, 1e-5), 0.0, atol=1e-9)
    t = np.linspace(0, 1, 41)
    for side in (0.0, 1.0):
        np.testing.assert_allclose(u(np.stack([np.full_like(t, side), t], 1)), 0.0, atol=1e-14)


def test_poisson_nd_exact_solves_poisson_equation():
    problem = pinnacle.PROBLEMS["poisson_nd"]
    u = lambda p: problem.exact(p)[:, 0]  # noqa: E731
    points = RNG.uniform(0.05, 0.95, size=(200, 5))
    laplacian = sum(second_difference(u, points, axis, 1e-4) for axis in range(5))
    source = PI**2 / 4 * np.sin(PI / 2 * points).sum(axis=1)
    np.testing.assert_allclose(laplacian + source, 0.0, atol=1e-5 * np.max(source))


def test_heat2d_ms_exact_solves_heat_equation_and_its_conditions():
    problem = pinnacle.PROBLEMS["heat2d_ms"]
    k_x, k_y = problem.parameters["k_x"], problem.parameters["k_y"]
    assert k_x == pytest.approx(1 / (500 * PI) ** 2) and k_y == pytest.approx(1 / PI**2)
    u = lambda p: problem.exact(p)[:, 0]  # noqa: E731
    points = RNG.uniform([0.05, 0.05, 0.1], [0.95, 0.95, 4.9], size=(200, 3))
    u_t = first_difference(u, points, 2, 1e-5)
    residual = (u_t - k_x * second_difference(u, points, 0, 1e-5)
                - k_y * second_difference(u, points, 1, 1e-4))
    assert np.max(np.abs(residual)) < 1e-5 * np.max(np.abs(u_t))
    x, y = RNG.uniform(0, 1, size=(2, 50))
    np.testing.assert_allclose(u(np.stack([x, y, 0 * x], 1)),
                               np.sin(20 * PI * x) * np.sin(PI * y), atol=1e-14)
    t = RNG.uniform(0, 5, size=50)
    for side in ([0.0, None], [1.0, None], [None, 0.0], [None, 1.0]):
        wall = np.stack([x if side[0] is None else np.full(50, side[0]),
                         y if side[1] is None else np.full(50, side[1]), t], 1)
        np.testing.assert_allclose(u(wall), 0.0, atol=1e-13)


def test_kovasznay_exact_solves_navier_stokes():
    problem = pinnacle.PROBLEMS["kovasznay"]
    reynolds = problem.parameters["Re"]
    nu = 1 / reynolds
    # DeepXDE's form of lambda
    assert problem.parameters["lambda"] == pytest.approx(
        1 / (2 * nu) - np.sqrt(1 / (4 * nu**2) + 4 * PI**2), rel=1e-14)
    points = RNG.uniform([-0.45, -0.45], [0.95, 1.45], size=(200, 2))
    field = lambda k: (lambda p: problem.exact(p)[:, k])  # noqa: E731
    u, v = field(0)(points), field(1)(points)
    d = {(k, a): first_difference(field(k), points, a, 1e-6) for k in range(3) for a in range(2)}
    lap = {k: sum(second_difference(field(k), points, a, 1e-4) for a in range(2)) for k in range(2)}
    momentum_x = u * d[0, 0] + v * d[0, 1] + d[2, 0] - nu * lap[0]
    momentum_y = u * d[1, 0] + v * d[1, 1] + d[2, 1] - nu * lap[1]
    scale = np.max(np.abs(u * d[0, 0]))
    for residual in (momentum_x, momentum_y, d[0, 0] + d[1, 1]):
        assert np.max(np.abs(residual)) < 1e-6 * scale


def test_evaluation_points_are_deepxdes_uniform_interior_grids():
    wave = pinnacle.PROBLEMS["wave1d_c"].evaluation_points()
    assert wave.shape == (2500, 2)
    np.testing.assert_allclose(np.unique(wave[:, 0]), np.arange(1, 51) / 51, rtol=1e-6)
    np.testing.assert_allclose(wave[:50, 0], wave[0, 0])  # first coordinate slowest
    cube = pinnacle.PROBLEMS["poisson_nd"].evaluation_points()
    assert cube.shape == (8**5, 5)
    for axis in range(5):
        np.testing.assert_allclose(np.unique(cube[:, axis]), np.arange(1, 9) / 9, rtol=1e-6)
    heat = pinnacle.PROBLEMS["heat2d_ms"].evaluation_points()
    assert heat.shape == (64 * 313, 3)
    times = np.unique(heat[:, 2])
    np.testing.assert_allclose(times, 5 * np.arange(1, 314) / 313, rtol=1e-6)
    np.testing.assert_allclose(heat[:64, 2], 5.0)  # the points of one instant are consecutive
    np.testing.assert_allclose(np.unique(heat[:, 0]), np.arange(1, 9) / 9, rtol=1e-6)
    kovasznay = pinnacle.PROBLEMS["kovasznay"].evaluation_points()
    assert kovasznay.shape == (100_000, 2)
    for name, points in (("wave1d_c", wave), ("poisson_nd", cube), ("heat2d_ms", heat),
                         ("kovasznay", kovasznay)):
        assert pinnacle.PROBLEMS[name].inside(points).all()


def test_poisson2d_c_domain_membership_matches_geometry_and_the_fem_domain():
    problem = pinnacle.PROBLEMS["poisson2d_c"]
    geometry = fem.POISSON_GEOMETRY
    np.testing.assert_allclose(np.unique(np.array(problem.holes)[:, :2], axis=0),
                               np.unique(geometry.centres, axis=0))
    assert {hole[2] for hole in problem.holes} == {geometry.hole_radius}
    assert problem.box == ((-0.5, 0.5), (-0.5, 0.5)) and geometry.half_width == 0.5
    centres = np.array(problem.holes)[:, :2]
    angle = RNG.uniform(0, 2 * PI, size=4)
    ring = np.stack([np.cos(angle), np.sin(angle)], 1)
    assert not problem.inside(centres).any()
    assert problem.inside(centres + 0.1 * (1 + 1e-6) * ring).all()
    assert not problem.inside(centres + 0.1 * (1 - 1e-6) * ring).any()
    assert problem.inside(np.array([[0.5, 0.5], [-0.5, 0.2], [0.0, 0.0]])).all()
    assert not problem.inside(np.array([[0.5 + 1e-6, 0.0], [0.0, -0.6]])).any()
    points = RNG.uniform(-0.6, 0.6, size=(5000, 2))
    plain = (np.all(np.abs(points) <= 0.5, axis=1)
             & (np.min(np.hypot(*(points[:, None, :] - centres[None]).transpose(2, 0, 1)),
                       axis=1) >= 0.1))
    np.testing.assert_array_equal(problem.inside(points), plain)
    np.testing.assert_array_equal(geometry.inside(points), plain)


def test_cavity_and_kovasznay_definitions_match_the_solvers_constants():
    cavity = pinnacle.PROBLEMS["ns2d_c"]
    assert cavity.parameters == {"nu": fem.CAVITY_VISCOSITY, "a": fem.CAVITY_LID_AMPLITUDE}
    x = np.linspace(0, 1, 11)
    lid = fem._lid_velocity(np.stack([x, np.ones_like(x)]))
    np.testing.assert_allclose(lid[0], 4 * x * (1 - x))
    np.testing.assert_allclose(fem._lid_velocity(np.stack([x, 0 * x])), 0.0)
    assert not fem.lid_corners(fem.ns2d_c_points()).any()
    assert len(fem.ns2d_c_points()) == 101**2 - 2


def test_holed_square_mesh_puts_every_boundary_node_on_the_boundary():
    geometry = HoledSquare()
    holed = holed_square_mesh(geometry, level=1, quadrants=4)
    mesh = holed.mesh
    facets = mesh.boundary_facets()
    # vertices and edge midpoints (the P2 nodes) of the boundary edges
    nodes = np.concatenate([mesh.facets[:, facets].ravel(), mesh.nvertices + facets])
    points = mesh.doflocs[:, nodes].T
    assert (geometry.on_circle(points, tol=1e-13) | geometry.on_square(points, tol=1e-13)).all()
    block = RNG.integers(0, 4, size=100)
    s, rho = RNG.uniform(0, 1, size=(2, 100))
    again = geometry.block_inverse(geometry.block_map(block, s, rho))
    np.testing.assert_array_equal(again[0], block)
    np.testing.assert_allclose(np.stack(again[1:]), np.stack([s, rho]), atol=1e-12)


def _area_error(level):
    geometry = HoledSquare()
    basis = Basis(holed_square_mesh(geometry, level, 4).mesh, ElementTriP2())
    area = Functional(lambda w: 1.0 + 0.0 * w.x[0]).assemble(basis)
    return abs(area - (1 - 4 * PI * geometry.hole_radius**2))


def test_holed_square_mesh_area_converges_at_fourth_order():
    errors = [_area_error(level) for level in (0, 1, 2)]
    assert errors[0] < 1e-5
    assert np.log2(errors[1] / errors[2]) > 3.8


def _manufactured(points):
    x, y = points
    return np.sin(2 * x + 1) * np.cos(3 * y) + x * y**2


def _manufactured_source(points):  # -(u_xx + u_yy)
    x, y = points
    return 13 * np.sin(2 * x + 1) * np.cos(3 * y) - 2 * x


@pytest.mark.parametrize(("degree", "order"), [(2, 3), (3, 4)])
def test_holed_poisson_reproduces_manufactured_solution_at_its_order(degree, order):
    errors = []
    for level in (0, 1, 2):
        holed = holed_square_mesh(HoledSquare(), level, quadrants=4)
        basis, coefficients = fem.solve_holed_poisson(holed, degree, _manufactured,
                                                      _manufactured_source)
        squared = Functional(lambda w: (w["u"] - _manufactured(w.x)) ** 2).assemble(
            basis, u=basis.interpolate(coefficients))
        norm = Functional(lambda w: _manufactured(w.x) ** 2).assemble(basis)
        errors.append(np.sqrt(squared / norm))
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert rates[-1] > order - 0.3, (errors, rates)
    points = RNG.uniform(-0.5, 0.5, size=(300, 2))
    points = points[HoledSquare().inside(points)]
    at_points = holed.probes(basis, points) @ coefficients
    np.testing.assert_allclose(at_points, _manufactured(points.T), atol=30 * errors[-1])


def test_quadrant_solution_equals_the_whole_domain_solution():
    level, degree = 1, 2
    whole = holed_square_mesh(fem.POISSON_GEOMETRY, level, quadrants=4)
    basis, coefficients = fem.solve_holed_poisson(whole, degree,
                                                  fem._poisson2d_c_boundary_values)
    points = RNG.uniform(-0.5, 0.5, size=(400, 2))
    points = points[fem.POISSON_GEOMETRY.inside(points)]
    on_whole = whole.probes(basis, points) @ coefficients
    quadrant, quadrant_basis, quadrant_coefficients = fem.solve_poisson2d_c(level, degree)
    on_quadrant = quadrant.probes(quadrant_basis, np.abs(points)) @ quadrant_coefficients
    np.testing.assert_allclose(on_quadrant, on_whole, atol=1e-11)
    # the maximum principle, up to the higher-order elements' small overshoots
    assert on_whole.min() > -1e-4 and on_whole.max() < 1 + 1e-4


def test_navier_stokes_solver_reproduces_kovasznay_flow():
    problem = pinnacle.PROBLEMS["kovasznay"]
    points = problem.evaluation_points()[:5000]
    corner = np.array([[-0.5, -0.5]])
    errors = []
    for cells in (8, 16):
        grid = navier_stokes.RectangleMesh(cells, box=problem.box, grading=0.0)
        state, _ = navier_stokes.solve_navier_stokes(
            grid, 1 / problem.parameters["Re"], lambda x: problem.exact(x.T)[:, :2].T,
            pressure_point=tuple(corner[0]), pressure_value=problem.exact(corner)[0, 2],
            degree=3)
        found, exact = grid.fields(state, points, 3), problem.exact(points)
        errors.append(np.linalg.norm(found - exact, axis=0) / np.linalg.norm(exact, axis=0))
    assert errors[-1][0] < 2e-4 and errors[-1][1] < 3e-4 and errors[-1][2] < 1e-2
    assert np.all(np.log2(errors[0] / errors[1]) > 2.8)


def test_pinnacle_l2re_and_file_reader(tmp_path):
    path = tmp_path / "ref.dat"
    path.write_text("% Model: test\n% x y u @ Re=100\n0 0 1 2\n0.5 0.25 nan 1\n1 1 3 4\n")
    points, values = pinnacle.read_pinnacle_file(path)
    np.testing.assert_array_equal(points, [[0, 0], [1, 1]])
    np.testing.assert_array_equal(values, [[1, 2], [3, 4]])
    predicted = values + np.array([[0.1, 0.0], [0.0, -0.2]])
    expected = np.sqrt((0.1**2 + 0.2**2) / 4 / np.mean(values**2))
    assert pinnacle.pinnacle_l2re(predicted, values) == pytest.approx(expected, rel=1e-14)


def test_bad_input_is_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="inside"):
        pinnacle.PROBLEMS["wave1d_c"].inside(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="pinnacle_l2re"):
        pinnacle.pinnacle_l2re(np.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="level"):
        holed_square_mesh(HoledSquare(), level=-1)
    with pytest.raises(ValueError, match="quadrants"):
        holed_square_mesh(HoledSquare(), level=0, quadrants=2)
    with pytest.raises(ValueError, match="outside"):
        fem.poisson2d_c_values(np.array([[0.3, 0.3]]), level=1)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        fem.ns2d_c_values(np.zeros(4), cells=16)
    with pytest.raises(ValueError, match="degree"):
        navier_stokes.taylor_hood_bases(navier_stokes.RectangleMesh(2).mesh(), 4)


@pytest.mark.slow
def test_poisson2d_c_reference_has_converged():
    reference = fem.poisson2d_c_reference()
    assert reference.levels[-1]["change"] < 1e-7
    assert reference.error_estimate < 1e-8
    assert reference.values.min() > -1e-6 and reference.values.max() < 1 + 1e-6


@pytest.mark.slow
def test_ns2d_c_reference_has_converged():
    reference = fem.ns2d_c_reference()
    assert reference.levels[-1]["velocity_change"] < 1e-4
    assert reference.error_estimate < 1e-4


def test_engd_figure_is_the_rms_error_divided_by_the_solutions_rms():
    # kfac-pinns-experiments reports sqrt(mean((u_theta - u)^2)); u = sum_i cos(pi x_i)
    points = RNG.uniform(0, 1, size=(400_000, 5))
    solution_rms = np.sqrt(np.mean(np.cos(PI * points).sum(axis=1) ** 2))
    assert solution_rms == pytest.approx(np.sqrt(5 / 2), rel=5e-3)
    published = pinnacle.PUBLISHED["poisson5d_cos_sum"].value
    assert published == pytest.approx(5.57507360104333e-08 / np.sqrt(5 / 2), rel=2e-3)
