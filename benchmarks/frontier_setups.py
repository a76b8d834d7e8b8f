"""The frontier problems of `frontier.py`: where each reference comes from, what was
published, the bar, and how pinn solves the problem.

The problems themselves, and the settings pinn solves them with, are registry entries
(`pinn.problems.frontier`, ``pinn.problems.get(name).settings["accurate"]``), so that
``pinn solve burgers --accurate`` runs the same thing; a `Row` adds what the table needs: the
published figure (value, source, that run's budget), the issue's bar, and the reference
(``reference() -> (points, values, estimated error)``), computed and checked in `references/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pinn import problems
from pinn.problems import frontier


@dataclass
class Row:
    """One problem of the frontier table (`name` is its registry entry)."""

    name: str
    title: str
    published: dict
    reference: Callable[[], tuple[np.ndarray, np.ndarray, float]]
    ansatz: str = ""  # how the network's output is built, where the problem chose it

    @property
    def bar(self) -> float:
        """The issue's bar on the median relative L2 error."""
        return problems.get(self.name).bars["accurate"]

    def describe(self) -> str:
        """The registry's settings as the table prints them."""
        s = problems.get(self.name).settings["accurate"]
        layers = [s["width"]] * s["depth"] + [s.get("outputs", 1)]
        text = f"MLP {layers} {s.get('activation', 'tanh')}"
        text += f" ({self.ansatz})" if self.ansatz else ""
        features = s.get("fourier_features")
        if isinstance(features, dict):
            known = ", ".join(str(tuple(f)) for f in features.get("frequencies", ()))
            text += f" after the Fourier features of the frequencies {known}"
            text += " and the inputs" if features.get("keep_inputs") else ""
        elif features is not None:
            text += f" after {features[0]} Fourier features (scale {features[1]})"
        text += f", {s['n_interior']} {s['sampling_method']} points"
        if s.get("adaptive"):
            text += " (refined)"
        weights = s.get("weights", {})
        if weights.get("boundary", 1.0) != 1.0:
            text += f", boundary weight {weights['boundary']:g}"
        if s.get("windows", 1) > 1:
            text += f", {s['windows']} windows"
        per_window = " per window" if s.get("windows", 1) > 1 else ""
        stages = problems.get(self.name).options("accurate")["stages"]
        named = " + ".join(f"{type(stage).__name__}({stage.steps})" for stage in stages)
        return text + f", {named}{per_window}, float64"

    def solve(self, seed: int) -> tuple[Callable, str]:
        """Solve the entry with its settings; (the solution as a function of points, settings)."""
        solution = problems.get(self.name).solve("accurate", seed=seed, verbose=0)
        return (lambda points: np.asarray(solution(points))), self.describe()


def _on_grid(reference) -> tuple[np.ndarray, np.ndarray, float]:
    """A `references.Reference` (u on a t x x grid) as points (x, t), values and its error."""
    tt, xx = np.meshgrid(reference.t, reference.x, indexing="ij")
    return (np.stack([xx.reshape(-1), tt.reshape(-1)], axis=1), reference.u.reshape(-1),
            max(float(reference.error), 1e-16))


def _burgers_reference() -> tuple[np.ndarray, np.ndarray, float]:
    """Cole-Hopf by Gauss-Hermite quadrature on burgers_shock.mat's 256 x 100 grid."""
    from references import burgers

    return _on_grid(burgers.burgers_reference())


def _spectral(name: str) -> Callable[[], tuple[np.ndarray, np.ndarray, float]]:
    """A Fourier ETDRK4 reference on jaxpi's grid (201 x 512)."""
    def load() -> tuple[np.ndarray, np.ndarray, float]:
        from references import spectral

        return _on_grid(getattr(spectral, f"{name}_reference")())

    return load


