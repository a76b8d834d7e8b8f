"""Data parallelism: one device mesh, parameters replicated, the batch sharded along ``data``.

JAX is the distributed engine. `jaxnn.train_loop` (and so `jaxnn.fit` and `pinn.solve`) places
the parameters and optimizer state replicated on a one-axis mesh of all devices
(`jax.make_mesh`, `jax.sharding.NamedSharding`) and the batch split along the mesh axis
``"data"``; `jax.jit` partitions the compiled epoch (GSPMD) and inserts the gradient all-reduce
itself. Nothing here is a second code path: on one device the loop runs exactly as before.

Which devices: all of them, unless switched off or narrowed with `use`, once for the process
or for a ``with`` block::

    jaxnn.parallel.use(1)                      # one device from here on (the old behaviour)
    with jaxnn.parallel.use(4):                # the first 4 devices inside the block
        result = jaxnn.fit(model, (x, y), batch_size=256)

How data are split (`place`):

- An array whose leading size is a multiple of the device count is sharded along it; any
  other array (and every scalar) is replicated. Sharding or replicating never changes what is
  computed, only where: results agree with one device up to float rounding.
- Minibatches (``batch_size=n``): each step's batch is split along ``data`` when `batch_size`
  is a multiple of the device count. Otherwise the step runs replicated on every device (the
  same numbers, no speed-up) and a warning names the nearest multiples.
- Full batch (``batch_size=None``, PINN collocation points): the rule above; with the default
  sizes of `pinn.solve` (2000 interior, 400 boundary points) and 2, 4 or 8 devices everything
  is sharded.

Several processes (hosts), each started with the same script::

    jaxnn.parallel.initialize()                # SLURM / Open MPI: detected by JAX
    jaxnn.parallel.initialize("10.0.0.1:1234", num_processes=2, process_id=rank)  # by hand

With minibatches each process passes its own share of the samples (same number of rows on
every process): the global data set is their concatenation in process order and `batch_size`
is global. With full-batch data every process passes the same arrays (e.g. collocation points
drawn with the same seed) and each device keeps its slice. Only process 0 prints progress and
writes checkpoints (`is_main_process`); every process may read them to resume. `predict` and
`evaluate` run on each process's own devices and inputs.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"
DevicesSpec = str | int | Sequence[jax.Device] | None

_devices_setting: DevicesSpec = "all"

__all__ = [
    "DATA_AXIS",
    "batch_sharding",
    "constrain_batch",
    "current_devices",
    "gather_processes",
    "initialize",
    "is_main_process",
    "local_mesh",
    "mesh",
    "place",
    "replicate",
    "replicated",
    "use",
]


def _check_devices(devices: Any) -> DevicesSpec:
    """The `use(devices=...)` argument, checked; a device list comes back as a tuple."""
    hint = (
        'Pass "all" (every device, the default), an integer n (the first n devices), a list '
        "of jax.Device, or None / 1 for one device (no parallelism)."
    )
    if devices is None or (isinstance(devices, str) and devices == "all"):
        return devices
    if isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        if devices < 1:
            raise ValueError(f"jaxnn.parallel.use(devices={devices}): expected >= 1. {hint}")
        return int(devices)
    if (
        isinstance(devices, Sequence)
        and devices
        and all(isinstance(d, jax.Device) for d in devices)
    ):
        if len(set(devices)) != len(devices):
            raise ValueError(f"jaxnn.parallel.use(devices={devices}): a device is listed twice.")
        return tuple(devices)
    error = ValueError if isinstance(devices, str) else TypeError  # a wrong word, or a wrong type
    raise error(f"jaxnn.parallel.use(devices={devices!r}): got {type(devices).__name__}. {hint}")


class use:  # lower case: it reads as a call, `use(1)`, or a block, `with use(1):`
    """Choose the devices `train_loop`, `fit`, `evaluate`, `predict` and `pinn.solve` run on.

    Called plainly it sets the choice for the rest of the process; used as a context manager
    it restores the previous choice on exit.

    Args:
        devices: "all" (default: every device of every process), an integer n (the first n
            of `jax.devices()`), a list of `jax.Device`, or None or 1: one device, no
            parallelism (the default device, as without this module).

    Example::

        with jaxnn.parallel.use(None):         # compare against a single-device run
            reference = jaxnn.fit(model, (x, y), epochs=5)
    """

    def __init__(self, devices: DevicesSpec = "all") -> None:
        global _devices_setting
        checked = _check_devices(devices)
        self.previous, self.devices = _devices_setting, checked
        _devices_setting = checked

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        global _devices_setting
        _devices_setting = self.previous


def current_devices() -> list[jax.Device]:
    """The devices the training loop uses under the current `use` setting."""
    setting = _devices_setting
    if setting is None or setting == 1:
        return [jax.devices()[0]]
    if setting == "all":
        return list(jax.devices())
    if isinstance(setting, int):
        if setting > jax.device_count():
            raise ValueError(
                f"jaxnn.parallel.use(devices={setting}): only {jax.device_count()} devices are "
                f"available ({jax.devices()}). Use a number up to {jax.device_count()} or 'all'."
            )
        return list(jax.devices()[:setting])
    return list(setting)


@functools.lru_cache(maxsize=16)
def _make_mesh(devices: tuple[jax.Device, ...]) -> Mesh:
    # Auto axes: jit propagates the input shardings and partitions the program (GSPMD).
    return jax.make_mesh((len(devices),), (DATA_AXIS,), (AxisType.Auto,), devices=devices)


def mesh() -> Mesh | None:
    """The one-axis ``("data",)`` mesh of `current_devices`, or None for the default device alone.

    None means: run exactly as single-device JAX does (no shardings anywhere).

    Raises:
        ValueError: in a run of several processes, when the chosen devices leave out a
            process (every process must take part in each compiled step).
    """
    devices = current_devices()
    processes = {d.process_index for d in devices}
    if jax.process_count() > 1 and len(processes) < jax.process_count():
        raise ValueError(
            f"jaxnn.parallel.use(devices={_devices_setting!r}): this run has "
            f"{jax.process_count()} processes, but the chosen devices belong to processes "
            f"{sorted(processes)} only. Every process must take part: use('all') or a device "
            "list with devices of every process."
        )
    if len(devices) == 1 and devices[0] == jax.devices()[0]:
        return None
    return _make_mesh(tuple(devices))


def local_mesh() -> Mesh | None:
    """The mesh of this process's devices among `current_devices` (for `predict`), or None."""
    devices = [d for d in current_devices() if d.process_index == jax.process_index()]
    if not devices or devices == [jax.local_devices()[0]]:
        return None
    return _make_mesh(tuple(devices))


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    **options: Any,
) -> None:
    """Join a run of several processes (hosts): `jax.distributed.initialize`, checked.

    Call it at the top of the script, before any JAX computation, in every process. On SLURM
    or Open MPI (and the other clusters JAX detects) the arguments can be left out. Calling
    it again in the same process does nothing. After it, `jax.devices()` lists the devices of
    all processes and `train_loop` shards over all of them.

    Args:
        coordinator_address: "host:port" of process 0, reachable from every process.
        num_processes: how many processes take part.
        process_id: this process's rank, 0 <= process_id < num_processes.
        **options: passed on to `jax.distributed.initialize` (e.g. ``local_device_ids``,
            ``initialization_timeout``).

    On CPU, cross-process collectives use gloo (JAX's default
    ``jax_cpu_collectives_implementation``).
    """
    if jax.distributed.is_initialized():
        return
    try:
        jax.distributed.initialize(coordinator_address, num_processes, process_id, **options)
    except ValueError as error:
        if coordinator_address is None and "coordinator_address" in str(error):
            raise ValueError(
                "jaxnn.parallel.initialize(): JAX found no cluster (SLURM, Open MPI, ...) to "
                "read the process layout from, and no coordinator_address was given. Pass "
                "coordinator_address='host:port' of process 0, num_processes and process_id, "
                "or do not call initialize() for a single-process run."
            ) from error
        raise
    except RuntimeError as error:
        raise RuntimeError(
            f"jaxnn.parallel.initialize(): {error} In a jaxnn script that means before "
            "model.init, jnp arrays, jaxnn.parallel.use(n) or fit."
        ) from error


