"""The equations: the general `PDE` (any residual written with `pinn.operators`, scalar or a
system of named `Fields`, with `Unknown` coefficients for inverse problems) and the classical
`Laplace`, `Poisson` and `Helmholtz`.

Sign conventions (written once, in ``_pde``): Laplace Δu = 0; Poisson -Δu = f; Helmholtz
Δu + k²u = f (DeepXDE writes -Δu - k²u = f: the same equation with f -> -f).

Files (private): ``_pde`` (PDE, Laplace, Poisson, Helmholtz), ``_unknown`` (Unknown and its
checks). `Fields` is defined in `pinn.fields`, shared with the conditions.
"""

from pinn.equations._pde import PDE, Helmholtz, Laplace, Poisson
from pinn.equations._unknown import Unknown, initial_values
from pinn.fields import Fields

__all__ = ["PDE", "Fields", "Helmholtz", "Laplace", "Poisson", "Unknown", "initial_values"]
