"""Curved (isoparametric P2) triangle meshes of a square with four circular holes.

The domain is PINNacle's Poisson2d-C: the square [-L, L]^2 less the four discs of radius r
centred at (+-a, +-a). The mesh is structured: each quadrant [0, L]^2 (less its disc) is cut by
the four rays from the disc centre to the quadrant's corners into four blocks, each mapped from
the unit square (s along the arc, rho from the circle to the straight side) by

    x(s, rho) = c + (r + rho (R(theta) - r)) (cos theta, sin theta),  theta = theta_0 + s dtheta,

where R(theta) is the distance from the centre to the block's side along the ray. Every node of
the quadratic mesh, edge midpoints included, is placed by this exact map, so the circles are
interpolated to third order and uniform refinement (doubling the cells per block) is nested in
parameter space, which makes Richardson extrapolation meaningful. The other quadrants are mirror
images, so a point is located by reflecting it into the first quadrant and inverting the map in
closed form; `HoledSquareMesh.probes` evaluates a finite element field at arbitrary points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skfem import Basis, MeshTri2

# Cells per block along the arc at level 0 (blocks ordered top, left, bottom, right: their arcs
# span about 101, 79, 79 and 101 degrees), and across the block from the circle to the side.
_ARC_CELLS = (5, 4, 4, 5)
_RADIAL_CELLS = 4
# The four quadrants as sign pairs, counter-clockwise from the first.
_QUADRANTS = ((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0))


@dataclass(frozen=True)
class HoledSquare:
    """Geometry: the square [-half_width, half_width]^2 less four discs at (+-a, +-a).

    `inside(points)` is True for points of the closed domain, (n, 2) -> (n,); `on_circle` and
    `on_square` say which boundary a point lies on (to `tol`).
    """

    half_width: float = 0.5
    hole_offset: float = 0.3
    hole_radius: float = 0.1

    @property
    def centres(self) -> np.ndarray:
        a = self.hole_offset
        return np.array([[a, a], [-a, a], [-a, -a], [a, -a]])

    def inside(self, points: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        points = np.asarray(points, float)
        in_square = np.all(np.abs(points) <= self.half_width + tol, axis=1)
        distance = np.linalg.norm(points[:, None, :] - self.centres[None], axis=2)
        return in_square & np.all(distance >= self.hole_radius - tol, axis=1)

    def on_circle(self, points: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        points = np.asarray(points, float)
        distance = np.linalg.norm(points[:, None, :] - self.centres[None], axis=2)
        return np.any(np.abs(distance - self.hole_radius) <= tol, axis=1)

    def on_square(self, points: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        return np.any(np.abs(np.abs(np.asarray(points, float)) - self.half_width) <= tol, axis=1)

    # --- the block map of the first quadrant -------------------------------------------------

    def _corner_angles(self) -> np.ndarray:
        """Angles from the disc centre to the quadrant corners (L,L), (0,L), (0,0), (L,0)."""
        a, half = self.hole_offset, self.half_width
        corners = np.array([[half, half], [0.0, half], [0.0, 0.0], [half, 0.0]])
        angles = np.arctan2(corners[:, 1] - a, corners[:, 0] - a)
        return np.unwrap(np.append(angles, angles[0]))  # increasing, 5 values

    def _side_distance(self, block: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Distance from the centre along angle theta to the straight side of `block`."""
        a, half = self.hole_offset, self.half_width
        sin, cos = np.sin(theta), np.cos(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            candidates = np.stack([(half - a) / sin, -a / cos, -a / sin, (half - a) / cos])
        return np.take_along_axis(candidates, np.asarray(block)[None], axis=0)[0]

    def block_map(self, block: np.ndarray, s: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """First-quadrant point of parameters (s, rho) in [0, 1]^2 of `block` (0..3), (n, 2)."""
        angles = self._corner_angles()
        block = np.asarray(block)
        theta = angles[block] + np.asarray(s) * (angles[block + 1] - angles[block])
        radius = self.hole_radius + np.asarray(rho) * (
            self._side_distance(block, theta) - self.hole_radius)
        centre = self.hole_offset
        return np.stack([centre + radius * np.cos(theta), centre + radius * np.sin(theta)], axis=1)

    def block_inverse(self, points: np.ndarray):
        """(block, s, rho) of first-quadrant points, the inverse of `block_map`."""
        a = self.hole_offset
        offset = np.asarray(points, float) - a
        angles = self._corner_angles()
        theta = np.arctan2(offset[:, 1], offset[:, 0])
        theta = np.where(theta < angles[0], theta + 2 * np.pi, theta)
        block = np.clip(np.searchsorted(angles, theta, side="right") - 1, 0, 3)
        s = (theta - angles[block]) / (angles[block + 1] - angles[block])
        side = self._side_distance(block, theta)
        rho = (np.linalg.norm(offset, axis=1) - self.hole_radius) / (side - self.hole_radius)
        return block, np.clip(s, 0.0, 1.0), np.clip(rho, 0.0, 1.0)


@dataclass
class HoledSquareMesh:
    """A quadratic triangle mesh of `geometry` (one quadrant or all four) at refinement `level`.

    Attributes:
        geometry: the domain.
        level: cells per block are `_ARC_CELLS * 2**level` by `_RADIAL_CELLS * 2**level`.
        quadrants: 1 (the first quadrant, for symmetric problems) or 4 (the whole domain).
        mesh: the scikit-fem `MeshTri2`.
    """

    geometry: HoledSquare
    level: int
    quadrants: int
    mesh: MeshTri2

    @property
    def arc_cells(self) -> np.ndarray:
        return np.array(_ARC_CELLS) * 2**self.level

    @property
    def radial_cells(self) -> int:
        return _RADIAL_CELLS * 2**self.level

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Index of the element holding each point, (n, 2) -> (n,).

        The element is the one the point lies in in parameter space. The element's isoparametric
        map differs from the exact block map by O(h^3), so a point within that distance of an
        edge may lie just outside its element; the element's polynomials are evaluated there,
        which costs nothing measurable (the field is continuous across edges).
        """
        points = np.asarray(points, float)
        quadrant = np.select([(points[:, 0] >= 0) & (points[:, 1] >= 0), points[:, 1] >= 0,
                              points[:, 0] < 0], [0, 1, 2], 3)
        if self.quadrants == 1 and np.any(quadrant != 0):
            raise ValueError("HoledSquareMesh.locate(points): this mesh covers the first quadrant"
                             " only; reflect the points (abs) or build the mesh with quadrants=4.")
        block, s, rho = self.geometry.block_inverse(np.abs(points))
        arc, radial = self.arc_cells[block], self.radial_cells
        i = np.minimum((s * arc).astype(int), arc - 1)
        j = np.minimum((rho * radial).astype(int), radial - 1)
        upper = (rho * radial - j) > (s * arc - i)
        per_block = 2 * self.arc_cells * radial
        block_offset = np.concatenate([[0], np.cumsum(per_block)])[:-1]
        return quadrant * per_block.sum() + block_offset[block] + 2 * (i * radial + j) + upper

    def local_coordinates(self, points: np.ndarray, element: np.ndarray) -> np.ndarray:
        """Reference coordinates of `points` in `element` by Newton on the isoparametric map.

        Returns (2, n, 1), the layout scikit-fem's `gbasis` takes.
        """
        mapping = self.mesh._mapping()
        target = np.asarray(points, float).T[:, :, None]
        local = np.full(target.shape, 1.0 / 3.0)
        for _ in range(30):
            step = np.einsum("ijkl,jkl->ikl", mapping.invDF(local, element),
                             target - mapping.F(local, element))
            local = local + step
            if np.max(np.abs(step)) < 1e-15:
                break
        # the isoparametric and the exact map differ by O(h^2) in reference units
        outside = np.maximum(-local.min(axis=0), local.sum(axis=0) - 1.0).max()
        if outside > 0.05:
            raise RuntimeError(f"HoledSquareMesh.local_coordinates: a point lies {outside:.1e}"
                               " outside its element (reference units); locate() is wrong.")
        return local

    def probes(self, basis: Basis, points: np.ndarray):
        """Sparse matrix P with P @ field = field at `points`, (n, 2), for a scalar `basis`."""
        element = self.locate(points)
        return element_probes(basis, element, self.local_coordinates(points, element))


def element_probes(basis: Basis, element: np.ndarray, local: np.ndarray):
    """Sparse matrix evaluating a scalar `basis`'s fields at one point per element.

    Args:
        basis: a scalar scikit-fem basis.
        element: (n,) element of each point.
        local: (2, n, 1) the points' reference coordinates in their elements.

    Returns:
        (n, basis.N) CSR matrix P: P @ coefficients are the field's values at the points.
    """
    from scipy.sparse import coo_matrix

    values = np.array([np.asarray(basis.elem.gbasis(basis.mapping, local, k, tind=element)[0])
                       for k in range(basis.Nbfun)])[:, :, 0]
    rows = np.tile(np.arange(len(element)), basis.Nbfun)
    columns = basis.element_dofs[:, element].ravel()
    return coo_matrix((values.ravel(), (rows, columns)),
                      shape=(len(element), basis.N)).tocsr()


def holed_square_mesh(geometry: HoledSquare, level: int, quadrants: int = 4) -> HoledSquareMesh:
    """The curved P2 mesh of `geometry` at refinement `level` (0, 1, 2, ...), see the module doc.

    Args:
        geometry: the domain.
        level: each level halves every cell; level 0 has 144 triangles per quadrant.
        quadrants: 4 for the whole domain, 1 for the first quadrant [0, L]^2 only.

    Returns:
        The mesh with its block structure (for `locate` and `probes`).
    """
    if quadrants not in (1, 4):
        raise ValueError(f"holed_square_mesh(quadrants=...): expected 1 or 4, got {quadrants!r}.")
    if int(level) != level or level < 0:
        raise ValueError(f"holed_square_mesh(level=...): expected an integer >= 0, got {level!r}.")
    radial = _RADIAL_CELLS * 2**level
    nodes, triangles = [], []
    count = 0
    for sx, sy in _QUADRANTS[:quadrants]:
        for block, arc in enumerate(np.array(_ARC_CELLS) * 2**level):
            # the fine grid holds the vertices (even indices) and the edge midpoints
            s, rho = np.meshgrid(np.linspace(0, 1, 2 * arc + 1), np.linspace(0, 1, 2 * radial + 1),
                                 indexing="ij")
            points = geometry.block_map(np.full(s.size, block), s.ravel(), rho.ravel())
            nodes.append(points * [sx, sy])
            index = count + np.arange(s.size).reshape(s.shape)
            count += s.size
            i, j = np.meshgrid(2 * np.arange(arc), 2 * np.arange(radial), indexing="ij")
            i, j = i.ravel(), j.ravel()
            lower = [index[i, j], index[i + 2, j], index[i + 2, j + 2],
                     index[i + 1, j], index[i + 2, j + 1], index[i + 1, j + 1]]
            upper = [index[i, j], index[i + 2, j + 2], index[i, j + 2],
                     index[i + 1, j + 1], index[i + 1, j + 2], index[i, j + 1]]
            # interleave: element 2k is the lower triangle of cell k, 2k + 1 the upper one
            triangles.append(np.stack([np.stack(lower), np.stack(upper)], axis=2).reshape(6, -1))
    nodes = np.concatenate(nodes)
    triangles = np.concatenate(triangles, axis=1)
    nodes, triangles = _merge_duplicates(nodes, triangles)
    return HoledSquareMesh(geometry, level, quadrants,
                           MeshTri2(doflocs=nodes.T, t=_sorted_vertices(triangles)))


def _merge_duplicates(nodes: np.ndarray, triangles: np.ndarray):
    """Merge the copies of nodes shared between blocks and quadrants (closer than 1e-10)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(nodes).query_pairs(1e-10, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                       shape=(len(nodes), len(nodes)))
    _, label = connected_components(graph, directed=False)
    # number the merged nodes in order of first appearance
    _, first = np.unique(label, return_index=True)
    order = np.argsort(first)
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return nodes[first[order]], renumber[label[triangles]]


def _sorted_vertices(triangles: np.ndarray) -> np.ndarray:
    """Reorder each triangle's vertices ascending (edge nodes follow): consistent edge orientation.

    Rows 3, 4, 5 hold the nodes of edges (0, 1), (1, 2), (0, 2), the order scikit-fem expects.
    """
    vertices, edge_nodes = triangles[:3], triangles[3:]
    order = np.argsort(vertices, axis=0)
    # the edge node between local vertices (p, q)
    between = {(0, 1): 0, (1, 0): 0, (1, 2): 1, (2, 1): 1, (0, 2): 2, (2, 0): 2}
    rows = [np.take_along_axis(vertices, order, axis=0)]
    columns = np.arange(triangles.shape[1])
    edge_rows = []
    for p, q in ((0, 1), (1, 2), (0, 2)):
        local_p, local_q = order[p], order[q]
        which = np.select([(local_p == u) & (local_q == v) for u, v in between],
                          [between[key] for key in between])
        edge_rows.append(edge_nodes[which, columns])
    return np.concatenate(rows + [np.stack(edge_rows)]).astype(np.int64)
