"""The frontier problems taken from PINNacle and DeepXDE, defined exactly as published.

Each `Problem` records what the publisher's code says, read from the source named in `source`:
the domain (holes included), the PDE with its signs and coefficients, the boundary and initial
conditions, the exact solution where one exists, and how the publisher measures the error (the
points and the metric). PINNacle's problems are from github.com/i207M/PINNacle at commit
`PINNACLE_COMMIT`; Kovasznay flow from DeepXDE's `examples/pinn_forward/Kovasznay_flow.py`.

PINNacle's metric (`src/utils/callbacks.py`, `TesterCallback`) is one relative L2 error over all
output fields together, sqrt(mean((y - y_ref)^2)) / sqrt(mean(y_ref^2)), `pinnacle_l2re`. Where
a problem has an exact solution PINNacle evaluates it on DeepXDE's `uniform_points(n,
boundary=False)` of the domain (n = 2500 in 2-D, 20000 otherwise), which `evaluation_points`
reproduces; otherwise on the nodes of its COMSOL file (`reference_file`, read with
`read_pinnacle_file`; the files are not redistributed here).

    from references.pinnacle import PROBLEMS, pinnacle_l2re
    problem = PROBLEMS["wave1d_c"]
    points = problem.evaluation_points()            # (2500, 2): (x, t)
    pinnacle_l2re(model(points), problem.exact(points))

NumPy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PI = np.pi
PINNACLE_COMMIT = "6f8d69c9c84c41d19644e4ceebdc64c4a11d3adf"
DEEPXDE_KOVASZNAY = "lululxvi/deepxde: examples/pinn_forward/Kovasznay_flow.py"


@dataclass(frozen=True)
class Problem:
    """One published problem, as its publisher's code defines it.

    Attributes:
        name: our key.
        published_name: the publisher's name (PINNacle's table name and class).
        source: repository and file the definition was read from.
        inputs, outputs: coordinate and field names, in column order.
        box: (low, high) of each input.
        holes: discs (centre x, centre y, radius) removed from the box (first two inputs).
        pde: the residual(s) that vanish in the domain, with signs and coefficients.
        conditions: the boundary and initial conditions.
        parameters: the constants of `pde` and `conditions`.
        evaluation: how the publisher measures the error.
        training: the publisher's budget (points, network, steps) for its published figure.
        exact: (n, inputs) -> (n, outputs) exact solution, or None.
        evaluation_points: () -> (n, inputs) the publisher's evaluation points, or None where
            they come from its reference file (`reference_file`).
        reference_file: the publisher's reference data file, a path in its repository.
    """

    name: str
    published_name: str
    source: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    box: tuple[tuple[float, float], ...]
    pde: tuple[str, ...]
    conditions: tuple[str, ...]
    parameters: dict[str, float]
    evaluation: str
    training: str
    holes: tuple[tuple[float, float, float], ...] = ()
    exact: Callable[[np.ndarray], np.ndarray] | None = None
    evaluation_points: Callable[[], np.ndarray] | None = None
    reference_file: str | None = None
    notes: tuple[str, ...] = field(default=())

    def inside(self, points: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """True for points of the closed domain (box less the open holes), (n, inputs) -> (n,)."""
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != len(self.inputs):
            raise ValueError(f"Problem('{self.name}').inside(points): expected shape (n,"
                             f" {len(self.inputs)}) for inputs {self.inputs}, got {points.shape}.")
        low, high = np.array(self.box).T
        result = np.all((points >= low - tol) & (points <= high + tol), axis=1)
        for cx, cy, radius in self.holes:
            result &= np.hypot(points[:, 0] - cx, points[:, 1] - cy) >= radius - tol
        return result


def pinnacle_l2re(predicted: np.ndarray, reference: np.ndarray) -> float:
    """PINNacle's L2RE: relative L2 error over all fields together, (n, fields) each."""
    predicted = np.asarray(predicted, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if predicted.shape != reference.shape:
        raise ValueError(f"pinnacle_l2re(predicted, reference): shapes differ, {predicted.shape}"
                         f" and {reference.shape}; pass (n, fields) arrays of the same points.")
    return float(np.sqrt(np.mean((predicted - reference) ** 2) / np.mean(reference**2)))


def read_pinnacle_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A PINNacle/COMSOL reference file: (points, values), rows with NaN dropped as PINNacle does.

    Args:
        path: e.g. a copy of PINNacle's `ref/lid_driven_a4.dat` (x, y, u, v, p per row) or
            `ref/poisson1_cg_data.dat` (x, y, u); comment lines start with '%'.

    Returns:
        points (n, 2) and values (n, fields), in float64 (PINNacle casts to float32).
    """
    data = np.loadtxt(path, comments="%")
    data = data[~np.isnan(data).any(axis=1)]
    return data[:, :2], data[:, 2:]


# --- DeepXDE's uniform points, as PINNacle's TesterCallback calls them ----------------------


def _deepxde_box_points(low, high, count: int) -> np.ndarray:
    """`Hypercube.uniform_points(count, boundary=False)` of PINNacle's vendored DeepXDE.

    Each side gets ceil(side / dx) points with dx = (volume / count)^(1/dim), spaced evenly with
    the ends left out; the grid is their product, first coordinate slowest. DeepXDE works in
    float32 (its default), so the points are float32 values.
    """
    low, high = np.asarray(low, np.float32), np.asarray(high, np.float32)
    side = high - low
    dx = (np.prod(side) / count) ** (1 / len(side))
    axes = [np.linspace(low[i], high[i], num=int(np.ceil(side[i] / dx)) + 1, endpoint=False,
                        dtype=np.float32)[1:] for i in range(len(side))]
    return np.array(list(itertools.product(*axes)), dtype=np.float32).astype(np.float64)


def _deepxde_space_time_points(low, high, t_end: float, count: int) -> np.ndarray:
    """`GeometryXTime.uniform_points(count, boundary=False)` for a box times [0, t_end].

    nx = ceil(sqrt(count * area / t_end)) space points (as `_deepxde_box_points(nx)`), times
    nt = ceil(count / nx) instants t_end (1 - j / nt), j = 0..nt-1 (t = 0 left out); the
    points of each instant are consecutive.
    """
    area = float(np.prod(np.asarray(high, float) - np.asarray(low, float)))
    space_count = int(np.ceil((count * area / t_end) ** 0.5))
    space = _deepxde_box_points(low, high, space_count)
    times = np.linspace(t_end, 0.0, num=int(np.ceil(count / space_count)), endpoint=False,
                        dtype=np.float32).astype(np.float64)
    return np.concatenate([np.hstack([space, np.full((len(space), 1), t)]) for t in times])


# --- exact solutions -------------------------------------------------------------------------

WAVE_SPEED = 2.0
WAVE_MODE = 4


def wave1d_c_exact(points: np.ndarray) -> np.ndarray:
    """Wave1d-C: sin(pi x) cos(2 pi t) + 1/2 sin(4 pi x) cos(8 pi t), points (n, 2) = (x, t)."""
    x, t = np.asarray(points, float).T
    a = WAVE_MODE
    u = np.sin(PI * x) * np.cos(2 * PI * t) + 0.5 * np.sin(a * PI * x) * np.cos(2 * a * PI * t)
    return u[:, None]


def poisson_nd_exact(points: np.ndarray) -> np.ndarray:
    """PNd: u = sum_i sin(pi x_i / 2), points (n, d)."""
    return np.sin(PI / 2 * np.asarray(points, float)).sum(axis=1, keepdims=True)


HEAT_MS_DIFFUSIVITY = (1.0 / (500 * PI) ** 2, 1.0 / PI**2)
HEAT_MS_WAVENUMBER = (20 * PI, PI)


def heat2d_ms_exact(points: np.ndarray) -> np.ndarray:
    """Heat2d-MS: sin(20 pi x) sin(pi y) exp(-(k_x 400 pi^2 + k_y pi^2) t), points (x, y, t)."""
    x, y, t = np.asarray(points, float).T
    (kx, ky), (mx, my) = HEAT_MS_DIFFUSIVITY, HEAT_MS_WAVENUMBER
    return (np.sin(mx * x) * np.sin(my * y) * np.exp(-(kx * mx**2 + ky * my**2) * t))[:, None]


KOVASZNAY_RE = 20.0
KOVASZNAY_LAMBDA = KOVASZNAY_RE / 2 - np.sqrt(KOVASZNAY_RE**2 / 4 + 4 * PI**2)


def kovasznay_exact(points: np.ndarray) -> np.ndarray:
    """Kovasznay flow at Re = 20: (u, v, p) at points (n, 2) = (x, y)."""
    x, y = np.asarray(points, float).T
    lam = KOVASZNAY_LAMBDA
    u = 1 - np.exp(lam * x) * np.cos(2 * PI * y)
    v = lam / (2 * PI) * np.exp(lam * x) * np.sin(2 * PI * y)
    p = 0.5 * (1 - np.exp(2 * lam * x))
    return np.stack([u, v, p], axis=1)


def kovasznay_points(count: int = 100_000, seed: int = 0) -> np.ndarray:
    """Uniform random points of Kovasznay's rectangle: DeepXDE's scheme (100,000 of them).

    DeepXDE draws its own; these are a fixed draw of the same distribution.
    """
    generator = np.random.default_rng(seed)
    return generator.uniform([-0.5, -0.5], [1.0, 1.5], size=(count, 2))


# --- the problems ----------------------------------------------------------------------------

_PINNACLE_BUDGET = ("PINNacle's benchmark.py defaults: 20,000 iterations at lr 1e-3 (Adam) on a"
                    " 5x100 tanh network, float32, GPU (methods change the loss, optimiser or"
                    " network), {points}; each figure is the mean of repeated runs")


def _source(path: str, cls: str) -> str:
    return f"i207M/PINNacle@{PINNACLE_COMMIT[:7]}: {path}, class {cls}"


WAVE1D_C = Problem(
    name="wave1d_c", published_name="Wave1d-C (Wave1D)",
    source=_source("src/pde/wave.py", "Wave1D"),
    inputs=("x", "t"), outputs=("u",), box=((0.0, 1.0), (0.0, 1.0)),
    pde=("u_tt - c^2 u_xx = 0",),
    conditions=("u(x, 0) = sin(pi x) + 1/2 sin(4 pi x)",
                "u_t(x, 0) = 0 (DeepXDE NeumannBC on t = 0)",
                "u(0, t) = u(1, t) = 0 (Dirichlet with the exact solution, which vanishes there)"),
    parameters={"c": WAVE_SPEED, "a": WAVE_MODE},
    evaluation="L2RE on the 50 x 50 grid x, t in {k/51}, k = 1..50 (uniform_points(2500))",
    training=_PINNACLE_BUDGET.format(points="8,192 domain and 2,048 boundary points"),
    exact=wave1d_c_exact,
    evaluation_points=lambda: _deepxde_box_points([0, 0], [1, 1], 2500),
    notes=("The domain is a plain Rectangle in (x, t), not a time-dependent geometry.",),
)

POISSON_ND = Problem(
    name="poisson_nd", published_name="PNd (PoissonND, dim=5)",
    source=_source("src/pde/poisson.py", "PoissonND"),
    inputs=tuple(f"x{i}" for i in range(1, 6)), outputs=("u",), box=((0.0, 1.0),) * 5,
    pde=("u_x1x1 + ... + u_x5x5 + pi^2/4 sum_i sin(pi x_i / 2) = 0",),
    conditions=("u = sum_i sin(pi x_i / 2) on the whole boundary",),
    parameters={"dim": 5, "length": 1.0},
    evaluation="L2RE on the 8^5 grid x_i in {k/9}, k = 1..8 (uniform_points(20000))",
    training=_PINNACLE_BUDGET.format(points="32,768 domain and 8,192 boundary points"),
    exact=poisson_nd_exact,
    evaluation_points=lambda: _deepxde_box_points([0] * 5, [1] * 5, 20000),
)

HEAT2D_MS = Problem(
    name="heat2d_ms", published_name="Heat2d-MS (Heat2D_Multiscale)",
    source=_source("src/pde/heat.py", "Heat2D_Multiscale"),
    inputs=("x", "y", "t"), outputs=("u",), box=((0.0, 1.0), (0.0, 1.0), (0.0, 5.0)),
    pde=("u_t - k_x u_xx - k_y u_yy = 0, k_x = 1/(500 pi)^2, k_y = 1/pi^2",),
    conditions=("u(x, y, 0) = sin(20 pi x) sin(pi y)",
                "u = 0 on the four sides x = 0, x = 1, y = 0, y = 1"),
    parameters={"k_x": HEAT_MS_DIFFUSIVITY[0], "k_y": HEAT_MS_DIFFUSIVITY[1],
                "m_x": HEAT_MS_WAVENUMBER[0], "m_y": HEAT_MS_WAVENUMBER[1], "t_end": 5.0},
    evaluation=("L2RE on 20,032 points: the 8 x 8 grid x, y in {k/9} at 313 instants"
                " t = 5 (1 - j/313), j = 0..312 (GeometryXTime.uniform_points(20000))"),
    training=_PINNACLE_BUDGET.format(points="32,768 domain, 8,192 boundary, 8,192 initial"
                                            " points"),
    exact=heat2d_ms_exact,
    evaluation_points=lambda: _deepxde_space_time_points([0, 0], [1, 1], 5.0, 20000),
    notes=("The decay rate is k_x (20 pi)^2 + k_y pi^2 = 1.0016.",
           "The evaluation grid aliases the fast factor: sin(20 pi k/9) = sin(2 pi k/9), so on"
           " it the solution cannot be told from sin(2 pi x) sin(pi y) exp(-1.0016 t)."),
)

NS2D_C = Problem(
    name="ns2d_c", published_name="NS2d-C (NS2D_LidDriven, a=4)",
    source=_source("src/pde/ns.py", "NS2D_LidDriven"),
    inputs=("x", "y"), outputs=("u", "v", "p"), box=((0.0, 1.0), (0.0, 1.0)),
    pde=("u u_x + v u_y + p_x - nu (u_xx + u_yy) = 0",
         "u v_x + v v_y + p_y - nu (v_xx + v_yy) = 0",
         "u_x + v_y = 0"),
    conditions=("u = a x (1 - x), v = 0 on the lid y = 1",
                "u = v = 0 on x = 0, x = 1 and y = 0",
                "p(0, 0) = 0 (a PointSetBC)"),
    parameters={"nu": 0.01, "a": 4.0},
    evaluation=("L2RE of (u, v, p) together on the 10,201 nodes of the COMSOL file"
                " ref/lid_driven_a4.dat"),
    training=_PINNACLE_BUDGET.format(points="8,192 domain and 2,048 boundary points"),
    reference_file="ref/lid_driven_a4.dat",
    notes=("Re = 100 on the lid's peak speed 1 and the side 1.",
           "The pressure is log-singular at the lid's corners (the lid speed vanishes there"
           " only linearly): its value at the corner nodes (0, 1) and (1, 1) of the file is"
           " mesh-dependent."),
)

POISSON2D_C = Problem(
    name="poisson2d_c", published_name="Poisson2d-C (Poisson2D_Classic, scale=1)",
    source=_source("src/pde/poisson.py", "Poisson2D_Classic"),
    inputs=("x", "y"), outputs=("u",), box=((-0.5, 0.5), (-0.5, 0.5)),
    holes=((0.3, 0.3, 0.1), (-0.3, 0.3, 0.1), (0.3, -0.3, 0.1), (-0.3, -0.3, 0.1)),
    pde=("u_xx + u_yy = 0",),
    conditions=("u = 1 on the four sides of the square",
                "u = 0 on the four circles"),
    parameters={"half_width": 0.5, "hole_offset": 0.3, "hole_radius": 0.1},
    evaluation="L2RE on the 1,246 nodes of the COMSOL file ref/poisson1_cg_data.dat",
    training=_PINNACLE_BUDGET.format(points="8,192 domain and 2,048 boundary points"),
    reference_file="ref/poisson1_cg_data.dat",
)

KOVASZNAY = Problem(
    name="kovasznay", published_name="Kovasznay flow (DeepXDE example)",
    source=DEEPXDE_KOVASZNAY,
    inputs=("x", "y"), outputs=("u", "v", "p"), box=((-0.5, 1.0), (-0.5, 1.5)),
    pde=("u u_x + v u_y + p_x - (u_xx + u_yy) / Re = 0",
         "u v_x + v v_y + p_y - (v_xx + v_yy) / Re = 0",
         "u_x + v_y = 0"),
    conditions=("u, v = the exact solution on the whole boundary",
                "p = the exact solution on the outflow x = 1"),
    parameters={"Re": KOVASZNAY_RE, "lambda": float(KOVASZNAY_LAMBDA)},
    evaluation="relative L2 error of each of u, v, p on 100,000 uniform random points",
    training=("DeepXDE's example: 2,601 domain and 400 boundary points, 4x50 tanh network,"
              " 30,000 Adam steps at lr 1e-3 then L-BFGS"),
    exact=kovasznay_exact,
    evaluation_points=kovasznay_points,
    notes=("lambda = Re/2 - sqrt(Re^2/4 + 4 pi^2).",),
)

PROBLEMS: dict[str, Problem] = {problem.name: problem for problem in
                                (WAVE1D_C, POISSON_ND, HEAT2D_MS, NS2D_C, POISSON2D_C, KOVASZNAY)}


@dataclass(frozen=True)
class Published:
    """A published best figure: its value, method, source, budget and how it was checked."""

    value: float
    method: str
    source: str
    budget: str
    checked: str


_TABLE3 = "PINNacle, arXiv 2306.08827, Table 3 (mean L2RE)"
_TABLE3_CHECK = ("agrees with a third-party transcription of Table 3; the paper itself could"
                 " not be read here (benchmarks/references/PUBLISHED.md)")

PUBLISHED: dict[str, Published] = {
    "burgers1d_c": Published(1.45e-2, "PINN", _TABLE3, _PINNACLE_BUDGET.format(
        points="8,192 domain, 2,048 boundary and 2,048 initial points"), _TABLE3_CHECK),
    "wave1d_c": Published(9.79e-2, "PINN-NTK", _TABLE3, WAVE1D_C.training, _TABLE3_CHECK),
    "poisson_nd": Published(4.67e-4, "PINN + L-BFGS (Adam for 5,000 iterations)", _TABLE3,
                            POISSON_ND.training, _TABLE3_CHECK),
    "heat2d_ms": Published(6.21e-2, "PINN", _TABLE3, HEAT2D_MS.training, _TABLE3_CHECK),
    "ns2d_c": Published(3.60e-2, "LAAF", _TABLE3, NS2D_C.training, _TABLE3_CHECK),
    "poisson2d_c": Published(1.23e-2, "PINN-NTK", _TABLE3, POISSON2D_C.training,
                             _TABLE3_CHECK),
    "allen_cahn": Published(
        2.24e-5, "PirateNet", "PredictiveIntelligenceLab/jaxpi, README of branch pirate",
        "examples/allen_cahn/configs/pirate.py: PirateNet 3x256, 300,000 Adam steps, batch"
        " 8,192, causal and NTK weighting, GPU", "read from the README"),
    "kdv": Published(
        4.27e-4, "PirateNet", "PredictiveIntelligenceLab/jaxpi, README of branch pirate",
        "examples/kdv/configs/pirate.py: PirateNet 3x256, 200,000 Adam steps, batch 4,096,"
        " causal and NTK weighting, GPU", "read from the README"),
    "poisson5d_cos_sum": Published(
        3.53e-8, "ENGD, full Gramian",
        "f-dangel/kfac-pinns-experiments: exp10_reproduce_poisson5d/best_runs (p2mn2dqo)",
        "float64, 5-64-1 tanh network (449 parameters), 3,000 interior + 500 boundary points"
        " resampled each step, 13,038 steps in 3,000 s on a GPU",
        "its l2_error 5.58e-8 is an RMS error; divided by the solution's RMS sqrt(5/2). A"
        " different problem from PNd: -Laplace u = pi^2 sum cos(pi x_i), u = sum cos(pi x_i)"),
}
