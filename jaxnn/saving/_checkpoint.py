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

`TrainingCheckpoints` is what `jaxnn.loop.train_loop` uses for ``checkpoint_dir=``: one file per
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
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from jaxnn.validate import check_int, check_path

FORMAT_VERSION = 2  # 2: the CRC covers the header (epoch, seed, stop reason) too
_PARAMS_FORMAT = "jaxnn.params"
_CHECKPOINT_FORMAT = "jaxnn.checkpoint"
_CHECKPOINT_NAME = re.compile(r"^checkpoint_(\d{8,})\.msgpack$")
_TEMP_PREFIX = ".tmp-"


# --------------------------------------------------------------------------- files


def _fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` so that `path` is always either absent, old, or complete."""
    fd, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=f"-{path.name}"
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _remove_stale_temp_files(directory: Path) -> None:
    """Delete temporary files left by writers that were killed mid-write."""
    for entry in directory.glob(f"{_TEMP_PREFIX}*"):
        match = re.match(rf"^{re.escape(_TEMP_PREFIX)}(\d+)-", entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and _process_alive(pid):
            continue  # another live process is writing here
        entry.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _encode(header: dict[str, Any], tree: Any) -> bytes:
    """msgpack bytes of `header` plus `tree`, with a CRC-32 over both."""
    body = serialization.msgpack_serialize(tree)
    payload = serialization.msgpack_serialize({**header, "body": body})
    outer = {"format": header["format"], "version": header["version"]}
    return serialization.msgpack_serialize({**outer, "crc32": zlib.crc32(payload),
                                            "payload": payload})


def _decode_header(raw: bytes) -> dict[str, Any]:
    """The header dict (with its ``body`` bytes) of a file, CRC checked, or `_Corrupt`."""
    try:
        header = serialization.msgpack_restore(raw)
    except Exception as error:  # msgpack raises several types for damaged bytes
        raise _Corrupt(f"{type(error).__name__}: {error}") from error
    if not isinstance(header, dict):
        raise _Corrupt(f"the file decodes to {type(header).__name__}, not a jaxnn file")
    if header.get("format") not in (_PARAMS_FORMAT, _CHECKPOINT_FORMAT):
        raise _Corrupt(f"unknown format {header.get('format')!r}")
    checked = header.get("payload") if "payload" in header else header.get("body")
    if not isinstance(checked, bytes):
        raise _Corrupt("the stored data is missing")
    if zlib.crc32(checked) != header.get("crc32"):
        raise _Corrupt("the CRC-32 checksum of the stored data does not match")
    if "payload" in header:  # version 2: the header itself is inside the checked bytes
        version, outer_format = header.get("version"), header.get("format")
        try:
            header = serialization.msgpack_restore(checked)
        except Exception as error:
            raise _Corrupt(f"{type(error).__name__}: {error}") from error
        if not isinstance(header, dict) or not isinstance(header.get("body"), bytes):
            raise _Corrupt("the stored header is malformed")
        if header.get("version") != version or header.get("format") != outer_format:
            # the outer copies sit outside the CRC: the checked inner ones must agree
            raise _Corrupt(f"the file's version/format fields ({version!r}, {outer_format!r}) "
                           "differ from the checked header's")
    return header


def _read_payload(path: Path, expected_format: str, what: str) -> tuple[dict[str, Any], Any]:
    """Read and check a file; return ``(header, tree)``.

    Raises FileNotFoundError if there is no file, `_Corrupt` (a ValueError) if the bytes are
    not a complete jaxnn file, and ValueError for a file of the wrong kind or a newer version.
    """
    if path.is_dir():
        raise ValueError(f"{what}: {path} is a directory; pass the file that was saved.")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what}: no such file: {path}") from None
    header = _decode_header(raw)
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{what}: {path} has format version {version!r}; this jaxnn reads versions up to "
            f"{FORMAT_VERSION}. Upgrade jaxnn to load it."
        )
    if expected_format == _CHECKPOINT_FORMAT and header["format"] != _CHECKPOINT_FORMAT:
        raise ValueError(
            f"{what}: {path} is a parameter file (written by save_params), not a training "
            "checkpoint; load it with jaxnn.checkpoint.load_params."
        )
    try:
        tree = serialization.msgpack_restore(header.pop("body"))
    except Exception as error:
        raise _Corrupt(f"{type(error).__name__}: {error}") from error
    return header, tree


class _Corrupt(ValueError):
    """Internal: the bytes are not a readable jaxnn file (the reason is the message)."""


# --------------------------------------------------------------------------- trees


def _flatten(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs of a state dict, in order; empty dicts are leaves of their own."""
    if isinstance(tree, Mapping):
        if not tree:
            yield prefix or "(root)", {}
        for key, value in tree.items():
            yield from _flatten(value, f"{prefix}/{key}" if prefix else str(key))
    else:
        yield prefix or "(root)", tree


def _describe(leaf: Any) -> str:
    if isinstance(leaf, Mapping):
        return "an empty node"
    if leaf is None:
        return "None"
    if hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
        return f"shape {tuple(leaf.shape)} {np.dtype(leaf.dtype).name}"
    return f"the {type(leaf).__name__} {leaf!r}"


def _same_leaf(expected: Any, stored: Any) -> bool:
    if isinstance(expected, Mapping) or isinstance(stored, Mapping):
        return isinstance(expected, Mapping) and isinstance(stored, Mapping)
    if expected is None or stored is None:
        return expected is None and stored is None
    if hasattr(expected, "shape") and hasattr(expected, "dtype"):
        return (
            isinstance(stored, (np.ndarray, np.generic))
            and tuple(stored.shape) == tuple(expected.shape)
            and np.dtype(stored.dtype) == np.dtype(expected.dtype)
        )
    return not isinstance(stored, (np.ndarray, np.generic)) or stored.shape == ()


def _check_structure(target_state: Any, stored_state: Any, path: Path, what: str) -> None:
    """Raise ValueError naming the first leaf where the stored tree differs from the target."""
    expected = dict(_flatten(target_state))
    stored = dict(_flatten(stored_state))
    hint = (
        "Build the same model (layer sizes, input features) and optimizer as the run that "
        "wrote it, or use a different file / checkpoint_dir."
    )
    for key, leaf in expected.items():
        if key not in stored:
            raise ValueError(
                f"{what}: {path} was written for a different model or optimizer: it has no "
                f"leaf {key} (expected {_describe(leaf)}). {hint}"
            )
        if not _same_leaf(leaf, stored[key]):
            raise ValueError(
                f"{what}: {path} was written for a different model or optimizer: at {key} the "
                f"file has {_describe(stored[key])}, expected {_describe(leaf)}. {hint}"
            )
    extra = [key for key in stored if key not in expected]
    if extra:
        raise ValueError(
            f"{what}: {path} was written for a different model or optimizer: it has a leaf "
            f"{extra[0]} that is not expected. {hint}"
        )


def _restore_tree(target: Any, stored_state: Any, path: Path, what: str) -> Any:
    """Rebuild `target`'s pytree from a stored state dict, as device arrays of target's dtypes."""
    _check_structure(serialization.to_state_dict(target), stored_state, path, what)
    restored = serialization.from_state_dict(target, stored_state)

    def to_device(like: Any, value: Any) -> Any:
        if isinstance(like, jax.Array):
            return jax.device_put(value, like.sharding)
        if hasattr(like, "shape") and hasattr(like, "dtype"):
            return jnp.asarray(value, dtype=like.dtype)
        return value

    return jax.tree_util.tree_map(to_device, target, restored)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python numbers, so msgpack stores them natively."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- parameters


def save_params(path: str | os.PathLike, params: Any) -> Path:
    """Write a parameter pytree (e.g. ``result.params``) to `path` atomically; return the path.

    The file is msgpack (`flax.serialization`), readable with `load_params`. Parent
    directories are created.
    """
    path = check_path(path, "save_params(path=...)", kind="file", must_exist=False)
    leaves = jax.tree_util.tree_leaves(params)
    if not leaves or not all(hasattr(leaf, "shape") for leaf in leaves):
        raise TypeError(
            "save_params(params=...): expected a pytree of arrays (e.g. model.init(...) or "
            f"result.params), got {type(params).__name__}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": _PARAMS_FORMAT, "version": FORMAT_VERSION}
    tree = serialization.to_state_dict(jax.device_get(params))
    _atomic_write(path, _encode(header, tree))
    return path


def load_params(path: str | os.PathLike, like: Any = None) -> Any:
    """Read parameters written by `save_params` (or the parameters of a training checkpoint).

    Args:
        path: the file.
        like: a pytree with the expected structure, shapes and dtypes, e.g.
            ``model.init(key, x[:1])`` or ``jax.eval_shape(model.init, key, x[:1])``; the file
            is checked against it leaf by leaf. None returns the stored nested dicts as they are.

    Returns:
        The parameter pytree, with JAX arrays as leaves.

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: the file is not a valid jaxnn file, or it holds a different model (the
            message names the first differing leaf and both shapes).
    """
    path = check_path(path, "load_params(path=...)", kind="file", must_exist=False)
    what = f"load_params(path={str(path)!r})"
    try:
        header, tree = _read_payload(path, _PARAMS_FORMAT, what)
        if header["format"] == _CHECKPOINT_FORMAT:
            tree = _checkpoint_parts(tree)[0]["params"]
    except _Corrupt as error:
        raise ValueError(
            f"{what}: {path} is not a valid parameter file (truncated or corrupt): {error}."
        ) from error
    if like is None:
        return jax.tree_util.tree_map(jnp.asarray, tree)
    return _restore_tree(like, tree, path, what)


# --------------------------------------------------------------------------- training


def _checkpoint_parts(tree: Any) -> tuple[Any, dict[str, list[Any]], Any]:
    """(state dict, history, early-stopping record) of a decoded checkpoint, or `_Corrupt`."""
    if not isinstance(tree, dict) or not {"state", "history", "early_stopping"} <= tree.keys():
        raise _Corrupt("the stored data is not a training checkpoint (missing entries)")
    state, history = tree["state"], tree["history"]
    if not isinstance(state, dict) or "params" not in state or not isinstance(history, dict):
        raise _Corrupt("the stored training state or history is malformed")
    return state, {key: list(values) for key, values in history.items()}, tree["early_stopping"]


class TrainingCheckpoints:
    """The checkpoints of one training run: ``directory/checkpoint_%08d.msgpack`` per save.

    Each file holds the `TrainState`, the history, early stopping's state, and a header with
    the epoch, the stop reason, the non-finite step if any, and the run's signature (seed,
    steps per epoch, sample count, batch size), all under one CRC. `jaxnn.callbacks.Checkpoint`
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
            signature: settings a resumed run must share (`jaxnn.run.Run.signature`).
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
        """`save` the run (`jaxnn.run.Run`) as it stands after ``run.epoch`` epochs."""
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
    """The keyword arguments of `TrainingCheckpoints.save` for a `jaxnn.run.Run`."""
    return {"epoch": run.epoch, "state": run.state, "history": run.history, "seed": run.seed,
            "early_stopping": run.early_stopping, "stopper": run.stopper,
            "stop_reason": run.stop_reason, "nonfinite": run.nonfinite,
            "signature": run.signature}


__all__ = ["FORMAT_VERSION", "Restored", "TrainingCheckpoints", "load_params", "save_params"]
