"""Save and load a whole model: the architecture (its constructor arguments) and the parameters.

    jaxnn.save_model("pid.jaxnn", model, result.params)
    model, params = jaxnn.load_model("pid.jaxnn")
    scores = jaxnn.predict_proba(model, params, x_test)

The file is a `jaxnn.save_params` parameter file (msgpack, CRC-checked, written atomically)
whose header also holds the architecture as JSON: the class and its dataclass fields, nested
for `Sequential` layers. `jaxnn.load_params` reads its parameters too. Activations and
initializers must be given by name to be saved (a name is text; a function is not); dtypes are
stored by name. Classes are looked up among jaxnn's and `flax.linen`'s, never imported by
name: other classes are passed to `load_model` in `custom_objects` (as in Keras).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from jaxnn import models as models_lib
from jaxnn.saving._params import (
    _PARAMS_FORMAT,
    FORMAT_VERSION,
    _atomic_write,
    _Corrupt,
    _encode,
    _read_payload,
)
from jaxnn.validate import check_path, leaf_paths

__all__ = ["load_model", "model_config", "model_from_config", "save_model"]

_CONFIG_VERSION = 1
_SKIPPED_FIELDS = ("parent", "name")


def _known_classes() -> dict[str, type]:
    classes = {cls.__name__: cls for cls in (
        models_lib.MLP, models_lib.CNN, models_lib.LogisticRegression, models_lib.Maxout,
        models_lib.Conv2D, models_lib.Sequential, *models_lib.LAYERS)}
    return classes


def _class_key(cls: type) -> str:
    known = _known_classes()
    if known.get(cls.__name__) is cls:
        return cls.__name__
    if getattr(nn, cls.__name__, None) is cls:
        return f"flax.linen.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _encode_value(value: Any, where: str) -> Any:
    """A JSON-able form of one constructor argument."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (np.integer, np.floating)):
        return _encode_value(value.item(), where)
    if isinstance(value, (tuple, list)):
        return {"tuple": [_encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, (nn.Module, *models_lib.LAYERS)):
        return model_config(value, where)
    for name, function in models_lib.ACTIVATIONS.items():
        if value is function:
            return name
    try:
        return {"dtype": jnp.dtype(value).name}
    except TypeError:
        pass
    raise TypeError(
        f"save_model: {where} is {value!r:.80}, which cannot be written as text. Give it by "
        "name (activations such as 'relu', initializers such as 'he_normal'), or save the "
        "parameters alone with jaxnn.save_params and rebuild the model in code."
    )


def _is_default(field: dataclasses.Field, value: Any) -> bool:
    """Whether `value` is the field's default (left out of the config: the class supplies it,
    so defaults such as flax.linen.Dense's initializer functions need no name)."""
    if field.default is dataclasses.MISSING:
        return False
    try:
        return value is field.default or bool(value == field.default)
    except (TypeError, ValueError):  # values without a truth value (arrays) are stored
        return False


def model_config(model: Any, where: str | None = None) -> dict[str, Any]:
    """The architecture of a flax.linen Module (or a `Sequential` layer) as JSON-able dicts:
    ``{"class": "MLP", "config": {"features": {"tuple": [64, 2]}, ...}}``."""
    where = where or type(model).__name__
    if not dataclasses.is_dataclass(model) or isinstance(model, type):
        raise TypeError(f"save_model(model=...): expected a flax.linen Module instance such as "
                        f"jaxnn.MLP([64, 2]), got {model!r:.80}.")
    config = {field.name: _encode_value(getattr(model, field.name), f"{where}.{field.name}")
              for field in dataclasses.fields(model)
              if field.init and field.name not in _SKIPPED_FIELDS
              and not _is_default(field, getattr(model, field.name))}
    return {"class": _class_key(type(model)), "config": config}


def _decode_value(value: Any, custom_objects: Mapping[str, type]) -> Any:
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode_value(v, custom_objects) for v in value["tuple"])
        if "dtype" in value:
            return jnp.dtype(value["dtype"])
        if "float" in value:
            return float(value["float"])
        if "class" in value:
            return model_from_config(value, custom_objects)
        raise ValueError(f"unknown entry {value!r:.80}")
    return value


