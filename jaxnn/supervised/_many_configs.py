"""What the models of `jaxnn.fit_many` are: the grid of settings and who reads each one.

`expand_configs` turns seeds and ``{name: [values]}`` into one settings dict per model (every
combination, or the lists zipped). `_roles` says which part reads each hyperparameter (the
optimizer factory, the model's dropout rate, a keyword of the loss), refusing unknown names and
architecture settings; `_optimizer_for` builds one model's optimizer with its values held in
the optimizer state (`optax.inject_hyperparams`), so that one compiled program serves every
model. All of it runs on the host before anything is traced.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import numpy as np
import optax

from jaxnn.supervised._checks import check_int
from jaxnn.supervised._keras_names import _check_learning_rate

MODEL_HYPERPARAMETERS = ("dropout_rate",)


def _frozen_labels(tree: dict) -> dict:
    """`optax.multi_transform` labels: the parameters train, the hyperparameters stay."""
    return {"params": jax.tree_util.tree_map(lambda _: "train", tree["params"]),
            "hyper": jax.tree_util.tree_map(lambda _: "frozen", tree["hyper"])}


def _check_seeds(seeds: Any) -> list[int]:
    listed = [seeds] if isinstance(seeds, (int, np.integer)) else seeds
    if isinstance(listed, (str, bytes)) or not isinstance(listed, Sequence | np.ndarray):
        raise TypeError(f"fit_many(seeds={seeds!r}): expected an integer or a list of integers, "
                        "e.g. seeds=[0, 1, 2, 3] for an ensemble of four.")
    if len(listed) == 0:
        raise ValueError("fit_many(seeds=[]): expected at least one seed, e.g. seeds=[0]; each "
                         "seed starts one model (per hyperparameter setting).")
    return [check_int(s, f"fit_many(seeds=...) entry {s!r}", maximum=2**63 - 1) for s in listed]


def _check_value(name: str, value: Any, position: int) -> float:
    """The value at `position` of hyperparameter `name`: a real number (a traced float32
    inside the program); a learning rate as `fit` takes it (positive and finite)."""
    entry = f"fit_many(hyperparameters={{{name!r}: [...]}}) entry {position}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"{entry}: the value {value!r} ({type(value).__name__}) cannot be traced; a vmapped "
            "group varies numbers only. Fix other settings in the optimizer factory "
            "(functools.partial(optax.sgd, nesterov=True)) or train one group per setting.")
    if name == "learning_rate":
        try:
            _check_learning_rate(value, "fit_many")  # fit's rule for a rate
        except ValueError:
            effect = ("would run gradient ascent" if value < 0 else "would not train"
                      if value == 0 else "is not a number a step can take")
            raise ValueError(
                f"{entry}: got {value!r}; a learning rate must be a positive finite number "
                f"(this one {effect}), as for jaxnn.fit. Remove it from the grid or replace it "
                "with a positive rate such as 1e-3.") from None
    if not math.isfinite(value):
        raise ValueError(f"{entry}: expected a finite number, got {value!r}.")
    if name == "dropout_rate" and not 0.0 <= value < 1.0:
        raise ValueError(f"{entry}: expected a dropout rate in [0, 1), got {value!r}.")
    return float(value)


def _optimizer_factory(optimizer: Any) -> tuple[Callable, dict]:
    """(factory taking the optimizer hyperparameters as keywords, default keywords)."""
    if optimizer is None:
        return optax.adam, {"learning_rate": 1e-3}
    if callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None)):
        return (lambda: optimizer), {}  # no optimizer hyperparameter varies (see _roles)
    if callable(optimizer):
        return optimizer, {}
    raise TypeError(f"fit_many(optimizer={optimizer!r}): expected an Optax factory such as "
                    "optax.adam or optax.inject_hyperparams(optax.adamw), or None for Adam.")


def _keyword_names(function: Callable, skip: int = 0) -> set[str]:
    try:
        parameters = list(inspect.signature(function).parameters.values())[skip:]
    except (TypeError, ValueError):
        return set()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in kinds}


def _roles(names: Sequence[str], optimizer: Any, model: nn.Module, loss_fn: Callable) -> dict:
    """Which part reads each hyperparameter: ``{"optimizer": [...], "loss": [...], "model":
    [...]}``; unknown names and architecture settings raise here, before anything is traced."""
    factory_names = set()
    if optimizer is None:
        factory_names = _keyword_names(optax.adam)
    elif not callable(getattr(optimizer, "init", None)) and callable(optimizer):
        factory_names = _keyword_names(optimizer)
    loss_names = _keyword_names(loss_fn, skip=3)
    fields = {f.name for f in dataclasses.fields(model)} - {"parent", "name"}
    roles: dict[str, list[str]] = {"optimizer": [], "loss": [], "model": []}
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"fit_many(hyperparameters=...): keys must be names, got {name!r}.")
        if name in MODEL_HYPERPARAMETERS:
            roles["model"].append(name)
        elif name in factory_names:
            roles["optimizer"].append(name)
        elif name in loss_names:
            roles["loss"].append(name)
        elif name in fields:
            raise ValueError(
                f"fit_many(hyperparameters={{{name!r}: ...}}): {type(model).__name__}.{name} "
                "is part of the architecture, which cannot be traced inside one vmapped group "
                "(the parameter shapes or the program change). Pass one model per architecture "
                "instead: fit_many({'small': MLP([32, 2]), 'large': MLP([128, 128, 2])}, ...)."
                + (" For a traced dropout rate use 'dropout_rate'." if name == "dropout" else ""))
        elif optimizer is not None and not factory_names:
            raise TypeError(
                f"fit_many(optimizer=...): got a ready optimizer ({type(optimizer).__name__}), "
                f"but the hyperparameter {name!r} is to be set on it. Pass the factory "
                "instead, e.g. optimizer=optax.adamw (or optax.inject_hyperparams(optax.adamw)) "
                "with hyperparameters={'learning_rate': [...], 'weight_decay': [...]}.")
        else:
            known = sorted(factory_names | loss_names | set(MODEL_HYPERPARAMETERS))
            raise ValueError(
                f"fit_many(hyperparameters={{{name!r}: ...}}): unknown hyperparameter. Known "
                f"here: {known} (the optimizer factory's arguments, 'dropout_rate', and keyword "
                "arguments of a callable loss(outputs, targets, weight, **weights))."
                + (" Use optimizer=optax.adamw for 'weight_decay'." if name == "weight_decay"
                   else ""))
    if roles["model"] and not getattr(model, "dropout", 0) > 0:
        raise ValueError(
            "fit_many(hyperparameters={'dropout_rate': ...}): the model has no dropout layers "
            f"({type(model).__name__}(dropout={getattr(model, 'dropout', None)!r})). Build it "
            "with dropout > 0 (any value: each model's rate replaces it), e.g. "
            "jaxnn.MLP([64, 64, 2], dropout=0.1).")
    return roles


def expand_configs(seeds: Any, hyperparameters: Mapping[str, Any] | None,
                   grid: bool = True) -> list[dict[str, Any]]:
    """The list of model settings ``{"seed": s, name: value, ...}`` that `fit_many` trains.

    With ``grid=True`` every combination (the cartesian product, seeds outermost); with
    ``grid=False`` the lists are zipped and must all have the same length (a single seed or
    a single number is used for every model).
    """
    seeds = _check_seeds(seeds)
    hyperparameters = {} if hyperparameters is None else hyperparameters
    if not isinstance(hyperparameters, Mapping):
        raise TypeError(f"fit_many(hyperparameters={hyperparameters!r}): expected a dict of "
                        "name -> list of values, e.g. {'learning_rate': [1e-3, 1e-2]}.")
    columns: dict[str, list[float]] = {}
    for name, values in hyperparameters.items():
        listed = list(values) if isinstance(values, Sequence | np.ndarray) and not isinstance(
            values, str) else [values]
        if not listed:
            raise ValueError(f"fit_many(hyperparameters={{{name!r}: []}}): expected at least "
                             "one value.")
        columns[name] = [_check_value(name, v, i) for i, v in enumerate(listed)]
    if grid:
        return [{"seed": combo[0], **dict(zip(columns, combo[1:], strict=True))}
                for combo in itertools.product(seeds, *columns.values())]
    lengths = {"seeds": len(seeds), **{name: len(v) for name, v in columns.items()}}
    n = max(lengths.values())
    wrong = {name: length for name, length in lengths.items() if length not in (1, n)}
    if wrong:
        raise ValueError(
            f"fit_many(grid=False): zipped settings need lists of one length; got lengths "
            f"{lengths}. Give every list {n} entries (or a single value for all), or use "
            "grid=True for every combination.")
    seeds = seeds * n if len(seeds) == 1 else seeds
    columns = {name: v * n if len(v) == 1 else v for name, v in columns.items()}
    return [{"seed": seeds[i], **{name: v[i] for name, v in columns.items()}} for i in range(n)]


def _optimizer_for(factory: Callable, defaults: dict, config: dict, names: list[str],
                   params: Any) -> optax.GradientTransformation:
    """The optimizer of one model: the factory with its hyperparameters held in the state
    (`optax.inject_hyperparams`, unless the factory already does), the "hyper" subtree frozen."""
    keywords = {**defaults, **{n: config[n] for n in names}}
    try:
        transformation = factory(**keywords)
        injected = isinstance(transformation.init(params),
                              optax.InjectStatefulHyperparamsState)
        if names and not injected:
            transformation = optax.inject_hyperparams(factory)(**keywords)
    except Exception as error:
        raise TypeError(f"fit_many(optimizer=...): calling the factory with {keywords} "
                        f"failed: {error}. Pass the missing arguments as hyperparameters, e.g. "
                        "{'learning_rate': [1e-3]}.") from error
    return optax.multi_transform({"train": transformation, "frozen": optax.set_to_zero()},
                                 _frozen_labels)
