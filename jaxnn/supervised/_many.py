"""Many models at once: N models of one architecture trained as one compiled program.

`fit_many` trains a deep ensemble (different seeds), a hyperparameter scan (learning rate,
weight decay, dropout rate, loss weights) or a grid of both in one call. It runs through the
one host loop of `jaxnn.fit` (`jaxnn.training.HostLoop`), with `jaxnn.training.ManyRun` as its
record: the compiled chunk of epochs (`jaxnn.training.Program` with ``models=True``) is
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
its last finite parameters without touching the others. Callbacks, the progress bar and
checkpoints (resumable bit for bit) are those of `fit`. A grid over architectures (a dict of
models) runs one vmapped program per architecture. The settings of each model are built in
`jaxnn.supervised._many_configs`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
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
from jaxnn.supervised._fit import (
    _auto_batch_size,
    _output_shape,
    _split_validation,
    _validation_arrays,
)
from jaxnn.supervised._many_configs import (
    _optimizer_factory,
    _optimizer_for,
    _roles,
    expand_configs,
)
from jaxnn.supervised._many_result import GridResult, ManyResult
from jaxnn.supervised._objectives import (
    SupervisedObjective,
    SupervisedValidation,
    decision_threshold,
)
from jaxnn.supervised._uncertainty import dropout_rate_override
from jaxnn.training import (
    Callback,
    EarlyStopping,
    HostLoop,
    ManyRun,
    Program,
    TrainState,
    as_callback,
    callback_list,
    check_early_stopping,
    check_logs,
    fresh_copy,
    init_params,
    prng_key,
)

# ----------------------------------------------------------------------------- the objective


@dataclasses.dataclass(frozen=True)
class ManyObjective:
    """``(tree, batch, key) -> (loss, aux)`` of one model, ``tree = {"params", "hyper"}``.

    `SupervisedObjective` (`jaxnn.supervised._objectives`) on ``tree["params"]``, with the
    traced dropout rate (``hyper["dropout_rate"]``) and loss keyword arguments (``hyper[name]``
    for each name in `loss_arguments`) of this model."""

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
    """`SupervisedValidation` (`jaxnn.supervised._objectives`) of one model's
    ``tree["params"]`` (dropout off; the loss with this model's loss keyword arguments)."""

    validation: SupervisedValidation
    loss_arguments: tuple[str, ...]

    def __call__(self, tree, data):
        loss_fn = _bound_loss(self.validation.loss_fn, tree["hyper"], self.loss_arguments)
        return dataclasses.replace(self.validation, loss_fn=loss_fn)(tree["params"], data)


def _bound_loss(loss_fn: Callable, hyper: Mapping, names: tuple[str, ...]) -> Callable:
    if not names:
        return loss_fn
    return functools.partial(loss_fn, **{name: hyper[name] for name in names})


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
    callbacks: Sequence[Callback | Callable] = (),
    verbose: int = 0,
    log_every: int = 1,
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_every: int = 1,
    keep: int = 3,
    resume: bool = False,
) -> ManyResult | GridResult:
    """Train many models of one architecture as one compiled program (`jax.vmap` over models).

    Args:
        model: a flax.linen Module, or a dict ``{name: model}`` for a grid over architectures
            (one vmapped program per architecture, trained one after the other; returns a
            `GridResult`).
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
            A learning rate must be positive and finite, as for `jaxnn.fit`.
        grid: True trains every combination of seeds and values (seeds outermost); False zips
            the lists (all of one length; a single value is used for all).
        epochs, batch_size, validation_data, validation_split, metrics, sample_weight: as for
            `jaxnn.fit`. A validation split is drawn once, with the first seed.
        early_stopping: an `EarlyStopping`, applied to each model on its own: a stopped model
            keeps its best parameters while the others train on.
        select: the log that chooses `ManyResult.best` (default "val_loss" with validation
            data, else "loss"); maximised for accuracy/auc/f1/precision/recall names.
        callbacks: as for `jaxnn.fit`, functions ``callback(epoch, logs)`` (or ``(epoch, logs,
            state)``) called after every epoch, or `jaxnn.Callback` objects. For many models
            ``logs["epoch"]`` and ``logs["time"]`` are numbers as for `fit`, and every other
            log is a NumPy array ``(N,)``: each model's value at that epoch, NaN for a model
            that has stopped. `state` is the stacked `TrainState` (every leaf with a leading
            model axis; ``state.params = {"params": ..., "hyper": ...}``). Returning True
            stops every model (each one still training gets that stop reason). A
            `jaxnn.Callback` gets the `jaxnn.training.ManyRun` in ``on_train_begin`` and the
            `jaxnn.training.ManyTrainResult` in ``on_train_end``.
        verbose: 0 silent, 1 a progress bar, 2 one line every `log_every` epochs (and the
            first and last); a log shows its range over the models, ``loss 0.12..0.34``.
        checkpoint_dir, checkpoint_every, keep, resume: as for `jaxnn.fit`: every model's
            state, history and early stopping are saved every `checkpoint_every` epochs
            (newest `keep` kept) and ``resume=True`` continues a killed run exactly where an
            uninterrupted one would be. With a dict of models each architecture writes to
            ``checkpoint_dir/<name>``.

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
    options = {"loss": loss, "optimizer": optimizer, "seeds": seeds,
               "hyperparameters": hyperparameters, "grid": grid, "epochs": epochs,
               "batch_size": batch_size, "validation_data": validation_data,
               "validation_split": validation_split, "metrics": metrics,
               "early_stopping": early_stopping, "select": select,
               "sample_weight": sample_weight, "callbacks": callbacks, "verbose": verbose,
               "log_every": log_every, "checkpoint_every": checkpoint_every, "keep": keep,
               "resume": resume}
    if isinstance(model, Mapping):
        return _fit_architectures(model, data, checkpoint_dir, options)
    epochs = check_int(epochs, "fit_many(epochs=...)")
    check_early_stopping(early_stopping, "fit_many")
    check_model(model, "fit_many", needs_init=True)
    callbacks = [as_callback(c) for c in callback_list(
        callbacks, verbose=verbose, log_every=log_every, checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every, keep=keep, resume=resume, where="fit_many")]
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
                        early_stopping, select, callbacks)


def _fit_architectures(models: Mapping, data: Any, checkpoint_dir: Any,
                       options: dict) -> GridResult:
    """`fit_many` of each architecture in turn; checkpoints in ``checkpoint_dir/<name>``."""
    if not models:
        raise ValueError("fit_many(model={}): expected at least one model in the dict.")
    if checkpoint_dir is not None and not isinstance(checkpoint_dir, (str, os.PathLike)):
        raise TypeError(f"fit_many(checkpoint_dir={checkpoint_dir!r}): expected a directory "
                        "path (str or Path); each architecture of the dict writes its "
                        "checkpoints to checkpoint_dir/<name>.")
    groups = {}
    for name, each in models.items():
        directory = None if checkpoint_dir is None else os.path.join(checkpoint_dir, str(name))
        groups[str(name)] = fit_many(each, data, checkpoint_dir=directory, **options)
    return GridResult(groups)


def _stack(trees: list) -> Any:
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def _train_group(model, prepared: _Prepared, configs, roles, factory, defaults, epochs,
                 early_stopping, select, callbacks) -> ManyResult:
    """Build every model's parameters and optimizer, the vmapped program and the `ManyRun`,
    and train them through the host loop."""
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
    run = ManyRun(epochs=epochs, start_epoch=0, steps_per_epoch=steps,
                  seed=configs[0]["seed"], history={}, data=train_data, state=None,
                  early_stopping=early_stopping, num_samples=num_samples,
                  batch_size=batch_size, mesh=mesh, configs=configs, sharding=split)
    run.state = run.place(fresh_copy(_stack(states)))
    if early_stopping is not None:
        run.stopper = run.place(_stack([early_stopping.init(tree) for tree in trees]))
    run.base_keys = run.place(jnp.stack([prng_key(c["seed"]) for c in configs]))
    start = time.perf_counter()
    programs = (program, dataclasses.replace(program, guarded=True))
    trained = HostLoop(programs, callbacks, validation_data)(run)
    failed = [n for n in trained.nonfinite if n is not None]
    if failed:
        warnings.warn(f"fit_many: {len(failed)} of {count} models became non-finite and were "
                      "stopped at their last finite parameters (see ManyResult.stop_reasons); "
                      "the others trained on.", RuntimeWarning, stacklevel=3)
    return ManyResult(
        model=model, configs=configs, params=jax.device_get(trained.params["params"]),
        histories=trained.histories, state=trained.state, epochs_run=trained.epochs_run,
        stop_reasons=trained.stop_reasons, nonfinite=trained.nonfinite,
        best_epochs=trained.best_epochs, select=select,
        compile_seconds=trained.compile_seconds, seconds=time.perf_counter() - start,
        stop_reason=trained.stop_reason)


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


__all__ = ["GridResult", "ManyResult", "expand_configs", "fit_many"]
