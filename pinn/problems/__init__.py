"""Named PDE problems with exact or reference solutions: one registry for the CLI, examples,
benchmarks and tests, and the physics models they need.

    spec = pinn.problems.get("poisson2d")
    solution = spec.solve("fast")        # pinn.solve (pinn.march for a marched entry)
    pinn.problems.names()                # every registered name

`bounce` is the false-vacuum bounce model (the potential, the shooting reference profile, the
coupled two-field problem): ``from pinn.problems import bounce``.

`frontier` holds the frontier problems (Burgers, jaxpi's Allen-Cahn and KdV, PINNacle's
Wave1d-C, PNd, Heat2d-MS, Poisson2d-C and NS2d-C, Kovasznay flow), each posed as its source
poses it; `benchmarks/frontier.py` measures them.

Files (private): ``_registry`` (the entries and their solve settings), ``_bounce``,
``_frontier``.
"""

from pinn.problems import _bounce as bounce
from pinn.problems import _frontier as frontier
from pinn.problems._registry import (
    DIFFUSION_C,
    HEAT_ALPHA,
    REGISTRY,
    SOLOVEV_P,
    TOKAMAK,
    ProblemSpec,
    get,
    names,
    register,
    tokamak_boundary,
)

__all__ = ["DIFFUSION_C", "HEAT_ALPHA", "REGISTRY", "SOLOVEV_P", "TOKAMAK", "ProblemSpec",
           "bounce", "frontier", "get", "names", "register", "tokamak_boundary"]
