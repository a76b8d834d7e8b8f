"""Parameter files: `save_params` / `load_params`, and the pieces training checkpoints share.

The shared pieces: atomic writes, the CRC-checked msgpack encoding, structure checks on restore.
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

from jaxnn.validate import check_path


FORMAT_VERSION = 2  # 2: the CRC covers the header (epoch, seed, stop reason) too


_PARAMS_FORMAT = "jaxnn.params"


_CHECKPOINT_FORMAT = "jaxnn.checkpoint"


_TEMP_PREFIX = ".tmp-"


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
            "checkpoint; load it with jaxnn.load_params."
        )
    try:
        tree = serialization.msgpack_restore(header.pop("body"))
    except Exception as error:
        raise _Corrupt(f"{type(error).__name__}: {error}") from error
    return header, tree


class _Corrupt(ValueError):
    """Internal: the bytes are not a readable jaxnn file (the reason is the message)."""


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


def _checkpoint_parts(tree: Any) -> tuple[Any, dict[str, list[Any]], Any]:
    """(state dict, history, early-stopping record) of a decoded checkpoint, or `_Corrupt`."""
    if not isinstance(tree, dict) or not {"state", "history", "early_stopping"} <= tree.keys():
        raise _Corrupt("the stored data is not a training checkpoint (missing entries)")
    state, history = tree["state"], tree["history"]
    if not isinstance(state, dict) or "params" not in state or not isinstance(history, dict):
        raise _Corrupt("the stored training state or history is malformed")
    return state, {key: list(values) for key, values in history.items()}, tree["early_stopping"]


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
