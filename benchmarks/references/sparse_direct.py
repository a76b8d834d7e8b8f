"""Sparse direct solves for the finite-element references: METIS ordering, SuperLU factors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu


def sparse_solver(matrix: sparse.spmatrix) -> Callable[[np.ndarray], np.ndarray]:
    """Factorise `matrix` (square, sparse) and return its solve function.

    METIS nested dissection orders the unknowns (several times less fill than SuperLU's own
    orderings on these systems); SuperLU factorises with weak threshold pivoting, which the
    zero pressure diagonal of the Navier-Stokes systems needs. Each solve does one step of
    iterative refinement. Without pymetis (an optional benchmark dependency) the unknowns keep
    SciPy's reverse Cuthill-McKee order: the same solution, more fill and time.
    """
    matrix = sparse.csr_matrix(matrix)
    graph = (abs(matrix) + abs(matrix.T)).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    try:
        import pymetis
    except ImportError:
        from scipy.sparse.csgraph import reverse_cuthill_mckee

        order = np.asarray(reverse_cuthill_mckee(graph, symmetric_mode=True))
    else:
        order = np.asarray(pymetis.nested_dissection(
            pymetis.CSRAdjacency(graph.indptr, graph.indices))[0])
    factor = splu(matrix[order][:, order].tocsc(), permc_spec="NATURAL", diag_pivot_thresh=0.01,
                  options={"SymmetricMode": True})

    def solve(right_hand_side: np.ndarray) -> np.ndarray:
        solution = np.empty_like(right_hand_side)
        solution[order] = factor.solve(right_hand_side[order])
        residual = right_hand_side - matrix @ solution
        correction = np.empty_like(residual)
        correction[order] = factor.solve(residual[order])
        return solution + correction

    return solve


def constrained_solver(matrix: sparse.spmatrix, fixed: np.ndarray):
    """Factorise `matrix` with the unknowns `fixed` eliminated; return solve(rhs, fixed_values).

    solve(rhs, fixed_values) returns x with (matrix x)[free] = rhs[free] and x[fixed] =
    fixed_values, where free are the other unknowns.
    """
    matrix = sparse.csr_matrix(matrix)
    free = np.setdiff1d(np.arange(matrix.shape[0]), fixed)
    free_rows = matrix[free]
    solve_free = sparse_solver(free_rows[:, free])
    coupling = free_rows[:, fixed]

    def solve(right_hand_side: np.ndarray, fixed_values: np.ndarray) -> np.ndarray:
        x = np.zeros(matrix.shape[0])
        x[fixed] = fixed_values
        x[free] = solve_free(right_hand_side[free] - coupling @ x[fixed])
        return x

    return solve
