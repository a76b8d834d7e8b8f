"""Collocation and loss weighting as pieces of `pinn.solve`, and their state in checkpoints.

    pinn.solve(problem,
               collocation=pinn.Collocation(interior=2000, boundary=400, method="sobol",
                                            resample_every=500,
                                            refinement=pinn.Refinement(every=500, add=200)),
               weighting=pinn.GradientNormWeights(boundary=10.0))

`Collocation` and the weightings are settings (plain, immutable); `CollocationPoints` is what a
solve builds from them: the fixed-shape batch, changed between epochs (fresh points, refined
points, weights). Its state (the points, the draw and refinement counters, the weights) is
written next to each training checkpoint (`SolveCheckpoint`), so a killed solve resumes on
the very points an uninterrupted one would have used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from jaxnn import parallel
from jaxnn.training import Checkpoint
from jaxnn.validate import check_int, check_number
from pinn.solver._sampling import CollocationBatch
from pinn.equations import PDE
from pinn.geometry import METHODS
from pinn.solver._residuals import observations

class Refinement:
    """Residual-based adaptive refinement: every `every` steps, add the `add` points of largest
    |residual| among `candidates` random ones, `rounds` times (slots preallocated: no
    recompile)."""

    def __init__(self, every: int = 500, add: int = 200, candidates: int = 20_000,
                 rounds: int = 5):
        self.every = check_int(every, "Refinement(every=...)", minimum=1)
        self.add = check_int(add, "Refinement(add=...)", minimum=1)
        self.candidates = check_int(candidates, "Refinement(candidates=...)", minimum=1)
        self.rounds = check_int(rounds, "Refinement(rounds=...)", minimum=1)
        if self.candidates < self.add:
            raise ValueError(f"Refinement(candidates={candidates}): must be at least add={add} "
                             "(the points are chosen among them).")

    def as_dict(self) -> dict[str, int]:
        """The settings as a dict (the older ``adaptive={...}`` form of `solve`)."""
        return {"every": self.every, "add": self.add, "candidates": self.candidates,
                "rounds": self.rounds}


class Collocation:
    """Where the residual is evaluated.

    Args:
        interior: points inside the domain (a grid takes the count the domain gives, ~this).
        boundary: points per soft boundary condition.
        method: "uniform" (seeded random), "grid", "sobol" or "halton" (quasi-random).
        resample_every: draw fresh points every this many steps (not with "grid").
        refinement: a `Refinement` (or its settings as a dict), or None.
    """

    def __init__(self, interior: int = 2000, boundary: int = 400, method: str = "uniform",
                 resample_every: int | None = None, refinement: Refinement | dict | None = None):
        self.interior = check_int(interior, "Collocation(interior=...)", minimum=1)
        self.boundary = check_int(boundary, "Collocation(boundary=...)", minimum=1)
        if method not in METHODS:
            raise ValueError(f"Collocation(method={method!r}): expected one of {list(METHODS)}.")
        self.method = method
        if resample_every is not None:
            resample_every = check_int(resample_every, "Collocation(resample_every=...)", minimum=1)
            if method == "grid":
                raise ValueError(f"Collocation(resample_every={resample_every}): a grid is the "
                                 "same every time; use method='uniform' (or 'sobol'/'halton') "
                                 "to resample.")
        self.resample_every = resample_every
        if isinstance(refinement, dict):
            unknown = set(refinement) - {"every", "add", "candidates", "rounds"}
            if unknown:
                raise ValueError(f"Collocation(refinement=...): unknown settings "
                                 f"{sorted(unknown)}; expected some of every, add, candidates, "
                                 "rounds.")
            refinement = Refinement(**refinement)
        if refinement is not None and not isinstance(refinement, Refinement):
            raise TypeError(f"Collocation(refinement=...): expected pinn.Refinement(every=..., "
                            f"add=...) or None, got {type(refinement).__name__}.")
        self.refinement = refinement

    def __repr__(self) -> str:
        return (f"Collocation(interior={self.interior}, boundary={self.boundary}, "
                f"method={self.method!r}, resample_every={self.resample_every})")


class FixedWeights:
    """Constant loss weights: ``w_i · mean r_interior² + w_b · Σ mean r_bc² + w_d · Σ mean
    r_data²``."""

    balance = False

    def __init__(self, interior: float = 1.0, boundary: float = 1.0, data: float = 1.0):
        self.interior = check_number(interior, f"{type(self).__name__}(interior=...)", above=0.0)
        self.boundary = check_number(boundary, f"{type(self).__name__}(boundary=...)", above=0.0)
        self.data = check_number(data, f"{type(self).__name__}(data=...)", above=0.0)


class GradientNormWeights(FixedWeights):
    """Fixed weights whose boundary weight is rescaled between epochs by the gradient-norm
    ratio max|∇θ L_interior| / mean|∇θ L_boundary|, a moving average (Wang, Teng & Perdikaris
    2021, Algorithm 1). Without soft boundary conditions there is nothing to balance."""

    balance = True


class CollocationPoints(CollocationBatch):
    """The batch of a solve: `CollocationBatch` plus the observation sets, and its state."""

    def __init__(self, problem: PDE, spec: Collocation, weighting: FixedWeights, seed: int,
                 dtype):
        refinement = spec.refinement.as_dict() if spec.refinement is not None else None
        super().__init__(problem, spec.interior, spec.boundary, spec.method, seed, dtype,
                         {"interior": weighting.interior, "boundary": weighting.boundary},
                         refinement)
        self.data = [(data.points, data.values, data.noise) for data in observations(problem)]
        self.data_weight = weighting.data
        # arrays the batch carries unchanged for the field (`pinn.march`: the earlier windows)
        self.context: dict[str, Any] = {}

    def batch(self, epoch: int = 0) -> dict[str, Any]:
        batch = super().batch(epoch)
        def cast(a):
            return jnp.asarray(a, self.dtype)

        batch["data"] = [tuple(cast(a) for a in arrays) for arrays in self.data]
        batch["weights"]["data"] = [cast(self.data_weight) for _ in self.data]
        batch.update(self.context)
        return batch

    _COUNTERS = ("active", "rounds_done", "last_draw", "last_refine", "draws")

    def state(self) -> dict[str, np.ndarray]:
        """Everything that changes between epochs, as arrays (see `load_state`)."""
        state = {"interior": self.interior.copy(), "mask": self.mask.copy(),
                 "boundary_scale": np.float64(self.boundary_scale)}
        state.update({name: np.int64(getattr(self, name)) for name in self._COUNTERS})
        for i, (points, normals) in enumerate(self.boundary):
            state[f"boundary_points_{i}"], state[f"boundary_normals_{i}"] = points, normals
        return state

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.interior[...] = state["interior"]
        self.mask[...] = state["mask"]
        self.boundary_scale = float(state["boundary_scale"])
        for name in self._COUNTERS:
            setattr(self, name, int(state[name]))
        self.boundary = [(np.asarray(state[f"boundary_points_{i}"]),
                          np.asarray(state[f"boundary_normals_{i}"]))
                         for i in range(len(self.boundary))]


class SolveCheckpoint(Checkpoint):
    """`jaxnn.Checkpoint` that also keeps the collocation state of every saved epoch
    (``collocation_<epoch>.npz`` beside the training checkpoints), written before the training
    state so that every checkpoint has its points, and restored with it."""

    def __init__(self, directory, points: CollocationPoints, keep: int = 3, resume: bool = False,
                 verbose: int = 1) -> None:
        super().__init__(directory, keep=keep, resume=resume, verbose=verbose)
        self.points, self.keep = points, keep
        self.directory = Path(directory)

    def _path(self, epoch: int) -> Path:
        return self.directory / f"collocation_{epoch}.npz"

    def on_train_begin(self, run) -> None:
        super().on_train_begin(run)
        if run.epoch > run.start_epoch:
            path = self._path(run.epoch)
            if not path.exists():
                raise ValueError(f"resume from {self.directory}: the checkpoint after epoch "
                                 f"{run.epoch} has no collocation state ({path.name}); it was "
                                 "not written by pinn.solve. Use a new checkpoint_dir.")
            with np.load(path) as stored:
                self.points.load_state(dict(stored))
            run.data = parallel.place(self.points.batch(), parallel.mesh())

    def _save_points(self, epoch: int) -> None:
        if not parallel.is_main_process():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(epoch)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, **self.points.state())
        os.replace(temporary, path)
        for old in self.directory.glob("collocation_*.npz"):
            number = old.stem.split("_")[-1]
            if number.isdigit() and int(number) < epoch - 2 * self.keep - 2:
                old.unlink(missing_ok=True)

    def on_epoch_end(self, epoch, state, logs):
        if epoch % self.every == 0:
            self._save_points(epoch)
        return super().on_epoch_end(epoch, state, logs)

    def on_train_end(self, result) -> None:
        if result.epochs_run > 0:
            self._save_points(result.epochs_run)
        super().on_train_end(result)


__all__ = ["Collocation", "CollocationPoints", "FixedWeights", "GradientNormWeights",
           "Refinement", "SolveCheckpoint"]
