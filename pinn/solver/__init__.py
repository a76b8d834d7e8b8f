"""The solver: `solve` a `pinn.PDE` from parts, and `march` an evolution problem in time windows.

    solution = pinn.solve(problem, network, collocation=pinn.Collocation(interior=2000),
                          stages=[pinn.Adam(2000), pinn.LBFGS(500)], seed=0)

The parts: `Collocation` (which points, how many, resampling, `Refinement`), the loss
weighting (`FixedWeights`, `GradientNormWeights`), the optimizer stages (`Adam`, `LBFGS`,
`BFGS`, `GaussNewton`, any optax transformation as `OptaxStage`; `gauss_newton` and
`quasi_newton` are the optax-style transformations behind `GaussNewton` and `BFGS`), and the
network wrappers `FourierFeatures` and `TimeWindow`. The result is a `Solution`
(`MarchedSolution` for `march`).

Files (private): ``_solve`` (solve and the training of one problem), ``_residuals`` (the
stacked residual vector), ``_collocation`` (the settings and their checkpointed state),
``_sampling`` (the fixed-shape batch: resampling, refinement, weights), ``_stages``,
``_gauss_newton`` (its linear solvers in ``_gn_*``), ``_quasi_newton``, ``_solution``,
``_marching``, ``_networks``, ``_legacy`` (the older keyword form of `solve`, mapped onto the
parts: `parts_from_keywords`, `NEW_SPELLING`).
"""

from pinn.solver._collocation import Collocation, FixedWeights, GradientNormWeights, Refinement
from pinn.solver._gauss_newton import gauss_newton
from pinn.solver._legacy import NEW_SPELLING, parts_from_keywords
from pinn.solver._marching import MarchedSolution, march
from pinn.solver._networks import FourierFeatures, TimeWindow
from pinn.solver._solution import Solution, relative_l2
from pinn.solver._solve import solve
from pinn.solver._quasi_newton import quasi_newton
from pinn.solver._stages import BFGS, LBFGS, Adam, GaussNewton, OptaxStage, Stage

__all__ = [
    "BFGS",
    "NEW_SPELLING",
    "LBFGS",
    "Adam",
    "Collocation",
    "FixedWeights",
    "FourierFeatures",
    "GaussNewton",
    "GradientNormWeights",
    "MarchedSolution",
    "OptaxStage",
    "Refinement",
    "Solution",
    "Stage",
    "TimeWindow",
    "gauss_newton",
    "march",
    "parts_from_keywords",
    "quasi_newton",
    "relative_l2",
    "solve",
]
