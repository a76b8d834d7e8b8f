"""Host-side pieces composed around the compiled loop: progress, checkpoints, data refresh.

A callback is an object with three hooks and a period:

- ``on_train_begin(run)``: once, before anything is compiled; `run` is the `jaxnn.training.Run`
  the loop and the callbacks share (settings, history, state, data; a `ManyRun` for
  `jaxnn.fit_many`).
- ``on_epoch_end(epoch, state, logs) -> bool | None``: after epochs that are multiples of
  `every` (the loop ends a compiled call there, so `state` is the state after exactly that
  epoch), or, with ``every = None``, whenever the host wakes (about five times a second, and
  at the end), with the newest epoch. Returning True stops training; False or None goes on;
  anything else (text, a float) is a TypeError, for subclasses as for plain functions. For
  many models (`jaxnn.fit_many`) every log but ``epoch`` and ``time`` is an array of one value
  per model.
- ``on_train_end(result)``: once, with the `TrainResult` (`ManyTrainResult` for many models).

A plain function ``callback(epoch, logs)`` is wrapped in `FunctionCallback` (every epoch).
Early stopping is not a host callback: it runs on the device (`jaxnn.EarlyStopping`) so that
it is exact per epoch however many epochs one compiled call runs.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from jaxnn import parallel
from jaxnn.training._run import Run, TrainResult
from jaxnn.validate import accepts_positional, check_bool, check_function, check_int


def stop_answer(answer: Any, who: str) -> bool | None:
    """A callback's answer as True (stop), False or None (go on); anything else is refused."""
    if isinstance(answer, (np.ndarray, np.generic, jax.Array)) and np.ndim(answer) == 0:
        answer = np.asarray(answer).item()  # np.True_, np.array(False), jnp.bool_
    if answer is not None and not isinstance(answer, (bool, int)):
        raise TypeError(
            f"{who} returned {type(answer).__name__} {answer!r:.60}; a callback returns True "
            "to stop training, or False/None to go on.")
    return answer if answer is None else bool(answer)


def _checked_hook(hook: Callable, who: str) -> Callable:
    """`hook` (a Callback subclass's on_epoch_end) with its answer checked by `stop_answer`."""
    if getattr(hook, "_checked_stop_answer", False):
        return hook

    @functools.wraps(hook)
    def on_epoch_end(self, epoch, state, logs):
        return stop_answer(hook(self, epoch, state, logs), who)

    on_epoch_end._checked_stop_answer = True
    return on_epoch_end


class Callback:
    """Base class: override what you need. ``every``: host period in epochs (None: any wake)."""

    every: int | None = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass's on_epoch_end answer is checked as a plain function's is: a string or a
        # float returned by mistake would otherwise read as True and stop training silently.
        super().__init_subclass__(**kwargs)
        hook = cls.__dict__.get("on_epoch_end")
        if callable(hook):
            cls.on_epoch_end = _checked_hook(hook, f"{cls.__name__}.on_epoch_end")

    def on_train_begin(self, run: Run) -> None:
        """Called once before the first epoch; `run` holds the loop's settings (kept as
        ``self.run``: ``epochs``, the starting ``epoch``, ``stop_reason``, ...)."""
        self.run = run

    def on_epoch_end(self, epoch: int, state: Any, logs: Mapping[str, float]) -> bool | None:
        """Called after epoch `epoch` (counted from 1) every `every` epochs, with the training
        state (``state.params``, ``state.opt_state``) and that epoch's logs ("loss",
        "val_loss", ...; for many models each an array of one value per model, NaN for a
        model that has stopped). Return True to stop training."""
        return None

    def on_train_end(self, result: TrainResult) -> None:
        """Called once with the `TrainResult` (a `ManyTrainResult` for many models) when
        training ends (finished, stopped or failed)."""


class FunctionCallback(Callback):
    """``fn(epoch, logs)`` (or ``fn(epoch, logs, state)``) after every epoch; True stops."""

    def __init__(self, fn: Callable, every: int = 1) -> None:
        name = getattr(fn, "__name__", type(fn).__name__)
        check_function(fn, f"callbacks: {name!r}", "callback(epoch, logs) or callback(epoch, "
                       "logs, state) returning True to stop", [2, 3])
        self.fn, self.every = fn, check_int(every, "FunctionCallback(every=...)", minimum=1)
        self.wants_state = accepts_positional(fn, 3) is True and (
            accepts_positional(fn, 2) is not True or _required_positional(fn) >= 3)

    def on_epoch_end(self, epoch, state, logs):
        logs = dict(logs)
        answer = self.fn(epoch, logs, state) if self.wants_state else self.fn(epoch, logs)
        return bool(stop_answer(answer, f"callback {getattr(self.fn, '__name__', self.fn)!r}"))