def is_main_process() -> bool:
    """True in process 0 (and in every single-process run): the one that prints and writes."""
    return jax.process_index() == 0


def _is_global(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and not leaf.is_fully_addressable


def _sharding(mesh: Mesh, shape: tuple[int, ...], count: int) -> NamedSharding:
    if len(shape) >= 1 and shape[0] % count == 0:
        return NamedSharding(mesh, PartitionSpec(DATA_AXIS))
    return NamedSharding(mesh, PartitionSpec())


def _local_copy(leaf: Any) -> Any:
    """This process's whole copy of a replicated array that spans several processes."""
    if not leaf.is_fully_replicated:
        raise ValueError(
            f"expected parameters replicated on every device, got an array of shape {leaf.shape} "
            f"split as {leaf.sharding}. Pass the parameters a jaxnn training run returned, or "
            "gather them with jax.experimental.multihost_utils.process_allgather."
        )
    return leaf.addressable_data(0)


def replicate(tree: Any, mesh: Mesh | None) -> Any:
    """Put every array of `tree` whole on every device of `mesh` (parameters, optimizer state).

    In a run of several processes the values must be the same on every process. With
    ``mesh=None`` only arrays that span several processes change: to this process's copy.
    """
    devices = None if mesh is None else set(mesh.devices.flat)

    def put(leaf: Any) -> Any:
        if _is_global(leaf):
            if leaf.sharding.device_set == devices:
                return jax.device_put(leaf, replicated(mesh))
            leaf = _local_copy(leaf)
        if mesh is None:
            return leaf
        if jax.process_count() > 1 and not replicated(mesh).is_fully_addressable:
            leaf = np.asarray(leaf)
        return jax.device_put(leaf, replicated(mesh))

    return jax.tree_util.tree_map(put, tree)


def place(
    tree: Any,
    mesh: Mesh | None,
    *,
    process_shares: bool = False,
    argument: str = "train_loop(data=...)",
) -> Any:
    """Place the arrays of `tree` on `mesh`: split along the leading axis where it divides.

    An array whose leading size is a multiple of the device count is sharded along ``data``;
    other arrays and scalars are replicated. Arrays that already span several processes
    (global `jax.Array`) are used as they are.

    Args:
        tree: a pytree of arrays.
        mesh: from `mesh()`; None puts `tree` on the default device (`jax.device_put`).
        process_shares: in a run of several processes, every array with a leading axis is this
            process's share of the rows; the global array is the concatenation of the shares in
            process order (`jax.make_array_from_process_local_data`). Each share must have the
            same number of rows on every process, a multiple of the local device count.
            Without it, every process passes the same (whole) arrays.
        argument: how error messages name `tree`, e.g. "fit(data=...)".

    Returns:
        The pytree of placed `jax.Array`s.
    """
    if mesh is None:
        return jax.device_put(tree)
    if process_shares and jax.process_count() > 1:
        return _place_shares(tree, mesh, argument)

    def put(leaf: Any) -> Any:
        if _is_global(leaf):
            return leaf
        if jax.process_count() > 1:
            leaf = np.asarray(leaf)
        return jax.device_put(leaf, _sharding(mesh, np.shape(leaf), mesh.size))

    return jax.tree_util.tree_map(put, tree)


def _place_shares(tree: Any, mesh: Mesh, argument: str) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    local_devices = len(mesh.local_devices)
    rows = [np.shape(leaf)[0] for leaf in leaves if not _is_global(leaf) and np.ndim(leaf)]
    counts = multihost_utils.process_allgather(np.array(rows, np.int64))
    if np.any(counts != counts[0]):
        raise ValueError(
            f"{argument}: in a run of several processes each process passes its share "
            "of the samples, and every share needs the same number of rows; the processes "
            f"passed {counts[:, 0].tolist() if counts.size else []} rows. Split the data evenly "
            "(drop the remainder or pad with zero-weight rows)."
        )
    placed = []
    sharded = NamedSharding(mesh, PartitionSpec(DATA_AXIS))
    for leaf in leaves:
        if _is_global(leaf):
            placed.append(leaf)
        elif np.ndim(leaf) == 0:
            placed.append(jax.device_put(np.asarray(leaf), replicated(mesh)))
        elif np.shape(leaf)[0] % local_devices:
            raise ValueError(
                f"{argument}: this process's share has {np.shape(leaf)[0]} rows, not a "
                f"multiple of its {local_devices} devices; each device must hold the same number "
                "of rows. Give every process a share whose size is a multiple of "
                f"{local_devices} (drop or pad {np.shape(leaf)[0] % local_devices} rows)."
            )
        else:
            placed.append(jax.make_array_from_process_local_data(sharded, np.asarray(leaf)))
    return jax.tree_util.tree_unflatten(treedef, placed)


def replicated(mesh: Mesh) -> NamedSharding:
    """The sharding that keeps a whole copy on every device of `mesh`."""
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh | None, batch_size: int) -> NamedSharding | None:
    """How each step's minibatch (leading size `batch_size`) is split along ``data``.

    None (no constraint) when there is no mesh, or when `batch_size` is not a multiple of the
    device count; then a warning says that the steps run whole on every device and which
    sizes would split.
    """
    if mesh is None:
        return None
    if batch_size % mesh.size:
        lower = batch_size - batch_size % mesh.size
        warnings.warn(
            f"batch_size={batch_size} is not a multiple of the {mesh.size} devices, so each "
            "step runs whole on every device (same results, no speed-up). Use batch_size="
            f"{lower + mesh.size}{f' or {lower}' if lower else ''} to split the batch, or "
            "jaxnn.parallel.use(1) to train on one device.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def constrain_batch(batch: Any, sharding: NamedSharding | None) -> Any:
    """Inside jit: ask XLA to split every array of the minibatch `batch` by `sharding`."""
    if sharding is None:
        return batch
    return jax.tree_util.tree_map(lambda a: jax.lax.with_sharding_constraint(a, sharding), batch)


def gather_processes(tree: Any) -> Any:
    """Concatenate each process's arrays (same shapes on every process) along axis 0.

    Every process gets the same NumPy result; in a single-process run `tree` comes back as
    NumPy arrays unchanged.
    """
    if jax.process_count() == 1:
        return jax.tree_util.tree_map(np.asarray, tree)
    shapes = multihost_utils.process_allgather(
        np.array([s for leaf in jax.tree_util.tree_leaves(tree) for s in np.shape(leaf)[:1]])
    )
    if np.any(shapes != shapes[0]):
        raise ValueError(
            "validation data: in a run of several processes every process needs a validation "
            f"share of the same size; the processes have {shapes[:, 0].tolist()} rows. Split "
            "validation_data evenly between the processes."
        )
    return multihost_utils.process_allgather(jax.tree_util.tree_map(np.asarray, tree), tiled=True)
