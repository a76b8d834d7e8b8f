"""Round domains: Disk and Annulus."""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry._base import Domain
from pinn.geometry._checks import _check_extent, _real, _vector


class _Round(Domain):
    """Disks and rings about `center`; boundary points by angle 2πu."""

    dim = 2

    def _radius_squared(self, x: jax.Array) -> jax.Array:
        return jnp.sum((x - jnp.asarray(self.center, x.dtype)) ** 2, axis=1)

    @staticmethod
    def _radial(u: np.ndarray) -> np.ndarray:
        return np.column_stack([np.cos(2 * np.pi * u[:, 0]), np.sin(2 * np.pi * u[:, 0])])


class Disk(_Round):
    """The disk |x - center| <= radius. Part: ``circle``."""

    boundary_parts = ("circle",)

    def __init__(self, center: Sequence[float], radius: float):
        self.center = _vector(center, "Disk(center=...)", length=2)
        self.radius = _real(radius, "Disk(radius=...)")
        if self.radius <= 0:
            raise ValueError(f"Disk(radius={radius}): expected a positive radius.")
        if self.radius**2 == 0:  # its area (and the distance function's 1/r²) underflows
            raise ValueError(f"Disk(radius={radius}): the radius is so small that its square "
                             "underflows to 0 in float64; scale the problem so the radius is "
                             "at least about 1e-150.")
        _check_extent(*self.bounding_box, "Disk(center, radius)")

    def __repr__(self) -> str:
        return f"Disk(center={tuple(self.center.tolist())}, radius={self.radius})"

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest axis-aligned box holding the domain: ``(lo (dim,), hi (dim,))``."""
        return self.center - self.radius, self.center + self.radius

    @property
    def measure(self) -> float:
        """Length (1-D), area (2-D), volume (3-D), ... of the domain."""
        return math.pi * self.radius**2

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        return self.radius - np.linalg.norm(points - self.center, axis=1)

    def _part_measures(self) -> np.ndarray:
        return np.array([2 * math.pi * self.radius])

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normals = self._radial(u)
        return self.center + self.radius * normals, normals

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        return 1 - self._radius_squared(x) / self.radius**2

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        """|R² - ρ²| / (2R): the distance to the circle to first order (slope 1 there)."""
        return jnp.abs(self.radius**2 - self._radius_squared(x)) / (2 * self.radius)


class Annulus(_Round):
    """The ring inner_radius <= |x - center| <= outer_radius. Parts: ``inner``, ``outer``."""

    boundary_parts = ("inner", "outer")

    def __init__(self, center: Sequence[float], inner_radius: float, outer_radius: float):
        self.center = _vector(center, "Annulus(center=...)", length=2)
        self.inner_radius = _real(inner_radius, "Annulus(inner_radius=...)")
        self.outer_radius = _real(outer_radius, "Annulus(outer_radius=...)")
        if not 0 < self.inner_radius < self.outer_radius:
            raise ValueError(f"Annulus(inner_radius={inner_radius}, outer_radius={outer_radius})"
                             ": expected 0 < inner_radius < outer_radius (use Disk for no hole).")
        _check_extent(*self.bounding_box, "Annulus(center, outer_radius)")

    def __repr__(self) -> str:
        return (f"Annulus(center={tuple(self.center.tolist())}, inner_radius="
                f"{self.inner_radius}, outer_radius={self.outer_radius})")

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest axis-aligned box holding the domain: ``(lo (dim,), hi (dim,))``."""
        return self.center - self.outer_radius, self.center + self.outer_radius

    @property
    def measure(self) -> float:
        """Length (1-D), area (2-D), volume (3-D), ... of the domain."""
        return math.pi * (self.outer_radius**2 - self.inner_radius**2)

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        rho = np.linalg.norm(points - self.center, axis=1)
        return np.minimum(rho - self.inner_radius, self.outer_radius - rho)

    def _part_measures(self) -> np.ndarray:
        return 2 * math.pi * np.array([self.inner_radius, self.outer_radius])

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        radial = self._radial(u)
        radius = np.where(part == 0, self.inner_radius, self.outer_radius)[:, None]
        return self.center + radius * radial, np.where(part[:, None] == 0, -radial, radial)

    def _rings(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """((ρ² - r₁²), (r₂² - ρ²)) / (r₂² - r₁²): zero on the inner / the outer circle."""
        squared, r1, r2 = self._radius_squared(x), self.inner_radius**2, self.outer_radius**2
        return (squared - r1) / (r2 - r1), (r2 - squared) / (r2 - r1)

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        inner, outer = self._rings(x)
        return 4 * inner * outer if all(mask) else (inner if mask[0] else outer)

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        """|r_k² - ρ²| / (2 r_k): the distance to circle k to first order (slope 1 there)."""
        radius = (self.inner_radius, self.outer_radius)[part]
        return jnp.abs(radius**2 - self._radius_squared(x)) / (2 * radius)

