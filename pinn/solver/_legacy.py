"""The older keyword form of `solve` and `march` (``optimizer="adam+lbfgs"``, ``steps``,
``n_interior``, ``float64=True``, ...), mapped onto the parts in one place.

Each older keyword still works: it is mapped onto the part it describes, one
`DeprecationWarning` per call names the new spelling of every older keyword used, and an error
in an older keyword's value is reported in the words the user wrote (``solve(sampling_method=
'lhs')``, not ``Collocation(method='lhs')``).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import warnings
from collections.abc import Mapping
from typing import Any

import optax

from pinn.equations import PDE
from pinn.solver._collocation import Collocation, FixedWeights, GradientNormWeights
from pinn.solver._stages import (
    BFGS,
    DEFAULT_STEPS,
    GAUSS_NEWTON_SOLVERS,
    LBFGS,
    Adam,
    GaussNewton,
    OptaxStage,
    Stage,
)

# older keyword -> the part it maps onto, written as the user would write it now
NEW_SPELLING = {
    "optimizer": "stages=[pinn.Adam(...), pinn.LBFGS(...)] or stages=[pinn.GaussNewton(...)]",
    "steps": "the step count of each stage, e.g. pinn.Adam(2000)",
    "learning_rate": "pinn.Adam(steps, learning_rate=...)",
    "n_interior": "collocation=pinn.Collocation(interior=...)",
    "n_boundary": "collocation=pinn.Collocation(boundary=...)",
    "sampling_method": "collocation=pinn.Collocation(method=...)",
    "resample_every": "collocation=pinn.Collocation(resample_every=...)",
    "adaptive": "collocation=pinn.Collocation(refinement=pinn.Refinement(...))",
    "weights": "weighting=pinn.FixedWeights(interior=..., boundary=..., data=...)",
    "gradient_weighting": "weighting=pinn.GradientNormWeights(...)",
    "hard_constraints": "pinn.Dirichlet(..., hard=True)",
    "float64": 'dtype="float64"',
    "fourier_features": "model=pinn.FourierFeatures(network, num_features=..., scale=...)",
}
# the part each older keyword belongs to (giving both forms of one part is refused)
_PART = {"optimizer": "stages", "steps": "stages", "learning_rate": "stages",
         "n_interior": "collocation", "n_boundary": "collocation",
         "sampling_method": "collocation", "resample_every": "collocation",
         "adaptive": "collocation", "weights": "weighting", "gradient_weighting": "weighting",
         "float64": "dtype"}
# how a part's own messages name what the older keywords set: (pattern, replacement), the
# replacement's {where} filled with "solve" or "march"
_IN_OLD_WORDS = [
    (r"Collocation\(interior=", "{where}(n_interior="),
    (r"Collocation\(boundary=", "{where}(n_boundary="),
    (r"Collocation\(method=", "{where}(sampling_method="),
    (r"Collocation\(resample_every=", "{where}(resample_every="),
    (r"Collocation\(refinement=", "{where}(adaptive="),
    (r"Refinement\((\w+)=([^)]*)\)", r"{where}(adaptive={{'\1': \2}})"),
    (r"\S+\.with_hard_dirichlet\(\)", "{where}(hard_constraints=True)"),
    (r"keep the conditions soft", "leave hard_constraints=False"),
    (r"(?:Fixed|GradientNorm)Weights\((\w+)=([^)]*)\)", r"{where}(weights={{'\1': \2}})"),
    (r"\bsolve\((?=optimizer=|steps=|learning_rate=)", "{where}("),  # stages_from_names says solve(
    (r"\bmethod='", "sampling_method='"),  # "a grid ...; use method='uniform'" (resample_every)
]


def split_keywords(where: str, legacy: Mapping[str, Any], current: tuple[str, ...] = ()
                   ) -> dict[str, Any]:
    """The older keywords among `legacy` (solve's or march's ``**legacy``); anything else is
    refused as Python refuses an unknown keyword, with the closest of the older keywords and
    the caller's `current` keywords."""
    unknown = [name for name in legacy if name not in NEW_SPELLING]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, [*NEW_SPELLING, *current], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{where}() got an unexpected keyword argument {name!r}.{hint}")
    given = {name: value for name, value in legacy.items() if value is not None}
    if given:
        spellings = "; ".join(f"{name}= -> {NEW_SPELLING[name]}" for name in given)
        warnings.warn(f"{where}: {sorted(given)} are the older keyword form; write the parts "
                      f"instead ({spellings}).", DeprecationWarning, stacklevel=4)
    return given


def _in_old_words(where: str, error: Exception) -> Exception:
    """`error` with the parts' names in its message replaced by the older keywords."""
    message = str(error)
    for pattern, replacement in _IN_OLD_WORDS:
        message = re.sub(pattern, replacement.format(where=where), message)
    return type(error)(message)


