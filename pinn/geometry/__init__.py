"""Domains for collocation PDE solvers: membership, sampling, outward normals, distance functions.

Every domain has ``dim``, ``boundary_parts`` (names of boundary pieces a condition can select),
``bounding_box`` (``(lo, hi)``, float64 ``(dim,)``), ``measure``, ``boundary_measure``,
``contains(points)``, ``sample_interior(n, seed, method)``, ``sample_boundary(n, seed, method,
part)`` and ``distance(x, parts)``. Sampling is seeded, vectorised NumPy and returns float64;
``distance`` is pure JAX (jit, vmap, forward and reverse mode) and keeps the input dtype.

Part names: Interval ``left, right``; Rectangle ``left, right, bottom, top``; Box
``x0_min, x0_max, x1_min, ...``; Disk ``circle``; Annulus ``inner, outer``; Polygon ``edge0,
edge1, ...`` (edge i joins vertex i to vertex i+1 in the order given) or ``edge_names``;
SpaceTime (a box space × [t0, t1], time last) the space's parts, then ``initial, final``
(``on=None`` selects every part but ``final``). A set operation has the parts of its first
operand, then those of the second; a name of the second that is already taken gets the first
free suffix ``_2``, ``_3``, ... (two Disks: ``circle, circle_2``).

Distance functions (Sukumar & Srivastava 2022, CMAME 389, 114333) for hard Dirichlet
conditions ``u = g + d(x) N(x)``: d = 0 on the selected parts, d > 0 and smooth inside, largest
value inside about 1. Boxes: products of ``(x_k - a_k)/L_k`` and ``(b_k - x_k)/L_k``
(``4 (x_k - a_k)(b_k - x_k)/L_k²`` when both faces are selected); Disk ``1 - |x-c|²/r²``;
Annulus ``(|x-c|² - r₁²)(r₂² - |x-c|²)`` normalised; Polygon: the R-equivalence ``(Σ 1/φ_i)⁻¹``
of trimmed segment functions φ_i; set operations: the R-function ``d1 + d2 - sqrt(d1² + d2²)``
of the operands' signed functions (with De Morgan signs), or, for a subset of parts, the
R-equivalence of the selected parts' functions trimmed to the domain. Polygons and set
operations are divided by their maximum over 2048 seeded interior points, computed once per part
selection. Set operations that need the outside of a Box of 3+ dimensions raise
NotImplementedError (use a soft condition there).

Counts: "uniform", "sobol" and "halton" give exactly n points. "grid" gives about n: interior
grids are cell midpoints of the bounding box that fall strictly inside (a box: the nearest
product of per-axis counts, n/2 < m < 2n; other shapes: spacing retuned until m is within
0.8 n .. 1.25 n where possible); boundary grids are exact for 2-D shapes that are not set
operations. 1-D boundaries are their end points, once each.

Files, one idea each (private; this package re-exports the public names): ``_base`` (Domain,
BoundarySample, the set operators), ``_boxes`` (Box, Interval, Rectangle), ``_round`` (Disk,
Annulus), ``_polygon`` (Polygon), ``_setops`` (Difference, Union, Intersection), ``_spacetime``
(SpaceTime), ``_distance`` (distance-function pieces), ``_crossings`` (the sweep line that
finds polygon edge crossings), ``_draws`` (sampling helpers), ``_checks`` (checks at the door
and tolerances).
"""

from pinn.geometry._base import BoundarySample, Domain
from pinn.geometry._boxes import Box, Interval, Rectangle
from pinn.geometry._checks import METHODS
from pinn.geometry._polygon import Polygon
from pinn.geometry._round import Annulus, Disk
from pinn.geometry._setops import Difference, Intersection, Union
from pinn.geometry._spacetime import SpaceTime

__all__ = ["METHODS", "Annulus", "BoundarySample", "Box", "Difference", "Disk", "Domain",
           "Intersection", "Interval", "Polygon", "Rectangle", "SpaceTime", "Union"]