def model_from_config(config: Mapping[str, Any],
                      custom_objects: Mapping[str, type] | None = None) -> Any:
    """Rebuild a model from `model_config`'s output; classes outside jaxnn and flax.linen come
    from `custom_objects` ({class name: class})."""
    custom_objects = dict(custom_objects or {})
    key = config["class"]
    known = _known_classes()
    short = key.rsplit(".", 1)[-1]
    if key in known:
        cls = known[key]
    elif key.startswith("flax.linen.") and isinstance(getattr(nn, short, None), type):
        cls = getattr(nn, short)
    elif short in custom_objects or key in custom_objects:
        cls = custom_objects.get(key, custom_objects.get(short))
    else:
        raise ValueError(
            f"the architecture {key!r} is not one of jaxnn's ({sorted(known)}) or flax.linen's. "
            f"Pass its class: load_model(path, custom_objects={{{short!r}: {short}}}).")
    arguments = {name: _decode_value(value, custom_objects)
                 for name, value in config["config"].items()}
    return cls(**arguments)


def save_model(path: str | os.PathLike, model: nn.Module, params: Any) -> Path:
    """Write `model`'s architecture and `params` (e.g. ``result.params``) to one file.

    Args:
        path: the file (parent directories are created; written atomically).
        model: a flax.linen Module whose constructor arguments are numbers, text, tuples,
            names of activations/initializers, dtypes, or such modules/layers.
        params: its parameters.

    Returns:
        The path. Raises TypeError for an argument that cannot be written as text (a
        function given instead of its name) or parameters that are not a pytree of arrays,
        and ValueError for parameters of another architecture (checked against
        ``model.init`` on shapes only, nothing computed).
    """
    path = check_path(path, "save_model(path=...)", kind="file", must_exist=False)
    architecture = json.dumps({"version": _CONFIG_VERSION, **model_config(model)})
    leaves = jax.tree_util.tree_leaves(params)
    parameterless = not leaves and isinstance(params, Mapping)  # model.init gave {}
    if not (leaves or parameterless) or not all(hasattr(leaf, "shape") for leaf in leaves):
        raise TypeError("save_model(params=...): expected a pytree of arrays (model.init(...) or "
                        f"result.params), got {type(params).__name__}.")
    check_params_belong(model, params, "save_model(params=...)")
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": _PARAMS_FORMAT, "version": FORMAT_VERSION, "architecture": architecture}
    tree = serialization.to_state_dict(jax.device_get(params))
    _atomic_write(path, _encode(header, tree))
    return path