def parts_from_keywords(where: str, problem: PDE | None, parts: Mapping[str, Any],
                        old: Mapping[str, Any]) -> tuple[PDE, dict[str, Any]]:
    """(problem, parts) with the older keywords `old` mapped onto the parts: stages,
    collocation, weighting, dtype; ``hard_constraints=True`` marks the problem's one Dirichlet
    condition hard. Giving an older keyword and the part it belongs to is refused."""
    parts = dict(parts)
    for name in old:
        part = _PART.get(name)
        if part is not None and parts.get(part) is not None:
            raise ValueError(f"{where}: {name}= and {part}= describe the same thing; give only "
                             f"{part}= ({NEW_SPELLING[name]}).")
    try:
        if any(_PART.get(name) == "stages" for name in old):
            parts["stages"] = stages_from_names(old.get("optimizer", "adam+lbfgs"),
                                                old.get("steps"), old.get("learning_rate", 1e-3))
        if any(_PART.get(name) == "collocation" for name in old):
            parts["collocation"] = _collocation(where, old)
        if any(_PART.get(name) == "weighting" for name in old):
            parts["weighting"] = _weighting(where, old)
        if old.get("hard_constraints") and problem is not None and problem.hard_dirichlet is None:
            problem = problem.with_hard_dirichlet()
    except (ValueError, TypeError) as error:
        raise _in_old_words(where, error) from None
    if "float64" in old:
        parts["dtype"] = "float64" if old["float64"] else "float32"
    return problem, parts


def _collocation(where: str, old: Mapping[str, Any]) -> Collocation:
    counts = {"n_interior": old.get("n_interior", 2000), "n_boundary": old.get("n_boundary", 400)}
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}({name}={value!r}): expected a positive integer.")
    return Collocation(counts["n_interior"], counts["n_boundary"],
                       old.get("sampling_method", "uniform"), old.get("resample_every"),
                       old.get("adaptive"))


def _weighting(where: str, old: Mapping[str, Any]) -> FixedWeights:
    weights = dict(old.get("weights") or {})
    unknown = set(weights) - {"interior", "boundary", "data"}
    if unknown:
        raise ValueError(f"{where}(weights=...): unknown keys {sorted(unknown)}; expected "
                         "'interior', 'boundary' and/or 'data'.")
    kind = GradientNormWeights if old.get("gradient_weighting") else FixedWeights
    return kind(**weights)


def stages_from_names(optimizer: Any, steps: Any = None, learning_rate: float = 1e-3
                      ) -> list[Stage]:
    """The stages of the older ``optimizer=..., steps=..., learning_rate=...`` form: names
    joined by "+" ("adam+lbfgs", "gauss_newton"), Optax transformations or a list."""
    specs = _stage_specs(optimizer)
    counts = _step_counts(steps, specs, optimizer)
    if not (isinstance(learning_rate, numbers.Real) and math.isfinite(learning_rate)
            and learning_rate > 0):
        raise ValueError(f"solve(learning_rate={learning_rate!r}): expected a positive number.")
    return [_stage(spec, count, learning_rate, optimizer)
            for spec, count in zip(specs, counts, strict=True)]


def _stage_specs(optimizer: Any) -> list:
    if isinstance(optimizer, optax.GradientTransformation):
        return [optimizer]
    if isinstance(optimizer, str):
        return optimizer.replace(" ", "").split("+")
    if isinstance(optimizer, (list, tuple)):
        return list(optimizer)
    raise TypeError(f"solve(optimizer={optimizer!r}): expected a name such as 'adam+lbfgs' "
                    "or 'gauss_newton', an Optax transformation, or a list of those.")


def _step_counts(steps: Any, specs: list, optimizer: Any) -> list:
    if steps is None:
        return [None] * len(specs)
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        if len(specs) != 1:
            raise ValueError(f"solve(steps={steps}): give one step count per stage of "
                             f"{optimizer!r}, e.g. steps=({', '.join(['1000'] * len(specs))}).")
        return [steps]
    if not isinstance(steps, (list, tuple)):
        raise TypeError(f"solve(steps={steps!r}): expected an integer, or one integer per "
                        "optimizer stage.")
    if len(steps) != len(specs):
        raise ValueError(f"solve(steps={list(steps)}): expected {len(specs)} step counts, one "
                         f"per optimizer stage of {optimizer!r}.")
    return list(steps)


def _stage(spec: Any, count: Any, learning_rate: float, optimizer: Any) -> Stage:
    name = "custom" if isinstance(spec, optax.GradientTransformation) else spec
    if name != "custom" and name not in DEFAULT_STEPS:
        raise ValueError(f"solve(optimizer={optimizer!r}): unknown stage {spec!r}; expected "
                         f"stages from {sorted(DEFAULT_STEPS)} joined by '+', or an Optax "
                         "transformation.")
    count = DEFAULT_STEPS.get(name, DEFAULT_STEPS["adam"]) if count is None else count
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise (TypeError if isinstance(count, float) else ValueError)(
            f"solve(steps=...): step counts must be positive integers, got {count!r}.")
    if name == "custom":
        return OptaxStage(spec, count)
    if name == "adam":
        return Adam(count, learning_rate)
    if name == "lbfgs":
        return LBFGS(count)
    if name == "bfgs":
        return BFGS(count)
    return GaussNewton(count, solver=GAUSS_NEWTON_SOLVERS[name])
