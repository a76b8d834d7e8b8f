"""Save, load and resume: parameter files for sharing a model, and training checkpoints.

Both kinds of file are msgpack written by `flax.serialization` (never pickle: loading a file
cannot run code). A file holds a small header (``format``, ``version``) and the state dict of a
pytree (`flax.serialization.to_state_dict`); loading checks the stored tree against a target
pytree, leaf by leaf, before anything is rebuilt, so a file written for another model or
optimizer is refused with the path of the first leaf that differs.

Writes are atomic: the bytes go to a temporary file in the same directory, which is flushed,
fsync'ed and renamed over the final name (`os.replace`), and then the directory is fsync'ed. A
process killed at any moment leaves either the previous files or the complete new one, never
a truncated file under a checkpoint name.

`TrainingCheckpoints` is what `jaxnn.training.train_loop` uses for ``checkpoint_dir=``: one file per
checkpoint, ``checkpoint_00000012.msgpack`` after epoch 12, holding the `TrainState`
(parameters, optimizer state, step), the history, the early-stopping state and the seed. The
per-epoch random keys are derived from ``(seed, epoch)`` inside the loop, so the seed and the
epoch number are all the random state a resumed run needs: it ends with the same parameters
and history, bit for bit, as a run that was never interrupted.

    >>> save_params("model.msgpack", result.params)
    >>> params = load_params("model.msgpack", like=model.init(key, x[:1]))
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
from flax import serialization

from jaxnn.validate import check_int
from jaxnn.saving._params import (
    _CHECKPOINT_FORMAT,
    _TEMP_PREFIX,
    FORMAT_VERSION,
    _atomic_write,
    _checkpoint_parts,
    _Corrupt,
    _encode,
    _plain,
    _read_payload,
    _remove_stale_temp_files,
    _restore_tree,
)

_CHECKPOINT_NAME = re.compile(r"^checkpoint_(\d{8,})\.msgpack$")


# --------------------------------------------------------------------------- files


# --------------------------------------------------------------------------- trees


# --------------------------------------------------------------------------- parameters


# --------------------------------------------------------------------------- training


class TrainingCheckpoints:
    """The checkpoints of one training run: ``directory/checkpoint_%08d.msgpack`` per save.

    Each file holds the `TrainState`, the history, early stopping's state, and a header with
    the epoch, the stop reason, the non-finite step if any, and the run's signature (seed,
    steps per epoch, sample count, batch size), all under one CRC. `jaxnn.Checkpoint`
    drives it from the training loop.

    Args:
        directory: where the files go; created on the first save. A directory that does not
            exist (yet) holds no checkpoints.
        keep: how many of the newest checkpoints of this run to keep (older ones of this run
            are deleted after a new one is safely written; other files are never touched).
        every: the save period in epochs (used by the `Checkpoint` callback).
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3, every: int = 1) -> None:
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(
                f"checkpoint_dir={directory!r}: expected a directory path (str or Path), got "
                f"{type(directory).__name__}."
            )
        for name, value in (("keep", keep), ("checkpoint_every", every)):
            check_int(value, f"{name}={value!r}", minimum=1)
        self.directory = Path(directory)
        for parent in (self.directory, *self.directory.parents):
            if parent.exists():
                if not parent.is_dir():
                    raise ValueError(
                        f"checkpoint_dir={str(directory)!r}: {parent} exists and is not a "
                        "directory. Pass a directory path (it is created if missing).")
                break
        self.keep, self.every = keep, every
        self.own: set[int] = set()  # epochs of checkpoints that belong to this run

    def path(self, epoch: int) -> Path:
        """The file of the checkpoint written after `epoch`."""
        return self.directory / f"checkpoint_{epoch:08d}.msgpack"

    def epochs(self) -> list[int]:
        """Epochs with a checkpoint file in the directory, ascending."""
        if not self.directory.is_dir():
            return []
        found = (_CHECKPOINT_NAME.match(entry.name) for entry in self.directory.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def check_writable(self, run: Any) -> None:
        """Create the directory and write (then remove) a file the size of a checkpoint of
        `run`: a directory that cannot be created or written, or a full disk, is an error now,
        before training, not after the first epoch."""
        size = len(_encode(*self._record(**_run_parts(run))))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f"{_TEMP_PREFIX}{os.getpid()}-probe"
            _atomic_write(probe, bytes(size))
            probe.unlink()
        except OSError as error:
            raise ValueError(
                f"checkpoint_dir={str(self.directory)!r}: cannot write a checkpoint there "
                f"({type(error).__name__}: {error}). Pass a writable directory with at least "
                f"{size} bytes free.") from error

    @staticmethod
    def _record(epoch, state, history, seed=0, early_stopping=None, stopper=None,
                stop_reason=None, nonfinite=None, signature=None):
        header = {
            "format": _CHECKPOINT_FORMAT, "version": FORMAT_VERSION, "epoch": int(epoch),
            "seed": int(seed), "run": signature, "stop_reason": stop_reason,
            "nonfinite": None if nonfinite is None else list(nonfinite),
        }
        record = None
        if early_stopping is not None:
            record = {"monitor": early_stopping.monitor, "mode": early_stopping.mode,
                      "state": serialization.to_state_dict(jax.device_get(stopper))}
        tree = {
            "state": serialization.to_state_dict(jax.device_get(state)),
            "history": {k: [_plain(v) for v in values] for k, values in history.items()},
            "early_stopping": record,
        }
        return header, tree

    def save(self, epoch: int, state: Any, history: Mapping[str, list[float]], *,
             seed: int = 0, early_stopping: Any = None, stopper: Any = None,
             stop_reason: str | None = None, nonfinite: tuple[int, int] | None = None,
             signature: Mapping[str, Any] | None = None) -> Path:
        """Write the checkpoint after `epoch` (atomically), then delete this run's
        checkpoints beyond the newest `keep`.

        Args:
            epoch, state, history, seed: the run after `epoch` epochs.
            early_stopping, stopper: the `EarlyStopping` and its device state, if any.
            stop_reason, nonfinite: why the run stopped, if it has.
            signature: settings a resumed run must share (`jaxnn.training.Run.signature`).
        """
        header, tree = self._record(epoch, state, history, seed, early_stopping, stopper,
                                    stop_reason, nonfinite, signature)
        payload = _encode(header, tree)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(int(epoch))
        _atomic_write(path, payload)
        self.own.add(int(epoch))
        for old in sorted(self.own)[: -self.keep]:
            self.path(old).unlink(missing_ok=True)
            self.own.discard(old)
        _remove_stale_temp_files(self.directory)
        return path

    def restore_latest(self, state: Any, *, seed: int | None = None, early_stopping: Any = None,
                       stopper: Any = None, signature: Mapping[str, Any] | None = None,
                       epoch: int | None = None) -> Restored | None:
        """Load the newest checkpoint (or the one after `epoch`) into the shape of `state`.

        Args:
            state: a `TrainState` of the same model and optimizer (its values are not used).
            seed, signature: the run's seed and settings; a checkpoint written by a run with
                other ones is refused (its remaining epochs would differ). None skips a check.
            early_stopping, stopper: the run's `EarlyStopping` and a device state of its shape.
            epoch: load this checkpoint instead of the newest.

        Returns:
            A `Restored` record, or None if the directory has no checkpoint.

        Raises:
            ValueError: the checkpoint is truncated or corrupt (the message lists the older
                checkpoints), holds a different model or optimizer, or was written by a run
                with another seed, other settings or different early stopping.
            FileNotFoundError: `epoch` was given and has no checkpoint.
        """
        available = self.epochs()
        if epoch is None:
            if not available:
                return None
            epoch = available[-1]
        elif epoch not in available:
            raise FileNotFoundError(
                f"restore_latest(epoch={epoch!r}): no checkpoint {self.path(epoch).name} in "
                f"{self.directory}; the checkpoints there are after epochs {available}.")
        path = self.path(epoch)
        what = f"resume from {self.directory}"
        try:
            header, tree = _read_payload(path, _CHECKPOINT_FORMAT, what)
            stored_state, history, stored_stopper = _checkpoint_parts(tree)
            if header.get("epoch") != epoch:
                raise _Corrupt(f"the header says epoch {header.get('epoch')!r}, the name {epoch}")
        except _Corrupt as error:
            older = [e for e in available if e < epoch]
            advice = (
                f"Older checkpoints in {self.directory}: epochs {older}; delete or move "
                f"{path.name} to resume from epoch {older[-1]}, or pass epoch={older[-1]} to "
                "TrainingCheckpoints.restore_latest to load it."
                if older
                else f"There is no older checkpoint in {self.directory}; start a fresh run."
            )
            raise ValueError(
                f"{what}: {path} is not a valid checkpoint (truncated or corrupt): {error}. "
                f"{advice}"
            ) from error
        stored_run = {"seed": header.get("seed"), **(header.get("run") or {})}
        wanted = {**(signature or {}), **({} if seed is None else {"seed": seed})}
        for key, value in wanted.items():
            if key in stored_run and stored_run[key] != value:
                raise ValueError(
                    f"{what}: {path} was written by a run with {key}={stored_run[key]!r}, this "
                    f"run has {key}={value!r}. Resuming it with another {key} would not "
                    "continue that run (the batch order of the remaining epochs would differ); "
                    "pass the original setting, or use a new checkpoint_dir for a new run.")
        restored = Restored(
            state=_restore_tree(state, stored_state, path, what), history=history, epoch=epoch,
            stopper=self._restore_early_stopping(early_stopping, stopper, stored_stopper, path,
                                                 what),
            stop_reason=header.get("stop_reason"),
            nonfinite=None if header.get("nonfinite") is None else tuple(header["nonfinite"]))
        self.own.update(available)
        return restored

    def save_run(self, run: Any) -> Path:
        """`save` the run (`jaxnn.training.Run`) as it stands after ``run.epoch`` epochs."""
        return self.save(**_run_parts(run))

    def restore_run(self, run: Any) -> None:
        """Load the newest checkpoint into `run`: state, history, epoch count, early stopping
        state and stop reason. A run that had ended (early stopping, a callback's stop, a
        non-finite loss, or all of ``run.epochs``) is marked finished; a checkpoint after
        more epochs than ``run.epochs`` is refused."""
        restored = self.restore_latest(run.state, early_stopping=run.early_stopping,
                                       stopper=run.stopper, signature=run.signature)
        if restored.epoch > run.epochs:
            raise ValueError(
                f"resume from {self.directory}: {self.path(restored.epoch).name} holds a run "
                f"already trained for {restored.epoch} epochs, more than the {run.epochs} asked "
                f"for. Pass epochs >= {restored.epoch} to continue it (or to get its result "
                "back), or use a new checkpoint_dir for a shorter run.")
        run.state, run.stopper, run.history = restored.state, restored.stopper, restored.history
        run.epoch, run.stop_reason, run.nonfinite = (restored.epoch, restored.stop_reason,
                                                     restored.nonfinite)
        run.finished = run.stop_reason is not None or run.epoch >= run.epochs

    @staticmethod
    def _restore_early_stopping(early_stopping: Any, stopper: Any, stored: Any, path: Path,
                                what: str) -> Any:
        if early_stopping is None and stored is None:
            return None
        if early_stopping is None or stored is None:
            had, has = ("no", "an") if stored is None else ("an", "no")
            raise ValueError(
                f"{what}: {path} was written by a run with {had} early_stopping, this run has "
                f"{has} early_stopping. Pass the same early_stopping as the interrupted run, or "
                "use a new checkpoint_dir for a new run."
            )
        if stored["monitor"] != early_stopping.monitor or stored["mode"] != early_stopping.mode:
            raise ValueError(
                f"{what}: {path} was written with EarlyStopping(monitor={stored['monitor']!r}, "
                f"mode={stored['mode']!r}), this run has monitor={early_stopping.monitor!r}, "
                f"mode={early_stopping.mode!r}. Pass the same early_stopping as the "
                "interrupted run."
            )
        return _restore_tree(stopper, stored["state"], path, what)


@dataclasses.dataclass
class Restored:
    """What `TrainingCheckpoints.restore_latest` read: the run after `epoch` epochs."""

    state: Any
    history: dict[str, list[float]]
    epoch: int
    stopper: Any = None
    stop_reason: str | None = None
    nonfinite: tuple[int, int] | None = None


def _run_parts(run: Any) -> dict[str, Any]:
    """The keyword arguments of `TrainingCheckpoints.save` for a `jaxnn.training.Run`."""
    return {"epoch": run.epoch, "state": run.state, "history": run.history, "seed": run.seed,
            "early_stopping": run.early_stopping, "stopper": run.stopper,
            "stop_reason": run.stop_reason, "nonfinite": run.nonfinite,
            "signature": run.signature}
