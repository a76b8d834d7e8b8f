"""Boundary and initial conditions, and observations: the loss terms beside the PDE residual.

- `Dirichlet` (u = g), `Neumann` (∂u/∂n = g), `Robin` (a u + b ∂u/∂n = g) on the whole boundary
  or on named parts (``on="left"``); ``Dirichlet(g, hard=True)`` is imposed exactly through a
  distance-function ansatz; `blend_dirichlet` makes several hard ones on disjoint parts one.
- `Initial` (u = g) and `InitialRate` (∂u/∂t = v) on the part "initial" of a `pinn.SpaceTime`.
- `OperatorBC` (any ``residual(u, x, n) = g`` written with `pinn.operators`), `Derivative`
  (∂ᵏu/∂x_iᵏ = g) and `Periodic` (the two faces of a box agree; ``hard=True`` through
  `PeriodicEmbedding`, which `periodic_inputs` puts in front of a network).
- `Observations`: measured values ``u(x_i) = v_i``, the data of inverse problems.
- `BoundaryCondition`: the base class of every condition on the boundary.

Files (private): ``_base`` (the base class, Dirichlet, Neumann, Robin, the initial
conditions), ``_operator`` (OperatorBC, Derivative, Periodic), ``_observations``.
"""

from pinn.conditions._base import (
    BoundaryCondition,
    Dirichlet,
    Initial,
    InitialRate,
    Neumann,
    Robin,
    blend_dirichlet,
)
from pinn.conditions._observations import Observations
from pinn.conditions._operator import (
    Derivative,
    OperatorBC,
    Periodic,
    PeriodicEmbedding,
    periodic_inputs,
)

__all__ = [
    "BoundaryCondition",
    "Derivative",
    "Dirichlet",
    "Initial",
    "InitialRate",
    "Neumann",
    "Observations",
    "OperatorBC",
    "Periodic",
    "PeriodicEmbedding",
    "Robin",
    "blend_dirichlet",
    "periodic_inputs",
]
