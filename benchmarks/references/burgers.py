"""Viscous Burgers' equation, exact by the Cole-Hopf transform, evaluated by Gauss-Hermite.

The problem (Raissi, Perdikaris & Karniadakis 2019, the `burgers_shock.mat` of
github.com/maziarraissi/PINNs; the same in jaxpi, PredictiveIntelligenceLab/jaxpi
examples/burgers/models.py, residual `u_t + u * u_x - 0.01 / jnp.pi * u_xx`):

    u_t + u u_x = nu u_xx,   x in [-1, 1], t in [0, 1],   nu = 0.01 / pi,
    u(x, 0) = -sin(pi x),    u(-1, t) = u(1, t) = 0.

Cole-Hopf (Cole 1951; the formula as in Basdevant et al. 1986, Computers & Fluids 14, 23):
u = -2 nu phi_x / phi with phi_t = nu phi_xx and phi(x, 0) = f(x) = exp(-cos(pi x) / (2 pi nu)),
so with the heat kernel

    u(x, t) = -∫ sin(pi (x - eta)) f(x - eta) exp(-eta² / (4 nu t)) d eta
               / ∫ f(x - eta) exp(-eta² / (4 nu t)) d eta.

f is even and 2-periodic, so phi is too and u is odd and 2-periodic: u(±1, t) = 0 holds and the
whole-line formula is the solution on [-1, 1]. With eta = sqrt(4 nu t) s both integrals are
∫ g(s) exp(-s²) ds, done by Gauss-Hermite quadrature. f reaches exp(±1 / (2 pi nu)) = exp(±50),
so the quadrature works with log-weights, `log w_i - cos(pi y_i) / (2 pi nu)`, shifted by their
maximum at each point before exponentiating: nothing overflows and the ratio loses nothing.

The numerator's mass sits where cos(pi y) = -1, far out in the Gaussian at late times (s near
±1/sqrt(4 nu t)); every node that matters lies within |s| < 12 (the exponent is at most 50 above
its value at s = 0), which Gauss-Hermite rules of a few hundred nodes cover. The error estimate
is the change when the node count is doubled (`reference_error`; figures in
benchmarks/references/README.md).
"""

from __future__ import annotations

import numpy as np
from scipy.special import roots_hermite

from .common import Reference, relative_l2

NU = 0.01 / np.pi
NODES = 256  # Gauss-Hermite nodes; `reference_error` doubles them
_CHUNK = 2048  # points per vectorised block (memory: chunk x nodes doubles)


def _check_nodes(nodes, function: str) -> int:
    if isinstance(nodes, bool) or not isinstance(nodes, int | np.integer) or nodes < 2:
        raise ValueError(f"{function}(nodes=...) must be an integer >= 2 (Gauss-Hermite "
                         f"nodes), got {nodes!r}; the default is {NODES}.")
    return int(nodes)


def reference(x, t, nodes: int = NODES, nu: float = NU) -> np.ndarray:
    """Burgers' solution u(x, t) by Cole-Hopf and Gauss-Hermite quadrature, in float64.

    Args:
        x: positions, any shape broadcastable with `t` (the formula holds for all real x;
            the problem's domain is [-1, 1]).
        t: times >= 0, broadcastable with `x`; at t = 0 the result is -sin(pi x) exactly.
        nodes: Gauss-Hermite nodes.
        nu: the viscosity; the problem's is 0.01 / pi.

    Returns:
        u, float64, the broadcast shape of x and t.
    """
    nodes = _check_nodes(nodes, "burgers.reference")
    x, t = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(t, np.float64))
    if np.any(t < 0) or not np.all(np.isfinite(t)) or not np.all(np.isfinite(x)):
        raise ValueError("burgers.reference(x, t) needs finite x and finite t >= 0; got t in "
                         f"[{t.min()}, {t.max()}] and x in [{x.min()}, {x.max()}].")
    s, w = roots_hermite(nodes)
    keep = w > 0  # the outermost weights underflow to 0 and carry nothing
    s, log_w = s[keep], np.log(w[keep])
    flat_x, flat_t = x.reshape(-1), t.reshape(-1)
    u = -np.sin(np.pi * flat_x)
    later = np.flatnonzero(flat_t > 0)
    for start in range(0, later.size, _CHUNK):
        index = later[start:start + _CHUNK]
        y = flat_x[index, None] - np.sqrt(4 * nu * flat_t[index, None]) * s
        exponent = log_w - np.cos(np.pi * y) / (2 * np.pi * nu)
        weight = np.exp(exponent - exponent.max(axis=1, keepdims=True))
        u[index] = -np.sum(np.sin(np.pi * y) * weight, axis=1) / np.sum(weight, axis=1)
    return u.reshape(x.shape)


def grid(nx: int = 256, nt: int = 100, t_final: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """The standard evaluation grid, that of Raissi's `burgers_shock.mat`.

    Args:
        nx: positions, evenly spaced on [-1, 1] (both ends included).
        nt: times, evenly spaced on [0, t_final].
        t_final: the last time; burgers_shock.mat stops at 0.99.

    Returns:
        (t, x): (nt,) and (nx,). jaxpi's burgers.mat is `grid(512, 201, 1.0)`.
    """
    for name, value in (("nx", nx), ("nt", nt)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
            raise ValueError(f"burgers.grid({name}=...) must be an integer >= 2, got {value!r}.")
    if not 0 < t_final <= 1:
        raise ValueError(f"burgers.grid(t_final=...) must lie in (0, 1], the problem's time "
                         f"span, got {t_final!r}.")
    return np.linspace(0.0, t_final, nt), np.linspace(-1.0, 1.0, nx)


def _on_grid(t, x, nodes: int) -> np.ndarray:
    return reference(np.asarray(x)[None, :], np.asarray(t)[:, None], nodes)


def burgers_reference(t=None, x=None, nodes: int = NODES) -> Reference:
    """Burgers' reference on a (t, x) grid with its estimated error (nodes doubled).

    Args:
        t: (nt,) times >= 0; default `grid()`'s.
        x: (nx,) positions; default `grid()`'s.
        nodes: Gauss-Hermite nodes of the returned solution.

    Returns:
        Reference(t, x, u (nt, nx), error, max_error, method): error is the relative L2
        change and max_error the largest change over the grid when the nodes are doubled.
    """
    default_t, default_x = grid()
    t = default_t if t is None else np.asarray(t, np.float64).reshape(-1)
    x = default_x if x is None else np.asarray(x, np.float64).reshape(-1)
    u = _on_grid(t, x, nodes)
    refined = _on_grid(t, x, 2 * _check_nodes(nodes, "burgers_reference"))
    return Reference(t, x, u, relative_l2(u, refined), float(np.max(np.abs(u - refined))),
                     f"Cole-Hopf, {nodes} Gauss-Hermite nodes")


def reference_error(t=None, x=None, nodes: int = NODES) -> float:
    """The estimated relative L2 error of `reference(..., nodes)` on a grid (default
    `grid()`): its change when the Gauss-Hermite nodes are doubled. The largest pointwise
    change is `burgers_reference(t, x, nodes).max_error`."""
    return burgers_reference(t, x, nodes).error
