"""Space-time domains: a spatial box times a time interval, with time the last coordinate."""

from __future__ import annotations

from typing import Any

from pinn.geometry._base import Domain
from pinn.geometry._boxes import Box
from pinn.geometry._checks import _real


class SpaceTime(Box):
    """``SpaceTime(space, t0, t1)``: the domain space × [t0, t1], points ``(x..., t)``.

    Time is the LAST coordinate, so ``dim = space.dim + 1`` and a residual reads u_t as
    ``pinn.operators.partial(u, space.dim)``. The space is a box (`pinn.Interval`,
    `pinn.Rectangle` or `pinn.Box`); the product is then a box too and shares its sampling and
    distance functions.

    Parts: the space's own parts (Interval ``left, right``; Rectangle ``left, right, bottom,
    top``; Box ``x0_min, ...``) as the lateral faces, then ``initial`` (t = t0, normal -e_t)
    and ``final`` (t = t1, normal +e_t). A condition on the whole boundary (``on=None``, and
    ``distance(x, parts=None)``) means every part but ``final``: an evolution problem is given
    its initial and boundary values, never its end state. Name ``"final"`` to select it.

    Example, the heat equation u_t = α u_xx on [0, 1] × [0, 1]::

        domain = pinn.SpaceTime(pinn.Interval(0.0, 1.0), 0.0, 1.0)
        heat = lambda u, x: partial(u, 1)(x) - alpha * partial(u, 0, 2)(x)
        problem = pinn.PDE(domain, heat, bcs=[pinn.Dirichlet(0.0, on=["left", "right"]),
                                              pinn.Initial(lambda x: jnp.sin(jnp.pi * x[0]))])
    """

    def __init__(self, space: Domain, t0: float, t1: float):
        space = _box_space(space)
        t0, t1 = _real(t0, "SpaceTime(t0=...)"), _real(t1, "SpaceTime(t1=...)")
        if t1 <= t0:
            raise ValueError(f"SpaceTime(t0={t0}, t1={t1}): expected t1 > t0 (a time interval "
                             "of positive length), got t1 <= t0; swap or widen the times.")
        self.space, self.t0, self.t1 = space, t0, t1
        self._names = (*space.boundary_parts, "initial", "final")
        lo, hi = space.bounding_box
        super().__init__([*lo, t0], [*hi, t1])

    def __repr__(self) -> str:
        return f"SpaceTime({self.space!r}, {self.t0}, {self.t1})"

    def _part_mask(self, part: Any, argument: str) -> tuple[bool, ...]:
        if part is None:  # the whole boundary of an evolution problem: all but the end state
            return tuple(name != "final" for name in self.boundary_parts)
        return super()._part_mask(part, argument)


def _box_space(space: Any) -> Box:
    """The spatial domain of a SpaceTime: a box that is not itself a space-time domain."""
    if not isinstance(space, Domain):
        raise TypeError(f"SpaceTime(space=...): expected a pinn domain for the space, such as "
                        f"pinn.Interval(0.0, 1.0), got {type(space).__name__} {space!r:.60}.")
    if isinstance(space, SpaceTime):
        raise TypeError(f"SpaceTime(space=...): expected a spatial domain, got {space!r}, "
                        "already a space-time domain; pass its space, "
                        "SpaceTime(domain.space, t0, t1).")
    if not isinstance(space, Box):
        raise TypeError(f"SpaceTime(space=...): supported spaces are boxes (pinn.Interval, "
                        f"pinn.Rectangle, pinn.Box), got {space!r}; disks, polygons and set "
                        "operations are not supported as spaces yet. Use a box space, or "
                        "solve the steady problem on that shape.")
    return space