def _required_positional(fn: Callable) -> int:
    """How many positional parameters `fn` has (those with defaults too), or 0 if unknown."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def as_callback(callback: Callback | Callable) -> Callback:
    """A `Callback` as it is, a plain function wrapped in `FunctionCallback`."""
    if isinstance(callback, Callback):
        return callback
    if callable(callback):
        return FunctionCallback(callback)
    raise TypeError(f"callbacks: expected jaxnn.Callback objects or functions "
                    f"callback(epoch, logs), got {type(callback).__name__} {callback!r:.60}.")


def format_logs(logs: Mapping[str, Any]) -> str:
    """One line ``"loss 0.1234  val_loss 0.2345"`` of an epoch's logs (epoch and time left out).
    A log with one value per model (`jaxnn.fit_many`) shows their range, ``"loss 0.12..0.34"``."""
    return "  ".join(f"{k} {_format_value(v)}" for k, v in logs.items()
                     if k not in ("epoch", "time"))


def _format_value(value: Any) -> str:
    if np.ndim(value) == 0 and not isinstance(value, (list, tuple)):
        return f"{value:.4g}"
    values = np.array([np.nan if v is None else v for v in np.ravel(np.asarray(value, object))],
                      np.float64)
    if np.isnan(values).all():
        return "nan"
    low, high = np.nanmin(values), np.nanmax(values)
    return f"{low:.4g}" if low == high else f"{low:.4g}..{high:.4g}"


class Progress(Callback):
    """Progress display (process 0 only): ``verbose=1`` a progress bar (tqdm), ``verbose=2`` one
    line every `log_every` epochs (and the first and last). Never forces the host awake."""

    every = None

    def __init__(self, verbose: int = 1, log_every: int = 1, unit: str = "epoch") -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose={verbose!r}: expected 0 (silent), 1 (progress bar) or 2 "
                             "(one line per log_every epochs).")
        check_int(log_every, f"log_every={log_every!r}", minimum=1)
        self.verbose, self.log_every, self.unit = verbose, log_every, unit
        self.bar = None

    def on_train_begin(self, run: Run) -> None:
        self.run, self.shown, self.timing = run, run.epoch, False
        if not parallel.is_main_process():
            self.verbose = 0
        if self.verbose == 1 and run.epoch < run.epochs:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.epochs, initial=run.epoch, unit=self.unit,
                            dynamic_ncols=True, leave=True)

    def on_epoch_end(self, epoch, state, logs):
        if self.bar is not None:
            if not self.timing:
                # The first wake's epochs took the compilation too: the rate (and the time
                # left) is measured from here, on the epochs after them.
                self.bar.n = self.bar.last_print_n = epoch
                self.bar.last_print_t = self.bar._time()
                self.timing = True
            else:
                self.bar.update(epoch - self.bar.n)
            self.bar.set_postfix_str(format_logs(logs), refresh=True)
        elif self.verbose == 2:
            history, first = self.run.history, self.run.start_epoch + 1
            for index in range(len(history["epoch"]) - (epoch - self.shown), len(history["epoch"])):
                number = history["epoch"][index]
                if number % self.log_every == 0 or number in (first, self.run.epochs):
                    row = self.run.logs(index)
                    print(f"{self.unit} {number}/{self.run.epochs}  {format_logs(row)}  "
                          f"({row['time']:.3g} s)")
            sys.stdout.flush()
        self.shown = epoch

    def on_train_end(self, result: TrainResult) -> None:
        if self.bar is not None:
            self.bar.close()
        message = self.run.end_message()
        if self.verbose and message:
            print(message)
        if self.verbose == 2 and result.compile_seconds > 0:
            print(f"(compiling took {result.compile_seconds:.2f} s)")


class DataRefresh(Callback):
    """Replace the training data between epochs: ``fn(epoch, params) -> data`` (same shapes),
    or None to keep it; called after every `every`-th epoch except the last (PINN resampling)."""

    def __init__(self, fn: Callable[[int, Any], Any], every: int = 1) -> None:
        check_function(fn, "DataRefresh(fn=...)", "fn(epoch, params) -> new data or None", [2])
        self.fn, self.every = fn, check_int(every, "DataRefresh(every=...)", minimum=1)

    def on_epoch_end(self, epoch, state, logs):
        if epoch >= self.run.epochs or self.run.stop_reason is not None:
            return
        data = self.fn(epoch, state.params)
        if data is not None:
            mesh = parallel.mesh()
            self.run.data = parallel.place(data, mesh, process_shares=self.run.batch_size
                                           is not None)
        return


class Checkpoint(Callback):
    """Save the full training state every `every` epochs; with ``resume=True`` continue a run.

    The files go to `directory` (`jaxnn.saving.TrainingCheckpoints`: atomic, newest `keep`
    kept; only files of this run are ever deleted). A directory holding checkpoints of another
    run is refused unless resuming it. Resuming a run that had ended (all its epochs, early
    stopping, a callback's stop, a non-finite loss) returns its result without training.
    If a save fails mid-run, training stops and the result keeps the trained state.
    """

    def __init__(self, directory, every: int = 1, keep: int = 3, resume: bool = False,
                 verbose: int = 1) -> None:
        from jaxnn.saving import TrainingCheckpoints

        check_bool(resume, f"resume={resume!r}")
        self.files = TrainingCheckpoints(directory, keep=keep, every=every)
        self.every, self.resume, self.verbose = every, resume, verbose
        self.saved: tuple[int, str | None] | None = None

    def on_train_begin(self, run: Run) -> None:
        self.run = run
        existing = self.files.epochs()
        if existing and not self.resume:
            raise ValueError(
                f"checkpoint_dir={str(self.files.directory)!r} holds checkpoints of another run "
                f"(after epochs {existing}). Pass resume=True to continue that run, or use an "
                "empty directory (a run never deletes another run's files).")
        if existing:
            self.files.restore_run(run)
            self.saved = (run.epoch, run.stop_reason)
            if self.verbose and parallel.is_main_process():
                print(f"resumed from {self.files.directory} after epoch {run.epoch}")
        if self.resume:
            _check_same_start(run.epoch, self.files.directory)
        if parallel.is_main_process():
            self.files.check_writable(run)

    def on_epoch_end(self, epoch, state, logs):
        if epoch % self.every == 0:
            return not self._save()
        return None

    def on_train_end(self, result: TrainResult) -> None:
        run = self.run
        unsaved = run.epoch > 0 and self.saved != (run.epoch, run.stop_reason)
        if unsaved and not self._save():
            result.stop_reason = result.stop_reason or run.stop_reason

    def _save(self) -> bool:
        """Write the checkpoint of the run as it stands; False (and a stopped run) on failure."""
        if not parallel.is_main_process():
            return True
        try:
            self.files.save_run(self.run)
        except OSError as error:
            self.run.stop_reason = (
                f"saving the checkpoint after epoch {self.run.epoch} to {self.files.directory} "
                f"failed ({error}); training stopped there and the result holds the state "
                "after that epoch. Free space or fix the directory, then resume.")
            warnings.warn(self.run.stop_reason, RuntimeWarning, stacklevel=2)
            return False
        self.saved = (self.run.epoch, self.run.stop_reason)
        return True


def callback_list(callbacks: Any, *, verbose: int = 1, log_every: int = 1,
                  checkpoint_dir: Any = None, checkpoint_every: int = 1, keep: int = 3,
                  resume: bool = False, where: str = "fit") -> list[Callback]:
    """The callbacks `fit` and `fit_many` hand to the host loop: the user's (functions
    ``callback(epoch, logs)`` or `Callback` objects), then `Progress` (`verbose`,
    `log_every`) and, with a `checkpoint_dir`, `Checkpoint` (`checkpoint_every`, `keep`,
    `resume`). `where` names the calling function in the errors."""
    callbacks = list(callbacks) if isinstance(callbacks, (tuple, list)) else callbacks
    if not isinstance(callbacks, list) or not all(
            isinstance(c, Callback) or callable(c) for c in callbacks):
        raise TypeError(f"{where}(callbacks={callbacks!r}): expected a list of functions "
                        "callback(epoch, logs) or jaxnn.Callback objects.")
    for name, value in (("checkpoint_every", checkpoint_every), ("keep", keep)):
        check_int(value, f"{where}({name}={value!r})", minimum=1)
    callbacks.append(Progress(verbose, log_every))
    if checkpoint_dir is not None:
        callbacks.append(Checkpoint(checkpoint_dir, every=checkpoint_every, keep=keep,
                                    resume=resume, verbose=verbose))
    elif resume:
        raise ValueError(f"{where}(resume=True): needs checkpoint_dir, the directory of the run "
                         "to continue.")
    return callbacks


def _check_same_start(start_epoch: int, directory: Any) -> None:
    """Several processes must resume from the same epoch, or their compiled steps would differ."""
    if jax.process_count() == 1:
        return
    from jax.experimental import multihost_utils

    starts = multihost_utils.process_allgather(np.int64(start_epoch))
    if np.any(starts != start_epoch):
        raise ValueError(
            f"resume=True: the processes found checkpoints after different epochs "
            f"{starts.tolist()} in {directory}. Process 0 writes the checkpoints; put "
            "checkpoint_dir on a file system that every process sees."
        )


__all__ = ["Callback", "Checkpoint", "DataRefresh", "FunctionCallback", "Progress",
           "as_callback", "callback_list", "format_logs"]
