"""How much memory each Gauss-Newton solver needs, what the machine has, and which solver
``solver="auto"`` takes.

For N residual rows, P parameters and b bytes per number:

- "dense": the Jacobian J (N·P), the Gramian JᵀJ and its LU factors (2·P²);
- "kernel": J, its column-scaled copy (2·N·P), the kernel matrix J D⁻¹ Jᵀ and its LU (2·N²);
- "cg": a few vectors of N and P and the Nyström basis (P·k); the products' intermediates
  grow with N like one evaluation of the residual, whatever the solver.

The estimates count the solver's own arrays only (the residual's intermediates come on top),
so a refusal never comes from an overestimate.
"""

from __future__ import annotations

import os

import jax

DIRECT_SIZE_LIMIT = 6000  # "auto" factorises at most a 6000 x 6000 matrix (dense or kernel)
AUTO_MEMORY_FRACTION = 0.5  # "auto" takes a direct solver when it needs at most this share


def solver_bytes(solver: str, num_residuals: int, num_params: int, itemsize: int = 8,
                 rank: int = 0) -> int:
    """The bytes of the arrays `solver` allocates per step (see the module)."""
    n, p = num_residuals, num_params
    if solver == "dense":
        return itemsize * (n * p + 2 * p * p)
    if solver == "kernel":
        return itemsize * (2 * n * p + 2 * n * n)
    return itemsize * (8 * (n + p) + 2 * p * max(rank, 1))


def available_bytes() -> int | None:
    """The memory one step may use: the default device's ``bytes_limit`` where it reports
    one (GPU, TPU), else the host's physical memory; None when neither is known."""
    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 - a backend without memory statistics
        stats = {}
    if stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(solver: str, num_residuals: int | None, num_params: int, itemsize: int = 8,
                 available: int | None = None) -> None:
    """Refuse a direct solver whose matrices do not fit in memory, before they are allocated.

    Args:
        solver: "dense" or "kernel" (the others always pass).
        num_residuals: N, or None when not yet known (the P x P Gramian alone is checked).
        num_params: P.
        itemsize: bytes per number (8 in float64).
        available: bytes available (default `available_bytes`).

    Raises:
        ValueError: with the size in GB and the solver to use instead.
    """
    if solver not in ("dense", "kernel") or (solver == "kernel" and num_residuals is None):
        return
    available = available_bytes() if available is None else available
    needed = solver_bytes(solver, num_residuals or 0, num_params, itemsize)
    if available is None or needed <= available:
        return
    n = "N" if num_residuals is None else num_residuals
    if solver == "dense":
        what = f"its {num_params} x {num_params} Gramian and LU factors" + (
            "" if num_residuals is None else f" with the {n} x {num_params} Jacobian")
    else:
        what = f"the {n} x {num_params} Jacobian (twice) and the {n} x {n} kernel matrix"
    instead = "the matrix-free pinn.GaussNewton(steps, solver='cg') (memory of order N + P)"
    if solver == "dense" and num_residuals is not None and num_residuals < num_params:
        kernel = solver_bytes("kernel", num_residuals, num_params, itemsize)
        if kernel <= available:
            instead += f", or solver='kernel' ({kernel / 1e9:.2g} GB: fewer residuals than " \
                "parameters)"
    raise ValueError(
        f"GaussNewton(solver={solver!r}): {what} need {needed / 1e9:.3g} GB, more than the "
        f"{available / 1e9:.3g} GB of memory available ({num_params} parameters"
        f"{'' if num_residuals is None else f', {n} residuals'}). Use {instead}, or a smaller "
        "network or fewer points.")


def choose_solver(num_residuals: int, num_params: int, itemsize: int = 8,
                  available: int | None = None) -> str:
    """The solver ``solver="auto"`` takes for N residuals and P parameters.

    The direct form that factorises the smaller matrix ("dense" when P <= N, "kernel" when
    N < P), if that matrix is at most `DIRECT_SIZE_LIMIT` on a side and its arrays take at most
    `AUTO_MEMORY_FRACTION` of the available memory; "cg" (matrix-free) otherwise.
    """
    direct = "dense" if num_params <= num_residuals else "kernel"
    available = available_bytes() if available is None else available
    needed = solver_bytes(direct, num_residuals, num_params, itemsize)
    fits = available is None or needed <= AUTO_MEMORY_FRACTION * available
    small = min(num_residuals, num_params) <= DIRECT_SIZE_LIMIT
    return direct if fits and small else "cg"


__all__ = ["AUTO_MEMORY_FRACTION", "DIRECT_SIZE_LIMIT", "available_bytes", "check_memory",
           "choose_solver", "solver_bytes"]
