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

FORMAT_VERSION = 1
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
    """msgpack bytes of `header` plus `tree`, with a CRC-32 of the tree's bytes."""
    body = serialization.msgpack_serialize(tree)
    return serialization.msgpack_serialize({**header, "crc32": zlib.crc32(body), "body": body})


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
    try:
        header = serialization.msgpack_restore(raw)
    except Exception as error:  # msgpack raises several types for damaged bytes
        raise _Corrupt(f"{type(error).__name__}: {error}") from error
    if not isinstance(header, dict) or not isinstance(header.get("body"), bytes):
        raise _Corrupt(f"the file decodes to {type(header).__name__}, not a jaxnn file")
    if header.get("format") not in (_PARAMS_FORMAT, _CHECKPOINT_FORMAT):
        raise _Corrupt(f"unknown format {header.get('format')!r}")
    if zlib.crc32(header["body"]) != header.get("crc32"):
        raise _Corrupt("the CRC-32 checksum of the stored data does not match")
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
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"save_params(path={str(path)!r}): is a directory; pass a file name.")
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
    path = Path(path)
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

    Args:
        directory: where the files go; created on the first save. A directory that does not
            exist (yet) holds no checkpoints, so ``resume=True`` on the first run of a job
            simply starts from scratch.
        keep: how many of the newest checkpoints to keep (older ones are deleted after a new
            one is safely written).
        every: save after every `every`-th epoch (and whenever `maybe_save` is forced, e.g.
            at the last epoch or when training stops early).
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3, every: int = 1) -> None:
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(
                f"checkpoint_dir={directory!r}: expected a directory path (str or Path), got "
                f"{type(directory).__name__}."
            )
        for name, value in (("keep", keep), ("checkpoint_every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}: expected an integer >= 1.")
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(
                f"checkpoint_dir={str(directory)!r}: exists and is not a directory. Pass a "
                "directory path (it is created if missing)."
            )
        self.keep, self.every = keep, every
        self.restored_stop_reason: str | None = None

    def path(self, epoch: int) -> Path:
        """The file of the checkpoint written after `epoch`."""
        return self.directory / f"checkpoint_{epoch:08d}.msgpack"

    def epochs(self) -> list[int]:
        """Epochs with a checkpoint file in the directory, ascending."""
        if not self.directory.is_dir():
            return []
        found = (_CHECKPOINT_NAME.match(entry.name) for entry in self.directory.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def save(
        self,
        epoch: int,
        state: Any,
        history: Mapping[str, list[float]],
        early_stopping: Any = None,
        seed: int = 0,
        stop_reason: str | None = None,
    ) -> Path:
        """Write the checkpoint after `epoch` (atomically) and prune to the newest `keep`."""
        if early_stopping is None:
            stopper = None
        else:
            scalars, best_params = early_stopping.state_dict()
            stopper = {
                "monitor": early_stopping.monitor,
                "mode": early_stopping.mode,
                "scalars": {key: _plain(value) for key, value in scalars.items()},
                "has_best_params": best_params is not None,
                "best_params": (
                    None
                    if best_params is None
                    else serialization.to_state_dict(jax.device_get(best_params))
                ),
            }
        header = {
            "format": _CHECKPOINT_FORMAT,
            "version": FORMAT_VERSION,
            "epoch": int(epoch),
            "seed": int(seed),
            "stop_reason": stop_reason,
        }
        tree = {
            "state": serialization.to_state_dict(jax.device_get(state)),
            "history": {k: [_plain(v) for v in values] for k, values in history.items()},
            "early_stopping": stopper,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(int(epoch))
        _atomic_write(path, _encode(header, tree))
        for old in self.epochs()[: -self.keep]:
            self.path(old).unlink(missing_ok=True)
        _remove_stale_temp_files(self.directory)
        return path

    def maybe_save(
        self,
        epoch: int,
        state: Any,
        history: Mapping[str, list[float]],
        early_stopping: Any = None,
        seed: int = 0,
        force: bool = False,
        stop_reason: str | None = None,
    ) -> Path | None:
        """Save after `epoch` if ``epoch % every == 0`` or `force`; return the path or None."""
        if force or epoch % self.every == 0:
            return self.save(epoch, state, history, early_stopping, seed, stop_reason)
        return None

    def restore_latest(
        self,
        state: Any,
        early_stopping: Any = None,
        seed: int | None = None,
        *,
        epoch: int | None = None,
    ) -> tuple[Any, dict[str, list[float]], int] | None:
        """Load the newest checkpoint (or the one after `epoch`) into the shape of `state`.

        Args:
            state: a `TrainState` of the same model and optimizer (its values are not used).
            early_stopping: the run's `EarlyStopping`, or None; its state is loaded in place.
            seed: the run's seed; a checkpoint written with another seed is refused, since the
                batch order and dropout keys of the remaining epochs would differ. None skips
                the check.
            epoch: load this checkpoint instead of the newest.

        Returns:
            ``(state, history, epoch)`` with `epoch` the number of completed epochs, or None
            if the directory has no checkpoint (or does not exist).

        Raises:
            ValueError: the checkpoint is truncated or corrupt (the message lists the older
                checkpoints and how to load one), holds a different model or optimizer,
                was written with another seed, or with different early stopping.
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
                f"{self.directory}; the checkpoints there are after epochs {available}."
            )
        path = self.path(epoch)
        what = f"resume from {self.directory}"
        try:
            header, tree = _read_payload(path, _CHECKPOINT_FORMAT, what)
            stored_state, history, stopper = _checkpoint_parts(tree)
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
        if seed is not None and header.get("seed") != seed:
            raise ValueError(
                f"{what}: {path} was written by a run with seed={header.get('seed')!r}, this "
                f"run has seed={seed!r}. Resuming with another seed would change the batch order "
                "of the remaining epochs; pass the original seed, or use a new checkpoint_dir "
                "for a new run."
            )
        restored_state = _restore_tree(state, stored_state, path, what)
        self._restore_early_stopping(early_stopping, stopper, state, path, what)
        self.restored_stop_reason = header.get("stop_reason")
        return restored_state, history, int(header["epoch"])

    @staticmethod
    def _restore_early_stopping(
        early_stopping: Any, stored: Any, state: Any, path: Path, what: str
    ) -> None:
        if early_stopping is None and stored is None:
            return
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
        best_params = None
        if stored["has_best_params"]:
            best_params = _restore_tree(state.params, stored["best_params"], path, what)
        early_stopping.load_state_dict(stored["scalars"], best_params)


__all__ = ["FORMAT_VERSION", "TrainingCheckpoints", "load_params", "save_params"]