def _input_guesses(params: Any) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of sample shapes (without the batch axis) that the model the parameters came from
    could take, read off their kernels: a dense kernel (features, units) gives (features,), a
    convolution kernel (..., channels, filters) images with those channels. The second shape of
    a pair differs from the first in the sizes the parameters cannot tell (the image size), so
    the leaves whose shapes follow the input can be told from those that belong to the model."""
    guesses = []
    for name, leaf in leaf_paths(params):
        shape = tuple(np.shape(leaf))
        if not name.endswith("kernel") or len(shape) < 2:
            continue
        if len(shape) == 2:
            guesses.append(((shape[0],), (shape[0] + 1,)))
            continue
        for size in (32, 64, 128):  # spatial sizes for a convolution kernel (..., in, out)
            spatial = len(shape) - 2
            guesses.append(((size,) * spatial + shape[-2:-1],
                            (size + 16,) * spatial + shape[-2:-1]))
    # inputs of other models (the parameters may be another kind's): images, then features
    guesses += [((32, 32, channels), (48, 48, channels)) for channels in (1, 3)]
    guesses.append(((4,), (5,)))
    return list(dict.fromkeys(guesses))


def _init_shapes(model: Any, sample_shape: tuple[int, ...], dtype: Any) -> dict[str, tuple]:
    """``{leaf path: shape}`` of ``model.init(key, x)``, ``x: (1, *sample_shape)``, on shapes."""
    sample = jax.ShapeDtypeStruct((1, *sample_shape), jax.dtypes.canonicalize_dtype(dtype))
    tree = jax.eval_shape(lambda x: model.init(jax.random.PRNGKey(0), x), sample)
    return {name: tuple(leaf.shape) for name, leaf in leaf_paths(tree)}


def _model_shapes(model: Any, params: Any) -> dict[str, tuple] | None:
    """The model's leaf shapes, with None on the axes that follow the input's size, for the first
    input the parameters suggest that the model accepts (None if it accepts none of them)."""
    dtype = next((leaf.dtype for _, leaf in leaf_paths(params)
                  if jnp.issubdtype(leaf.dtype, jnp.floating)), jnp.float32)
    given = {name for name, _ in leaf_paths(params)}
    found = None
    for first, second in _input_guesses(params):
        try:
            shapes, other = _init_shapes(model, first, dtype), _init_shapes(model, second, dtype)
        except Exception:  # noqa: BLE001 (the model refuses this guess: try the next)
            continue
        merged = {name: tuple(a if a == b else None for a, b in zip(shape, other[name],
                                                                      strict=True))
                  for name, shape in shapes.items() if len(shape) == len(other.get(name, ()))}
        if len(merged) == len(shapes):
            found = found or merged
            if set(merged) == given:
                return merged
    return found


def check_params_belong(model: Any, params: Any, argument: str) -> None:
    """Raise ValueError unless `params` has the leaves, and leaf by leaf the shapes, that
    `model.init` builds (the axes that follow the input's size aside). Models whose input cannot
    be told from their parameters pass unchecked."""
    if not callable(getattr(model, "init", None)):
        return
    wanted = _model_shapes(model, params)
    if wanted is None:
        return
    given = {name: tuple(np.shape(leaf)) for name, leaf in leaf_paths(params)}
    mismatch = f"{argument}: the parameters do not belong to this model {_short_repr(model)}:"
    hint = ("Save the parameters this model was trained with (result.params of its fit), or "
            "the model they came from.")
    missing = [name for name in wanted if name not in given]
    if missing:
        others = [k for k in given if k not in wanted][:3]
        have = others or sorted(given)[:3] or "none"
        raise ValueError(f"{mismatch} they lack {len(missing)} of its leaves, e.g. "
                         f"{missing[0]}; they have {have} instead. {hint}")
    extra = [name for name in given if name not in wanted]
    if extra:
        raise ValueError(f"{mismatch} they hold {len(extra)} leaves the model has no use for, "
                         f"e.g. {extra[0]}. {hint}")
    for name, shape in wanted.items():
        held = given[name]
        if len(held) != len(shape) or any(w not in (None, h) for w, h in zip(shape, held,
                                                                              strict=True)):
            needed = "(" + ", ".join("any" if w is None else str(w) for w in shape) + (
                ",)" if len(shape) == 1 else ")")
            raise ValueError(f"{mismatch} at {name} they hold shape {held}, the model needs "
                             f"{needed}. {hint}")


def _short_repr(model: Any) -> str:
    """``MLP(features=(8, 2))``: the class and the arguments that differ from the defaults."""
    if not dataclasses.is_dataclass(model):
        return type(model).__name__
    arguments = ", ".join(f"{field.name}={getattr(model, field.name)!r:.40}"
                          for field in dataclasses.fields(model)
                          if field.init and field.name not in _SKIPPED_FIELDS
                          and not _is_default(field, getattr(model, field.name)))
    text = f"{type(model).__name__}({arguments})"
    return text if len(text) <= 100 else text[:97] + "..."


def load_model(path: str | os.PathLike,
               custom_objects: Mapping[str, type] | None = None) -> tuple[Any, Any]:
    """Read a file written by `save_model`; returns ``(model, params)``.

    Args:
        path: the file.
        custom_objects: ``{class name: class}`` for architectures outside jaxnn and flax.linen.

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: the file is damaged, holds parameters only (written by `save_params`), or
            names an architecture that is not known (pass it in `custom_objects`).
    """
    path = check_path(path, "load_model(path=...)", kind="file")
    what = f"load_model(path={str(path)!r})"
    try:
        header, tree = _read_payload(path, _PARAMS_FORMAT, what)
    except _Corrupt as error:
        raise ValueError(f"{what}: {path} is not a valid jaxnn model file (truncated or "
                         f"corrupt): {error}.") from error
    if header.get("format") != _PARAMS_FORMAT or "architecture" not in header:
        raise ValueError(f"{what}: {path} holds parameters only (written by save_params or a "
                         "training checkpoint), no architecture. Build the model in code and "
                         "read them with jaxnn.load_params(path).")
    try:
        config = json.loads(header["architecture"])
        model = model_from_config(config, custom_objects)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{what}: cannot rebuild the model: {error}") from error
    return model, jax.tree_util.tree_map(jnp.asarray, tree)
