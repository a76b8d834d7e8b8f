"""Many models at once: N models of one architecture trained as one compiled program.

`fit_many` trains a deep ensemble (different seeds), a hyperparameter scan (learning rate,
weight decay, dropout rate, loss weights) or a grid of both in one call. It is `jaxnn.fit`'s
loop (`jaxnn.training.Program` with ``models=True``): the compiled chunk of epochs is
`jax.vmap`-ed over the parameters, the optimizer state, the early-stopping state and the PRNG
key of each model, and the hyperparameters are traced values inside them, so one compilation
serves every value:

- optimizer hyperparameters live in the optimizer state (`optax.inject_hyperparams`);
- the dropout rate and loss weights ride along the parameters as a frozen ``"hyper"`` subtree
  (zero gradient, zero update: `optax.multi_transform` with `optax.set_to_zero`), read by the
  objective on every step.

Each model runs exactly as `jaxnn.fit` would run it alone with the same seed and values (same
initialization, batch order, dropout masks): a model that stops early keeps its best
parameters while the others train on, and a model whose loss turns non-finite is stopped at
its last finite parameters without touching the others. A grid over architectures (a dict of
models) runs one vmapped program per architecture.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec

from jaxnn import losses as losses_lib
from jaxnn import parallel
from jaxnn.supervised._checks import (
    check_auc,
    check_batch_size,
    check_int,
    check_metrics,
    check_model,
    check_output_activation,
    check_pair,
    check_sample_weight,
    check_targets,
)
from jaxnn.training import (
    MAX_EPOCHS_PER_CALL,
    WAKE_SECONDS,
    EarlyStopping,
    Program,
    check_logs,
    fresh_copy,
)
from jaxnn.supervised._many_result import GridResult, ManyResult
from jaxnn.supervised._objectives import SupervisedObjective, SupervisedValidation, decision_threshold
from jaxnn.training import Carry, TrainState, init_params, prng_key
from jaxnn.supervised._fit import (
    _auto_batch_size,
    _output_shape,
    _split_validation,
    _validation_arrays,
)
from jaxnn.supervised._uncertainty import dropout_rate_override

MODEL_HYPERPARAMETERS = ("dropout_rate",)


# ----------------------------------------------------------------------------- the objective


def _frozen_labels(tree: dict) -> dict:
    """`optax.multi_transform` labels: the parameters train, the hyperparameters stay."""
    return {"params": jax.tree_util.tree_map(lambda _: "train", tree["params"]),
            "hyper": jax.tree_util.tree_map(lambda _: "frozen", tree["hyper"])}


@dataclasses.dataclass(frozen=True)
class ManyObjective:
    """``(tree, batch, key) -> (loss, aux)`` of one model, ``tree = {"params", "hyper"}``.

    `jaxnn.supervised._objectives.SupervisedObjective` on ``tree["params"]``, with the traced dropout rate
    (``hyper["dropout_rate"]``) and loss keyword arguments (``hyper[name]`` for each name in
    `loss_arguments`) of this model."""

    model: nn.Module
    loss_fn: Callable
    metrics: tuple[str, ...]
    threshold: float
    loss_arguments: tuple[str, ...]

    def __call__(self, tree, batch, key):
        hyper = jax.lax.stop_gradient(tree["hyper"])
        objective = SupervisedObjective(self.model, _bound_loss(self.loss_fn, hyper,
                                                                self.loss_arguments),
                                        self.metrics, self.threshold)
        with dropout_rate_override(hyper.get("dropout_rate")):
            return objective(tree["params"], batch, key)


@dataclasses.dataclass(frozen=True)
class ManyValidation:
    """`jaxnn.supervised._objectives.SupervisedValidation` of one model's ``tree["params"]`` (dropout off;
    the loss with this model's loss keyword arguments)."""

    validation: SupervisedValidation
    loss_arguments: tuple[str, ...]

    def __call__(self, tree, data):
        loss_fn = _bound_loss(self.validation.loss_fn, tree["hyper"], self.loss_arguments)
        return dataclasses.replace(self.validation, loss_fn=loss_fn)(tree["params"], data)


def _bound_loss(loss_fn: Callable, hyper: Mapping, names: tuple[str, ...]) -> Callable:
    if not names:
        return loss_fn
    return functools.partial(loss_fn, **{name: hyper[name] for name in names})


# ------------------------------------------------------------------- configurations and checks


