"""Fourier pseudo-spectral ETDRK4 in float64 for periodic 1-D problems, and jaxpi's two.

The solver integrates u_t = L u + D g(u) on a periodic interval: L and D are Fourier
multipliers (symbols of k), g is a polynomial of degree p applied pointwise. Time stepping is
ETDRK4 (Cox & Matthews 2002) with the coefficients of Kassam & Trefethen (2005, SIAM J. Sci.
Comput. 26, 1214) computed by the mean over a circle of radius 1 around each h L (the whole
circle: L may be complex). The space is Fourier-Galerkin on modes |m| < modes / 2 (the Nyquist
mode is held at 0); g(u) is computed on a grid padded to (p + 1) / 2 times the modes, so the
products are free of aliasing. The initial coefficients are the exact Fourier integrals of
u0 over one period by composite Gauss-Legendre quadrature, not an FFT of samples: jaxpi's
Allen-Cahn initial value x² cos(pi x) has a kink at the period's ends (u0'(±1) = ∓2), whose
sampled FFT aliases at O(modes⁻²) and never converges to 1e-9.

The problems, exactly as jaxpi defines them (github.com/PredictiveIntelligenceLab/jaxpi):

- Allen-Cahn (branch main, commit e85b694; examples/allen_cahn/README.md, models.py residual
  `u_t + 5 * u**3 - 5 * u - 0.0001 * u_xx`, data/gen_allen_cahn.m):
      u_t - 1e-4 u_xx + 5 u³ - 5 u = 0,  x in [-1, 1] periodic, t in [0, 1],
      u(x, 0) = x² cos(pi x).
  Here L = 5 - 1e-4 k², D = -5, g(u) = u³ (gen_allen_cahn.m's spinop split).
- KdV (branches pirate and mixed-precision, commit 0dde111; examples/kdv/models.py residual
  `u_t + u * u_x + 0.022**2 * u_xxx`, data/gen_kdv.m):
      u_t + u u_x + 0.022² u_xxx = 0,  x in [-1, 1] periodic, t in [0, 1],  u(x, 0) = cos(pi x).
  Here L = i 0.022² k³, D = -i k / 2, g(u) = u² (gen_kdv.m's split).

jaxpi's grids (the shapes of its allen_cahn.mat and kdv.mat; gen_kdv.m says 251 times but
kdv.mat holds 201): t = linspace(0, 1, 201), x = linspace(-1, 1, 512) (chebfun's 511 periodic
points plus x = 1 repeated), `usol` of shape (201, 512).

A reference's error is estimated by refining: modes doubled and time step halved together, the
relative L2 change over the whole grid (`Reference.error`; figures in
benchmarks/references/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.polynomial.legendre import leggauss

from .common import Reference, cached, relative_l2

CONTOUR_POINTS = 64
# The references' discretisations: (modes, ETDRK4 steps between jaxpi's outputs 0.005 apart).
ALLEN_CAHN_MODES, ALLEN_CAHN_STEPS = 4096, 5
KDV_MODES, KDV_STEPS = 512, 80
_PANEL_NODES = 32  # Gauss-Legendre nodes per panel of the initial Fourier integrals


@dataclass(frozen=True)
class PeriodicProblem:
    """u_t = L u + D g(u) for x in [domain[0], domain[1]) periodic, t in [0, t_final].

    Attributes:
        name: the problem's name (cache files, messages).
        domain: (a, b), the period is b - a.
        t_final: the end of the time span.
        linear: k -> the symbol of L, k: (m,) wavenumbers 2 pi m / (b - a).
        nonlinear_symbol: k -> D(k), the Fourier multiplier applied to g(u) (a scalar
            broadcasts).
        nonlinear: u -> g(u), pointwise, a polynomial of degree `degree`.
        degree: g's degree; g(u) is evaluated on a grid padded by (degree + 1) / 2.
        initial: x -> u(x, 0), vectorised; smooth on [a, b] (a kink at the ends is fine).
    """

    name: str
    domain: tuple[float, float]
    t_final: float
    linear: Callable[[np.ndarray], np.ndarray]
    nonlinear_symbol: Callable[[np.ndarray], np.ndarray]
    nonlinear: Callable[[np.ndarray], np.ndarray]
    degree: int
    initial: Callable[[np.ndarray], np.ndarray]

    @property
    def length(self) -> float:
        return float(self.domain[1] - self.domain[0])


ALLEN_CAHN = PeriodicProblem(
    name="allen_cahn", domain=(-1.0, 1.0), t_final=1.0,
    linear=lambda k: 5.0 - 1e-4 * k**2, nonlinear_symbol=lambda k: -5.0,
    nonlinear=lambda u: u**3, degree=3, initial=lambda x: x**2 * np.cos(np.pi * x))

KDV = PeriodicProblem(
    name="kdv", domain=(-1.0, 1.0), t_final=1.0,
    linear=lambda k: 1j * 0.022**2 * k**3, nonlinear_symbol=lambda k: -0.5j * k,
    nonlinear=lambda u: u**2, degree=2, initial=lambda x: np.cos(np.pi * x))


def wavenumbers(modes: int, length: float) -> np.ndarray:
    """The real-FFT wavenumbers 2 pi m / length, m = 0 .. modes / 2; the Nyquist entry is 0
    (its coefficient is held at 0, so no odd-derivative symbol acts on it).

    Returns:
        k: (modes // 2 + 1,).
    """
    k = 2 * np.pi / length * np.arange(modes // 2 + 1, dtype=np.float64)
    k[-1] = 0.0
    return k


def etdrk4_coefficients(linear: np.ndarray, dt: float, contour_points: int = CONTOUR_POINTS
                        ) -> tuple[np.ndarray, ...]:
    """Kassam & Trefethen's ETDRK4 coefficients for the diagonal operator `linear`.

    The phi-functions are averaged over `contour_points` points of the circle of radius 1
    around each z = dt * linear, which avoids the cancellation of their formulas near z = 0.

    Args:
        linear: (m,) the symbol of L, real or complex.
        dt: the time step.
        contour_points: points on the circle.

    Returns:
        (E, E2, Q, f1, f2, f3), each (m,): exp(z), exp(z / 2) and the step's weights, with
        z = dt * linear; real where `linear` is real.
    """
    z = dt * np.asarray(linear)
    roots = np.exp(2j * np.pi * (np.arange(contour_points) + 0.5) / contour_points)
    lr = z[:, None] + roots[None, :]
    exp_lr = np.exp(lr)
    q = dt * np.mean((np.exp(lr / 2) - 1) / lr, axis=1)
    f1 = dt * np.mean((-4 - lr + exp_lr * (4 - 3 * lr + lr**2)) / lr**3, axis=1)
    f2 = dt * np.mean((2 + lr + exp_lr * (lr - 2)) / lr**3, axis=1)
    f3 = dt * np.mean((-4 - 3 * lr - lr**2 + exp_lr * (4 - lr)) / lr**3, axis=1)
    weights = (q, f1, f2, f3)
    if not np.iscomplexobj(z):
        weights = tuple(w.real for w in weights)
    return (np.exp(z), np.exp(z / 2), *weights)


def fourier_coefficients(function: Callable[[np.ndarray], np.ndarray], modes: int,
                         domain: tuple[float, float]) -> np.ndarray:
    """The Fourier coefficients of `function`'s periodic extension, in `rfft` scaling.

    c_m = modes / L ∫_a^b f(x) exp(-2 pi i m (x - a) / L) dx for m = 0 .. modes / 2 - 1 (the
    Nyquist entry is 0), by composite Gauss-Legendre quadrature (panels of 32 nodes, four
    nodes per shortest wavelength): exact to rounding for f smooth on [a, b], whether or not
    its periodic extension is smooth. `scipy.fft.irfft(c, modes)` samples the truncated series.

    Returns:
        c: (modes // 2 + 1,) complex.
    """
    a, b = domain
    nodes, node_weights = leggauss(_PANEL_NODES)
    edges = np.linspace(0.0, 1.0, max(1, modes // 8) + 1)  # in units of the period
    half = np.diff(edges)[:, None] / 2
    xi = ((edges[:-1, None] + edges[1:, None]) / 2 + half * nodes).reshape(-1)
    weighted = (half * node_weights).reshape(-1) * function(a + (b - a) * xi) * modes
    m = np.arange(modes // 2 + 1)
    c = np.empty(m.size, complex)
    for start in range(0, m.size, 128):  # blocks keep the phase matrix small
        block = m[start:start + 128]
        c[start:start + 128] = np.exp(-2j * np.pi * np.outer(block, xi)) @ weighted
    c[-1] = 0.0
    return c


def _padded_size(modes: int, degree: int) -> int:
    size = -(-(degree + 1) * modes // 2)
    return size + size % 2


def solve(problem: PeriodicProblem, modes: int, times: np.ndarray, steps_per_output: int
          ) -> np.ndarray:
    """Integrate `problem` by ETDRK4 and return its Fourier coefficients at `times`.

    Args:
        problem: the equation, domain and initial value.
        modes: the Fourier grid size (even); modes / 2 - 1 complex modes evolve.
        times: (nt,) evenly spaced output times from 0.
        steps_per_output: ETDRK4 steps between consecutive times.

    Returns:
        (nt, modes // 2 + 1) complex coefficients in `rfft` scaling (see `evaluate`).
    """
    times = _check_times(times, problem, "solve")
    modes, steps_per_output = _check_discretisation(modes, steps_per_output, "solve")
    k = wavenumbers(modes, problem.length)
    padded = _padded_size(modes, problem.degree)
    symbol = np.broadcast_to(problem.nonlinear_symbol(k), k.shape).copy()
    symbol[-1] = 0.0  # the Nyquist mode stays 0
    half = modes // 2 + 1

    def nonlinear(v):
        spread = np.zeros(padded // 2 + 1, complex)
        spread[:half] = v
        u = scipy.fft.irfft(spread, padded) * (padded / modes)
        return symbol * scipy.fft.rfft(problem.nonlinear(u))[:half] * (modes / padded)

    dt = (times[1] - times[0]) / steps_per_output if times.size > 1 else 0.0
    e, e2, q, f1, f2, f3 = etdrk4_coefficients(np.broadcast_to(problem.linear(k), k.shape), dt)
    v = fourier_coefficients(problem.initial, modes, problem.domain)
    out = np.empty((times.size, half), complex)
    out[0] = v
    for index in range(1, times.size):
        for _ in range(steps_per_output):
            nv = nonlinear(v)
            a = e2 * v + q * nv
            na = nonlinear(a)
            b = e2 * v + q * na
            nb = nonlinear(b)
            c = e2 * a + q * (2 * nb - nv)
            v = e * v + f1 * nv + 2 * f2 * (na + nb) + f3 * nonlinear(c)
        out[index] = v
    return out


def evaluate(coefficients: np.ndarray, modes: int, domain: tuple[float, float],
             x: np.ndarray) -> np.ndarray:
    """The trigonometric polynomials with `coefficients` (rfft scaling) at points x.

    Args:
        coefficients: (nt, modes // 2 + 1) from `solve`.
        modes: the grid size they belong to.
        domain: (a, b), the period.
        x: (nx,) positions, anywhere.

    Returns:
        (nt, nx) real values.
    """
    a, b = domain
    m = np.arange(coefficients.shape[-1])
    scale = np.full(m.size, 2.0 / modes)  # a real signal: the conjugate modes fold in
    scale[0], scale[-1] = 1.0 / modes, 0.0
    basis = np.exp(2j * np.pi * np.outer(np.asarray(x, np.float64) - a, m) / (b - a))
    return ((coefficients * scale) @ basis.T).real


def jaxpi_grid() -> tuple[np.ndarray, np.ndarray]:
    """jaxpi's Allen-Cahn, KdV and Burgers grid: (t, x) = linspace(0, 1, 201),
    linspace(-1, 1, 512)."""
    return np.linspace(0.0, 1.0, 201), np.linspace(-1.0, 1.0, 512)


def reference(problem: PeriodicProblem, t=None, x=None, modes: int = KDV_MODES,
              steps_per_output: int = KDV_STEPS, use_cache: bool = True) -> Reference:
    """`problem`'s solution on a (t, x) grid and its error estimate by refinement.

    Solves twice, with (modes, steps_per_output) and (2 modes, 2 steps_per_output); returns
    the first and, as its error, the relative L2 change to the second over the grid. The
    t = 0 row is the initial value itself (a truncated series rings at a kink of u0).

    Args:
        problem: the equation, domain and initial value.
        t: (nt,) evenly spaced times from 0 to at most t_final; default `jaxpi_grid()`'s.
        x: (nx,) positions in the domain; default `jaxpi_grid()`'s.
        modes: Fourier grid size (even).
        steps_per_output: ETDRK4 steps between consecutive times.
        use_cache: read and write the result under `common.cache_dir()`.

    Returns:
        Reference(t, x, u (nt, nx), error, max_error, method).
    """
    default_t, default_x = jaxpi_grid()
    t = _check_times(default_t if t is None else t, problem, "reference")
    x = _check_positions(default_x if x is None else x, problem)
    modes, steps_per_output = _check_discretisation(modes, steps_per_output, "reference")

    def compute():
        solutions = []
        for refine in (1, 2):
            coefficients = solve(problem, refine * modes, t, refine * steps_per_output)
            u = evaluate(coefficients, refine * modes, problem.domain, x)
            u[0] = problem.initial(x)
            solutions.append(u)
        u, refined = solutions
        return {"u": u, "error": np.array(relative_l2(u, refined)),
                "max_error": np.array(np.max(np.abs(u - refined)))}

    settings = {"problem": problem.name, "modes": modes, "steps_per_output": steps_per_output}
    result = cached(f"{problem.name}-etdrk4", settings, {"t": t, "x": x}, compute, use_cache)
    dt = (t[1] - t[0]) / steps_per_output if t.size > 1 else 0.0
    method = f"Fourier-Galerkin ETDRK4, {modes} modes, dt = {dt:.3g}"
    return Reference(t, x, result["u"], float(result["error"]), float(result["max_error"]),
                     method)


def allen_cahn_reference(t=None, x=None, modes: int = ALLEN_CAHN_MODES,
                         steps_per_output: int = ALLEN_CAHN_STEPS, use_cache: bool = True
                         ) -> Reference:
    """jaxpi's Allen-Cahn on its grid (default) or on (t, x); see `reference`."""
    return reference(ALLEN_CAHN, t, x, modes, steps_per_output, use_cache)


def kdv_reference(t=None, x=None, modes: int = KDV_MODES, steps_per_output: int = KDV_STEPS,
                  use_cache: bool = True) -> Reference:
    """jaxpi's KdV on its grid (default) or on (t, x); see `reference`."""
    return reference(KDV, t, x, modes, steps_per_output, use_cache)


def _check_discretisation(modes, steps_per_output, function: str) -> tuple[int, int]:
    if isinstance(modes, bool) or not isinstance(modes, int | np.integer) or modes < 8 \
            or modes % 2:
        raise ValueError(f"spectral.{function}(modes=...) must be an even integer >= 8 (the "
                         f"Fourier grid size), got {modes!r}.")
    if isinstance(steps_per_output, bool) or not isinstance(
            steps_per_output, int | np.integer) or steps_per_output < 1:
        raise ValueError(f"spectral.{function}(steps_per_output=...) must be a positive "
                         f"integer (ETDRK4 steps between output times), got "
                         f"{steps_per_output!r}.")
    return int(modes), int(steps_per_output)


def _check_times(times, problem: PeriodicProblem, function: str) -> np.ndarray:
    times = np.asarray(times, np.float64).reshape(-1)
    spacing = np.diff(times)
    if (times.size < 1 or times[0] != 0 or times[-1] > problem.t_final * (1 + 1e-12)
            or (times.size > 1 and (np.any(spacing <= 0)
                                    or np.ptp(spacing) > 1e-9 * spacing.mean()))):
        raise ValueError(
            f"spectral.{function}(t=...) for {problem.name} must be evenly spaced times from 0 "
            f"to at most t_final = {problem.t_final}, e.g. np.linspace(0, "
            f"{problem.t_final}, 201); got {_span(times)}.")
    return times


def _check_positions(x, problem: PeriodicProblem) -> np.ndarray:
    x = np.asarray(x, np.float64).reshape(-1)
    a, b = problem.domain
    slack = 1e-12 * problem.length
    if x.size == 0 or not np.all(np.isfinite(x)) or x.min() < a - slack or x.max() > b + slack:
        raise ValueError(f"spectral.reference(x=...) for {problem.name} must lie in the domain "
                         f"[{a}, {b}]; got {_span(x)}.")
    return x


def _span(values: np.ndarray) -> str:
    if values.size == 0:
        return "none"
    return f"{values.size} values in [{values.min()}, {values.max()}]"
