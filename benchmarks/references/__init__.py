"""Reference solutions for the frontier problems (`benchmarks/frontier.py`), computed and checked
here.

- `burgers`: viscous Burgers (nu = 0.01 / pi, u0 = -sin pi x), exact by Cole-Hopf with
  Gauss-Hermite quadrature.
- `spectral`: a Fourier pseudo-spectral ETDRK4 solver in float64, with jaxpi's Allen-Cahn and
  KdV.
- `compare_jaxpi.py`: measures jaxpi's published data files against these.
- `pinnacle`: PINNacle's problems as its repository defines them (Wave1d-C, PNd, Heat2d-MS,
  NS2d-C, Poisson2d-C) and Kovasznay flow, with their exact solutions and evaluation points.
- `fem`: scikit-fem references for Poisson2d-C (P3 on curved meshes) and NS2d-C (Taylor-Hood
  with Newton), refined until the change is small; `PUBLISHED.md`: the published figures.

The 1-D references come as a `Reference(t, x, u, error, max_error, method)`, `u` of shape
(nt, nx), with its own error estimated by refinement. NumPy and SciPy only (benchmark
dependencies): nothing in jaxnn or pinn imports this package. Run from `benchmarks/` on the path:

    from references import burgers_reference, allen_cahn_reference, kdv_reference
    t, x, u, error, max_error, method = allen_cahn_reference()
"""

from .burgers import burgers_reference
from .common import Reference, cache_dir, relative_l2
from .spectral import allen_cahn_reference, kdv_reference

__all__ = [
    "Reference",
    "allen_cahn_reference",
    "burgers_reference",
    "cache_dir",
    "kdv_reference",
    "relative_l2",
]