def _check_seeds(seeds: Any) -> list[int]:
    listed = [seeds] if isinstance(seeds, (int, np.integer)) else seeds
    if isinstance(listed, (str, bytes)) or not isinstance(listed, Sequence | np.ndarray):
        raise TypeError(f"fit_many(seeds={seeds!r}): expected an integer or a list of integers, "
                        "e.g. seeds=[0, 1, 2, 3] for an ensemble of four.")
    if len(listed) == 0:
        raise ValueError("fit_many(seeds=[]): expected at least one seed, e.g. seeds=[0]; each "
                         "seed starts one model (per hyperparameter setting).")
    return [check_int(s, f"fit_many(seeds=...) entry {s!r}", maximum=2**63 - 1) for s in listed]


def _check_value(name: str, value: Any) -> float:
    """One hyperparameter value: a real number (a traced float32 inside the program)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"fit_many(hyperparameters={{{name!r}: ...}}): the value {value!r} "
            f"({type(value).__name__}) cannot be traced; a vmapped group varies numbers only. "
            "Fix other settings in the optimizer factory (functools.partial(optax.sgd, "
            "nesterov=True)) or train one group per setting.")
    if not math.isfinite(value):
        raise ValueError(f"fit_many(hyperparameters={{{name!r}: ...}}): expected finite "
                         f"numbers, got {value!r}.")
    if name == "dropout_rate" and not 0.0 <= value < 1.0:
        raise ValueError(f"fit_many(hyperparameters={{'dropout_rate': ...}}): expected rates in "
                         f"[0, 1), got {value!r}.")
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
        columns[name] = [_check_value(name, v) for v in listed]
    if grid:
        return [{"seed": combo[0], **dict(zip(columns, combo[1:]))}
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


# ------------------------------------------------------------------------------ data (as fit)


@dataclasses.dataclass
class _Prepared:
    loss_fn: Callable
    metrics: tuple[str, ...]
    threshold: float
    train: dict
    validation: dict | None
    chunk: int
    batch_size: int | None
    x_sample: np.ndarray
    output_shape: tuple


def _prepare(model, data, loss, metrics, batch_size, validation_data, validation_split,
             sample_weight, seed) -> _Prepared:
    """`fit`'s checks at the door and its validation split (drawn once, with the first seed,
    so every model is compared on the same held-out samples)."""
    check_model(model, "fit_many", needs_init=True)
    x, y = check_pair(data, "fit_many(data=...)")
    loss_fn = losses_lib.get_loss(loss)
    metrics = check_metrics(metrics)
    check_output_activation(model, loss_fn)
    weight = check_sample_weight(sample_weight, len(x), "fit_many")
    x, y, weight, held = _split_validation(x, y, weight, validation_data, validation_split, seed)
    if batch_size == "auto":
        batch_size = _auto_batch_size(len(x), None)
    check_batch_size(batch_size, len(x), "fit_many")
    try:
        params = jax.eval_shape(model.init, jax.random.PRNGKey(seed), x[:1])
    except Exception as error:
        cause = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        raise ValueError(f"fit_many(data=...) x: model.init failed on a sample of shape "
                         f"{x[:1].shape}: {cause}") from error
    output_shape = _output_shape(model, params, x, "fit_many(data=...) x")
    y = check_targets(loss_fn, y, output_shape, "fit_many(data=...) y")
    validation, chunk = None, 0
    if held is not None:
        x_val, y_val, w_val = held
        if x_val.shape[1:] != x.shape[1:]:
            raise ValueError(f"fit_many(validation_data=...): x has samples of shape "
                             f"{x_val.shape[1:]}, the training x has {x.shape[1:]}. Both need "
                             "the same features.")
        y_val = check_targets(loss_fn, y_val, output_shape, "fit_many(validation_data=...) y")
        check_auc(metrics, y_val, w_val, output_shape[-1], "fit_many(metrics=...)")
        validation, chunk = _validation_arrays(x_val, y_val, w_val, 1)
    return _Prepared(loss_fn, metrics, decision_threshold(model, loss_fn),
                     {"x": x, "y": y, "weight": weight}, validation, chunk, batch_size, x[:1],
                     output_shape)


# ------------------------------------------------------------------------------ the training


def fit_many(
    model: nn.Module | Mapping[str, nn.Module],
    data: tuple[Any, Any],
    *,
    loss: str | Callable = "softmax_cross_entropy",
    optimizer: Any = None,
    seeds: int | Sequence[int] = (0,),
    hyperparameters: Mapping[str, Any] | None = None,
    grid: bool = True,
    epochs: int = 10,
    batch_size: int | str | None = "auto",
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[str] = ("accuracy",),
    early_stopping: EarlyStopping | None = None,
    select: str | None = None,
    sample_weight: Any = None,
    verbose: int = 0,
) -> ManyResult | GridResult:
    """Train many models of one architecture as one compiled program (`jax.vmap` over models).

    Args:
        model: a flax.linen Module, or a dict ``{name: model}`` for a grid over architectures
            (one vmapped program per architecture; returns a `GridResult`).
        data: ``(x: (n, ...), y)`` as for `jaxnn.fit`.
        loss: as for `jaxnn.fit`; a callable ``loss(outputs, targets, weight, **weights)``
            exposes its keyword arguments (e.g. loss weights) as hyperparameters.
        optimizer: an Optax factory whose keyword arguments are hyperparameters, e.g.
            ``optax.adamw`` or ``optax.inject_hyperparams(optax.adamw)`` (default: Adam,
            learning rate 1e-3); or a ready transformation when no optimizer hyperparameter
            varies.
        seeds: one model per seed (initialization, batch order, dropout): a deep ensemble.
        hyperparameters: ``{name: [values]}``: optimizer arguments (``learning_rate``,
            ``weight_decay``, ...), ``dropout_rate`` (replaces the model's dropout rate; build
            the model with dropout > 0), loss keyword arguments. Numbers only: they are traced.
        grid: True trains every combination of seeds and values (seeds outermost); False zips
            the lists (all of one length; a single value is used for all).
        epochs, batch_size, validation_data, validation_split, metrics, sample_weight: as for
            `jaxnn.fit`. A validation split is drawn once, with the first seed.
        early_stopping: an `EarlyStopping`, applied to each model on its own: a stopped model
            keeps its best parameters while the others train on.
        select: the log that chooses `ManyResult.best` (default "val_loss" with validation
            data, else "loss"); maximised for accuracy/auc/f1/precision/recall names.
        verbose: 0 silent, 1 one line per compiled call.

    Each model trains exactly as ``jaxnn.fit(model, data, seed=s, optimizer=factory(**values),
    ...)`` would alone (same draws; equal up to float rounding of the vmapped kernels). A model
    whose loss turns non-finite stops at its last finite parameters; the others go on.

    Devices: with several devices (`jaxnn.parallel`) the models are split over them when their
    number is a multiple of the device count (each device trains its models on all the data);
    otherwise all models train on the first device.

    Returns:
        `ManyResult` (one architecture) or `GridResult` (a dict of models).

    Example::

        result = jaxnn.fit_many(jaxnn.MLP([64, 64, 2]), (x, y), optimizer=optax.adam,
                                seeds=range(4), hyperparameters={"learning_rate": [1e-3, 1e-2]},
                                validation_split=0.2, epochs=20)
        print(result.table()); best = result.best
    """
    if isinstance(model, Mapping):
        if not model:
            raise ValueError("fit_many(model={}): expected at least one model in the dict.")
        groups = {}
        for name, each in model.items():
            groups[str(name)] = fit_many(
                each, data, loss=loss, optimizer=optimizer, seeds=seeds,
                hyperparameters=hyperparameters, grid=grid, epochs=epochs,
                batch_size=batch_size, validation_data=validation_data,
                validation_split=validation_split, metrics=metrics,
                early_stopping=early_stopping, select=select, sample_weight=sample_weight,
                verbose=verbose)
        return GridResult(groups)
    epochs = check_int(epochs, "fit_many(epochs=...)")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"fit_many(early_stopping={early_stopping!r}): expected a "
                        "jaxnn.EarlyStopping(...) or None.")
    check_model(model, "fit_many", needs_init=True)
    names = list(hyperparameters) if isinstance(hyperparameters, Mapping) else []
    loss_fn = losses_lib.get_loss(loss)
    roles = _roles(names, optimizer, model, loss_fn)  # names first: an architecture, a typo
    configs = expand_configs(seeds, hyperparameters, grid)
    factory, defaults = _optimizer_factory(optimizer)
    prepared = _prepare(model, data, loss, metrics, batch_size, validation_data,
                        validation_split, sample_weight, configs[0]["seed"])
    if early_stopping is not None and prepared.validation is None and (
            "val" in early_stopping.monitor):
        raise ValueError(f"fit_many(early_stopping=...): it monitors {early_stopping.monitor!r} "
                         "but there is no validation data. Pass validation_data/"
                         "validation_split or monitor 'loss'.")
    select = select or ("val_loss" if prepared.validation is not None else "loss")
    if not isinstance(select, str):
        raise TypeError(f"fit_many(select={select!r}): expected a log name such as 'val_loss'.")
    if jax.process_count() > 1:
        raise ValueError("fit_many: runs of several processes are not supported; train the "
                         "models in one process (several local devices are used).")
    return _train_group(model, prepared, configs, roles, factory, defaults, epochs,
                        early_stopping, select, verbose)


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


def _stack(trees: list) -> Any:
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def _train_group(model, prepared: _Prepared, configs, roles, factory, defaults, epochs,
                 early_stopping, select, verbose) -> ManyResult:
    count = len(configs)
    hyper_names = roles["model"] + roles["loss"]
    trees, states, optimizers = [], [], []
    for config in configs:
        params = init_params(model, prng_key(config["seed"]), jnp.asarray(prepared.x_sample))
        tree = {"params": params,
                "hyper": {n: jnp.float32(config[n]) for n in hyper_names}}
        optimizer = _optimizer_for(factory, defaults, config, roles["optimizer"], params)
        trees.append(tree)
        optimizers.append(optimizer)
        states.append(TrainState(params=tree, opt_state=optimizer.init(tree), step=jnp.int32(0)))
    objective = ManyObjective(model, prepared.loss_fn, prepared.metrics, prepared.threshold,
                              tuple(roles["loss"]))
    validation_fn = None
    if prepared.validation is not None:
        validation_fn = ManyValidation(
            SupervisedValidation(model, prepared.loss_fn, prepared.metrics, prepared.threshold,
                                 prepared.chunk), tuple(roles["loss"]))
    mesh = _models_mesh(count)
    split = None if mesh is None else NamedSharding(mesh, PartitionSpec(parallel.DATA_AXIS))

    def per_model(tree):
        return jax.device_put(tree, split) if split is not None else jax.device_put(tree)

    def shared(tree):
        return parallel.replicate(jax.device_put(tree), mesh)

    train_data, validation_data = shared(prepared.train), shared(prepared.validation)
    batch_size = prepared.batch_size
    num_samples = len(prepared.train["x"]) if batch_size is not None else None
    steps = 1 if batch_size is None else -(-num_samples // batch_size)
    log_dtypes = check_logs(objective, validation_fn, trees[0], train_data, validation_data,
                             batch_size, early_stopping)
    if select not in log_dtypes or select == "steps":
        raise ValueError(f"fit_many(select={select!r}): no such quantity in the epoch logs "
                         f"{sorted(set(log_dtypes) - {'steps'})}. 'val_*' names need "
                         "validation data; metric names need metrics=[...].")
    # The optimizers differ only in the values inside their states: one `update` serves all.
    program = Program(objective, optimizers[0], validation_fn, early_stopping, num_samples,
                      batch_size, steps, False, log_dtypes, mesh, models=True)
    programs = (program, dataclasses.replace(program, guarded=True))
    state = per_model(fresh_copy(_stack(states)))
    carry = Carry(state=state, previous=per_model(fresh_copy(_stack(states))),
                  bad_step=per_model(jnp.full((count,), -1, jnp.int32)))
    stopper = None
    if early_stopping is not None:
        stopper = per_model(_stack([early_stopping.init(tree) for tree in trees]))
    base_keys = per_model(jnp.stack([prng_key(c["seed"]) for c in configs]))
    loop = _HostLoop(count, epochs, early_stopping, verbose, select)
    start = time.perf_counter()
    while loop.lengths() is not None:
        lengths, guarded = loop.lengths()
        args = (carry, stopper, train_data, validation_data, per_model(loop.epoch.astype(np.int32)),
                per_model(lengths.astype(np.int32)), base_keys, np.int32(2**31 - 1))
        chunk, seconds = programs[guarded].compiled(args)
        loop.compile_seconds += seconds
        start_steps = np.asarray(carry.state.step) if guarded else None  # before donation
        called = time.perf_counter()
        carry, stopper, buffers, done, failed = chunk(*args)
        buffers, done, failed, bad_steps = jax.device_get(
            (buffers, done, failed, carry.bad_step))
        waits = None if stopper is None else jax.device_get((stopper.wait, stopper.patience))
        loop.record(buffers, done, failed, bad_steps, start_steps, waits,
                    time.perf_counter() - called)
    return loop.result(model, configs, carry, stopper, time.perf_counter() - start)


def _models_mesh(count: int):
    """The device mesh to split `count` models over, or None (all on the first device)."""
    mesh = parallel.mesh()
    if mesh is not None and count % mesh.size:
        warnings.warn(
            f"fit_many: {count} models do not split evenly over {mesh.size} devices, so all "
            f"train on the first device. Use a multiple of {mesh.size} models to use them all.",
            RuntimeWarning, stacklevel=4)
        return None
    return mesh


class _HostLoop:
    """Per-model bookkeeping between compiled calls: epochs done, histories, why each stopped,
    and which model's epoch is to be replayed under the NaN guard."""

    def __init__(self, count: int, epochs: int, early_stopping, verbose: int, select: str):
        self.count, self.epochs, self.early_stopping = count, epochs, early_stopping
        self.verbose, self.select = verbose, select
        self.epoch = np.zeros(count, np.int64)
        self.stopped = np.zeros(count, bool)
        self.replay = np.zeros(count, bool)
        self.histories: list[dict[str, list]] = [{} for _ in range(count)]
        self.stop_reasons: list[str | None] = [None] * count
        self.nonfinite: list[tuple[int, int] | None] = [None] * count
        self.per_epoch: float | None = None
        self.compile_seconds = 0.0
        self.steps_per_epoch = 0

    def lengths(self) -> tuple[np.ndarray, bool] | None:
        """(epochs each model runs in the next call, whether it is a guarded replay), or None
        when every model is done."""
        remaining = np.where(self.stopped, 0, self.epochs - self.epoch)
        if not remaining.any():
            return None
        if self.replay.any():
            return self.replay.astype(np.int64), True
        length = 1 if self.per_epoch is None else int(WAKE_SECONDS / max(self.per_epoch, 1e-9))
        return np.minimum(remaining, max(1, min(length, MAX_EPOCHS_PER_CALL))), False

    def record(self, buffers, done, failed, bad_steps, start_steps, waits, seconds) -> None:
        steps = buffers.pop("steps")
        if done.max() > 0:
            self.per_epoch = seconds / int(done.max())
        for i in range(self.count):
            n = int(done[i])
            if n:
                history = self.histories[i]
                columns = {"epoch": list(range(self.epoch[i] + 1, self.epoch[i] + n + 1)),
                           **{k: v[i, :n].tolist() for k, v in buffers.items()},
                           "time": [self.per_epoch] * n}
                for key, values in columns.items():
                    history.setdefault(key, []).extend(values)
                self.epoch[i] += n
                self.steps_per_epoch = max(self.steps_per_epoch, int(steps[i, :n].max()))
            if bad_steps[i] >= 0 and self.nonfinite[i] is None:
                self.nonfinite[i] = (int(self.epoch[i]), int(bad_steps[i] - start_steps[i] + 1))
                self.stop_reasons[i] = (
                    f"the loss or the parameters became non-finite (NaN/inf) at epoch "
                    f"{self.nonfinite[i][0]}, step {self.nonfinite[i][1]}; this model stopped "
                    "with the parameters of its last finite step")
                self.stopped[i] = True
            elif waits is not None and waits[0][i] > waits[1][i] and not self.stopped[i]:
                self.stop_reasons[i] = (f"early stopping: {self.early_stopping.monitor} did not "
                                        f"improve for {int(waits[1][i])} epochs")
                self.stopped[i] = True
        self.replay = np.asarray(failed, bool) & ~self.stopped & (start_steps is None)
        if self.verbose and parallel.is_main_process():
            active = int(np.sum(~self.stopped & (self.epoch < self.epochs)))
            print(f"fit_many: epochs {int(self.epoch.min())}-{int(self.epoch.max())} of "
                  f"{self.epochs}, {active} of {self.count} models training", flush=True)

    def result(self, model, configs, carry, stopper, seconds) -> ManyResult:
        params = carry.state.params
        best_epoch = np.full(self.count, -1)
        if self.early_stopping is not None and self.early_stopping.restore_best:
            best_epoch = np.asarray(jax.device_get(stopper.best_epoch))
            restore = jnp.asarray(best_epoch >= 0)
            params = jax.tree_util.tree_map(
                lambda best, last: jnp.where(restore.reshape((-1,) + (1,) * (last.ndim - 1)),
                                             best, last), stopper.best_params, params)
        failed = [n for n in self.nonfinite if n is not None]
        if failed:
            warnings.warn(f"fit_many: {len(failed)} of {self.count} models became non-finite "
                          "and were stopped at their last finite parameters (see "
                          "ManyResult.stop_reasons); the others trained on.", RuntimeWarning,
                          stacklevel=4)
        return ManyResult(
            model=model, configs=configs, params=jax.device_get(params["params"]),
            histories=self.histories, state=carry.state, epochs_run=self.epoch.copy(),
            stop_reasons=self.stop_reasons, nonfinite=self.nonfinite,
            best_epochs=[int(e) if e >= 0 else None for e in best_epoch], select=self.select,
            compile_seconds=self.compile_seconds, seconds=seconds)


__all__ = ["GridResult", "ManyResult", "expand_configs", "fit_many"]