def _exact(name: str, exact: Callable) -> Callable[[], tuple[np.ndarray, np.ndarray, float]]:
    """The exact solution on the points PINNacle (DeepXDE for Kovasznay) evaluates on."""
    def load() -> tuple[np.ndarray, np.ndarray, float]:
        from references import pinnacle

        points = np.asarray(pinnacle.PROBLEMS[name].evaluation_points(), float)
        return points, np.asarray(exact(points), float), 0.0

    return load


def _fem(name: str) -> Callable[[], tuple[np.ndarray, np.ndarray, float]]:
    """A scikit-fem reference (references/fem.py) with its refinement estimate."""
    def load() -> tuple[np.ndarray, np.ndarray, float]:
        from references import fem

        reference = getattr(fem, f"{name}_reference")()
        values = reference.values.reshape(len(reference.points), -1)
        return reference.points, values.squeeze(-1) if values.shape[1] == 1 else values, \
            float(reference.error_estimate)

    return load


_PINNACLE = "20,000 Adam steps, 5 x 100 tanh, float32, GPU"
ROWS: dict[str, Row] = {row.name: row for row in [
    Row("burgers", "Burgers, ν = 0.01/π, u0 = -sin πx",
        {"value": 6.7e-4, "source": "Raissi et al. 2019; PINNacle Table 3: 1.45e-2",
         "budget": "L-BFGS, 9 x 20 tanh; PINNacle " + _PINNACLE}, _burgers_reference),
    Row("allen_cahn", "Allen-Cahn, jaxpi's (d = 1e-4, 5u³ - 5u, periodic)",
        {"value": 2.24e-5, "source": "jaxpi README, pirate branch (PirateNet)",
         "budget": "3·10^5 Adam steps, batch 8192, 3 x 256, GPU"}, _spectral("allen_cahn"),
        ansatz="the initial value hard, through a lifting that carries its corner at the seam"),
    Row("kdv", "KdV, jaxpi's (η = 1, μ = 0.022, u0 = cos πx, periodic)",
        {"value": 4.27e-4, "source": "jaxpi README, pirate branch (PirateNet)",
         "budget": "2·10^5 Adam steps, batch 4096, 3 x 256, GPU"}, _spectral("kdv")),
    Row("wave1d_c", "Wave 1-D, PINNacle Wave1d-C",
        {"value": 9.79e-2, "source": "PINNacle Table 3 (NTK)", "budget": _PINNACLE},
        _exact("wave1d_c", frontier.wave_exact)),
    Row("poisson_nd", "Poisson 5-D, PINNacle PNd",
        {"value": 4.67e-4, "source": "PINNacle Table 3 (Adam + L-BFGS); ENGD 3.5e-8 on a "
         "cosine-sum variant (3,000 s GPU)", "budget": _PINNACLE},
        _exact("poisson_nd", frontier.poisson_nd_exact)),
    Row("heat2d_ms", "Heat 2-D multi-scale, PINNacle Heat2d-MS",
        {"value": 6.21e-2, "source": "PINNacle Table 3 (PINN)", "budget": _PINNACLE},
        _exact("heat2d_ms", frontier.heat_exact)),
    Row("kovasznay", "Navier-Stokes: Kovasznay flow (Re = 20), u, v, p",
        {"value": "-", "source": "no published frontier figure (DeepXDE's example)",
         "budget": "-"}, _exact("kovasznay", frontier.kovasznay_exact)),
    Row("poisson2d_c", "Poisson 2-D, square with four holes, PINNacle Poisson2d-C",
        {"value": 1.23e-2, "source": "PINNacle Table 3 (NTK)", "budget": _PINNACLE},
        _fem("poisson2d_c")),
    Row("ns2d_c", "Navier-Stokes: lid-driven cavity, PINNacle NS2d-C (Re = 100), u, v, p",
        {"value": 3.6e-2, "source": "PINNacle Table 3 (LAAF)", "budget": _PINNACLE},
        _fem("ns2d_c")),
]}
