"""What `jaxnn.fit_many` returns: every model's parameters and history, the best model, a table.

`ManyResult` holds the models of one architecture (parameters stacked along a leading model
axis); `GridResult` holds one `ManyResult` per architecture and ranks them together.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import jax
import numpy as np

from jaxnn.training import EarlyStopping

_BOOKKEEPING = ("epoch", "time")


class Best(NamedTuple):
    """The model chosen by the selection metric: its position, parameters, settings, score;
    `architecture` names its group in a `GridResult` (None for a `ManyResult`)."""

    index: int
    params: Any
    config: dict
    score: float
    architecture: str | None = None


def _mode(select: str) -> str:
    """"max" for accuracy/auc/f1/precision/recall logs, else "min" (EarlyStopping's rule)."""
    return EarlyStopping(monitor=select).mode


def _best_position(scores: list[float], usable: list[bool], mode: str) -> int:
    """Index of the best finite score among the usable models (all models if none is)."""
    candidates = [i for i, ok in enumerate(usable) if ok and math.isfinite(scores[i])]
    if not candidates:
        candidates = [i for i, s in enumerate(scores) if math.isfinite(s)] or [0]
    sign = 1.0 if mode == "min" else -1.0
    return min(candidates, key=lambda i: sign * scores[i])


def format_table(rows: list[dict], best: int | None = None) -> str:
    """Rows of ``{column: value}`` as aligned text; the row at position `best` marked ``*``."""
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]

    def text(value):
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    cells = [[text(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(columns)]
    lines = ["  " + "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    for i, row in enumerate(cells):
        mark = "* " if i == best else "  "
        lines.append(mark + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


@dataclasses.dataclass
class ManyResult:
    """The models `jaxnn.fit_many` trained together (one architecture).

    Attributes:
        model: the Module they share.
        configs: per model ``{"seed": s, hyperparameter: value, ...}``.
        params: the parameters, every leaf with a leading model axis ``(N, ...)``: the best
            epoch's where early stopping restored them, the last finite ones where the loss
            went non-finite, else the last. `model_params(i)` gives one model's.
        histories: per model the per-epoch lists, as `jaxnn.TrainResult.history`.
        state: the stacked final `jaxnn.TrainState` (parameters ``{"params", "hyper"}``).
        epochs_run: ``(N,)`` epochs each model trained.
        stop_reasons: per model None (ran all epochs) or why it stopped.
        nonfinite: per model None or ``(epoch, step)`` where its loss became non-finite.
        best_epochs: per model the epoch early stopping restored, or None.
        select: the log that ranks the models (`best`, `scores`).
        compile_seconds, seconds: compilation time and wall time of the whole call.
        stop_reason: why the whole run stopped early (a callback asked, a checkpoint could not
            be saved), or None.
    """

    model: Any
    configs: list[dict]
    params: Any
    histories: list[dict[str, list]]
    state: Any
    epochs_run: np.ndarray
    stop_reasons: list[str | None]
    nonfinite: list[tuple[int, int] | None]
    best_epochs: list[int | None]
    select: str
    compile_seconds: float = 0.0
    seconds: float = 0.0
    stop_reason: str | None = None

    def __len__(self) -> int:
        return len(self.configs)

    def model_params(self, index: int) -> Any:
        """The parameters of model `index` (no model axis), for `jaxnn.predict` and friends."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"ManyResult.model_params({index}): there are {len(self)} models.")
        return jax.tree_util.tree_map(lambda leaf: leaf[index], self.params)

    def history(self, name: str) -> np.ndarray:
        """``(N, max epochs)`` array of log `name`, NaN after a model stopped."""
        if not any(name in h for h in self.histories):
            known = sorted({k for h in self.histories for k in h})
            raise KeyError(f"ManyResult.history({name!r}): no such log; the logs are {known}.")
        length = max((len(h.get(name, ())) for h in self.histories), default=0)
        out = np.full((len(self), length), np.nan)
        for i, h in enumerate(self.histories):
            values = h.get(name, [])
            out[i, : len(values)] = values
        return out

    def logs(self, index: int) -> dict[str, float]:
        """The logs of model `index` at the epoch its parameters come from."""
        history = self.histories[index]
        if not history.get("epoch"):
            return {}
        epoch = self.best_epochs[index] or history["epoch"][-1]
        position = history["epoch"].index(epoch)
        return {k: v[position] for k, v in history.items() if k not in _BOOKKEEPING}

    @property
    def mode(self) -> str:
        """"min" or "max": how `select` ranks."""
        return _mode(self.select)

    @property
    def scores(self) -> np.ndarray:
        """``(N,)`` each model's `select` log at the epoch its parameters come from."""
        return np.array([self.logs(i).get(self.select, np.nan) for i in range(len(self))])

    @property
    def best(self) -> Best:
        """The best model by `select` (models that went non-finite only if all did)."""
        scores = self.scores.tolist()
        index = _best_position(scores, [n is None for n in self.nonfinite], self.mode)
        return Best(index, self.model_params(index), dict(self.configs[index]), scores[index])

    def rows(self) -> list[dict]:
        """One row per model: settings, epochs, the logs at its kept epoch, how it stopped."""
        rows = []
        for i, config in enumerate(self.configs):
            stop = "nonfinite" if self.nonfinite[i] else (
                "early" if self.stop_reasons[i] else "")
            rows.append({"model": i, **config, "epochs": int(self.epochs_run[i]),
                         **self.logs(i), "stop": stop})
        return rows

    def table(self) -> str:
        """The grid as text: one line per model (settings -> logs), the best marked ``*``."""
        return format_table(self.rows(), self.best.index)

    def __repr__(self) -> str:
        best = self.best
        return (f"ManyResult({len(self)} models, best #{best.index} {best.config} "
                f"{self.select}={best.score:.4g})")


@dataclasses.dataclass
class GridResult:
    """`jaxnn.fit_many` over a dict of architectures: ``groups[name]`` is each one's
    `ManyResult`; `best` and `table` rank all models together."""

    groups: dict[str, ManyResult]

    @property
    def select(self) -> str:
        """The validation metric that ranks the models (the same in every group)."""
        return next(iter(self.groups.values())).select

    def rows(self) -> list[dict]:
        """`ManyResult.rows` of every group, each with an ``architecture`` column first."""
        return [{"architecture": name, **row} for name, group in self.groups.items()
                for row in group.rows()]

    @property
    def best(self) -> Best:
        """The best model over all architectures (its `architecture` names the group)."""
        entries = [(name, i, score, group.nonfinite[i] is None)
                   for name, group in self.groups.items() for i, score in
                   enumerate(group.scores.tolist())]
        position = _best_position([e[2] for e in entries], [e[3] for e in entries],
                                  _mode(self.select))
        name, index = entries[position][:2]
        group = self.groups[name]
        return Best(index, group.model_params(index), dict(group.configs[index]),
                    entries[position][2], name)

    def table(self) -> str:
        """All architectures' models as one text table, the best marked ``*``."""
        best = self.best
        rows = self.rows()
        position = next(i for i, row in enumerate(rows)
                        if row["architecture"] == best.architecture and row["model"] == best.index)
        return format_table(rows, position)


__all__ = ["Best", "GridResult", "ManyResult", "format_table"]
