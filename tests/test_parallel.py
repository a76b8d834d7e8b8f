"""Data parallelism (`jaxnn.parallel`) on CPU.

JAX fixes its device count when it starts, so the multi-device checks run in fresh Python
processes: one with 8 simulated CPU devices (``JAX_NUM_CPU_DEVICES=8``) that trains each case
on 8 devices and on 1 (``jaxnn.parallel.use(1)``) and reports what it saw as JSON, and a pair
of processes joined by `jax.distributed` on localhost (2 CPU devices each, gloo collectives).
"""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import jax
import numpy as np
import optax
import pytest
from conftest import FAST_COMPILE  # both sides of every comparison compile with these flags

import jaxnn
from jaxnn import parallel

TIMEOUT = 1800  # seconds; a safety net: a stuck collective must fail the test, not hang it

EIGHT_DEVICES = textwrap.dedent(
    r"""
    import json, logging, os, tempfile, warnings
    import jax
    from jaxnn import parallel

    report = {}
    try:  # no cluster and no coordinator: a clear error (before any JAX computation)
        parallel.initialize()
    except ValueError as error:
        report["initialize_error"] = str(error)

    import jax.numpy as jnp
    import numpy as np
    import optax
    import jaxnn
    from jaxnn.training import train_loop

    report["devices"] = jax.device_count()
    leaves = jax.tree_util.tree_leaves

    compiled_epochs = []  # one entry per XLA compilation of the epoch function


    class CountEpochCompiles(logging.Handler):
        def emit(self, record):
            if "Finished XLA compilation of jit(chunk)" in record.getMessage():
                compiled_epochs.append(record.getMessage())


    dispatch_log = logging.getLogger("jax._src.dispatch")
    dispatch_log.addHandler(CountEpochCompiles())
    dispatch_log.propagate = False
    jax.config.update("jax_log_compiles", True)


    def max_difference(a, b):
        return max(float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
                   for u, v in zip(leaves(a), leaves(b)))


    def on_1_and_8(run):
        with parallel.use(1):
            one = run()
        return one, run()


    # fit: classifier on blobs, 8 devices against 1
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int32)
    model = jaxnn.MLP([16, 2], activation="tanh")

    def fit():
        return jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-2), epochs=4, batch_size=32,
                         validation_split=0.25, seed=0, verbose=0)

    one, eight = on_1_and_8(fit)
    report["fit"] = {"loss_1": one.history["loss"], "loss_8": eight.history["loss"],
                     "val_1": one.history["val_accuracy"], "val_8": eight.history["val_accuracy"],
                     "params_difference": max_difference(one.params, eight.params),
                     "params_sharding_1": type(leaves(one.params)[0].sharding).__name__,
                     "params_spec_8": str(leaves(eight.params)[0].sharding.spec),
                     "params_devices_8": len(leaves(eight.params)[0].sharding.device_set)}
    with parallel.use(1):
        predicted_1 = jaxnn.predict(model, eight.params, x[:37])
    report["predict_difference"] = float(np.max(np.abs(predicted_1 - jaxnn.predict(
        model, eight.params, x[:37]))))


    # train_loop with minibatches: what sharding does the loss see, how often is it traced?
    def sharding_probe(seen):
        def loss_fn(params, batch, key):
            seen["traces"] = seen.get("traces", 0) + 1
            jax.debug.inspect_array_sharding(
                batch["x"], callback=lambda s: seen.setdefault("batch_x", str(s)))
            residual = batch["x"] @ params["w"] - batch["y"]
            return jnp.mean(batch["weight"] * residual**2), {}
        return loss_fn

    def least_squares(seen, batch_size=64, epochs=4, checkpoint_dir=None, resume=False):
        data = {"x": x, "y": x @ np.arange(1.0, 5.0, dtype=np.float32),
                "weight": np.ones(len(x), np.float32)}
        traces = []
        result = train_loop(sharding_probe(seen), {"w": jnp.zeros(4)}, data,
                            optimizer=optax.adam(0.05), epochs=epochs, batch_size=batch_size,
                            callbacks=[lambda epoch, logs: traces.append(
                                (seen.get("traces", 0), len(compiled_epochs)))] + (
                                [] if checkpoint_dir is None else
                                [jaxnn.Checkpoint(checkpoint_dir, resume=resume, verbose=0)]))
        seen["traces_and_compiles"] = traces
        return result

    seen_1, seen_8 = {}, {}
    with parallel.use(1):
        one = least_squares(seen_1)
    eight = least_squares(seen_8)
    report["minibatch"] = {"seen_1": seen_1, "seen_8": seen_8,
                           "loss_1": one.history["loss"], "loss_8": eight.history["loss"]}

    straight = eight

    with warnings.catch_warnings(record=True) as caught:  # 20 rows do not split over 8
        warnings.simplefilter("always")
        report["odd_batch"] = {"sharding": str(parallel.batch_sharding(parallel.mesh(), 20)),
                               "warnings": [str(w.message) for w in caught]}


    # full batch, a PINN-like dict: interior points with a mask (64 rows: sharded), one
    # boundary part with 6 points (not a multiple of 8: replicated), scalar weights; data_fn
    # hands in fresh points every epoch, as pinn's resampling does.
    def collocation(epoch):
        points = np.random.default_rng(epoch).uniform(-1, 1, size=(64, 2)).astype(np.float32)
        boundary = np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2)
        return {"interior": points, "interior_mask": np.ones(64, np.float32),
                "boundary": [(boundary, np.ones_like(boundary))],
                "weights": {"interior": np.float32(1.0), "boundary": [np.float32(10.0)]}}

    def residual_loss(seen):
        def loss_fn(params, batch, key):
            seen["traces"] = seen.get("traces", 0) + 1
            jax.debug.inspect_array_sharding(
                batch["interior"], callback=lambda s: seen.setdefault("interior", str(s)))
            points, normals = batch["boundary"][0]
            jax.debug.inspect_array_sharding(
                points, callback=lambda s: seen.setdefault("boundary", str(s)))
            u = jnp.tanh(batch["interior"] @ params["w"] + params["b"])
            interior = jnp.sum(batch["interior_mask"] * (u - 0.5) ** 2) / jnp.sum(
                batch["interior_mask"])
            boundary = jnp.mean((points @ params["w"] + params["b"]) ** 2)
            loss = (batch["weights"]["interior"] * interior
                    + batch["weights"]["boundary"][0] * boundary)
            return loss, {"interior_loss": interior, "boundary_loss": boundary}
        return loss_fn

    def full_batch(seen, optimizer):
        traces = []
        result = train_loop(
            residual_loss(seen), {"w": jnp.array([0.3, -0.2]), "b": jnp.zeros(())},
            collocation(0), optimizer=optimizer, epochs=4, batch_size=None,
            steps_per_epoch=5, callbacks=[
                jaxnn.DataRefresh(lambda epoch, params: collocation(epoch)),
                lambda epoch, logs: traces.append((seen.get("traces", 0), len(compiled_epochs)))])
        seen["traces_and_compiles"] = traces
        return result

    report["full_batch"] = {}
    for name, optimizer in (("adam", optax.adam(1e-2)),):
        seen_8 = {}
        with parallel.use(1):
            one = full_batch({}, optimizer)
        eight = full_batch(seen_8, optimizer)
        report["full_batch"][name] = {
            "seen_8": seen_8, "loss_1": one.history["loss"], "loss_8": eight.history["loss"],
            "params_difference": max_difference(one.params, eight.params)}


    # the NaN guard: the loss turns non-finite once w passes 1.5
    def explodes(params, batch, key):
        loss = jnp.mean((batch["x"] * params["w"] - 2.0 * batch["x"]) ** 2)
        return jnp.where(params["w"] > 1.5, jnp.nan, loss), {}

    def nan_run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return train_loop(explodes, {"w": jnp.zeros(())}, {"x": x[:, 0]},
                              optimizer=optax.sgd(0.05), epochs=6, batch_size=32)

    one, eight = on_1_and_8(nan_run)
    report["nan"] = {"nonfinite_1": one.nonfinite, "nonfinite_8": eight.nonfinite,
                     "w_1": float(one.params["w"]), "w_8": float(eight.params["w"])}


    # resume on 8 devices: same parameters, bit for bit, as an uninterrupted run
    with tempfile.TemporaryDirectory() as directory:
        least_squares({}, epochs=2, checkpoint_dir=directory)
        resumed = least_squares({}, checkpoint_dir=directory, resume=True)
    report["resume"] = {"difference": max_difference(resumed.params, straight.params),
                        "loss_resumed": resumed.history["loss"],
                        "loss_straight": straight.history["loss"]}


    # pinn.solve, when the pinn package can run: if it fails on one device the test skips;
    # a failure on 8 devices only is reported as such.
    def solve():
        import pinn

        return pinn.solve(pinn.problems.get("poisson1d").build(), stages=[pinn.Adam(10)],
                          collocation=pinn.Collocation(64, boundary=8), log_every=5, seed=0,
                          verbose=0)

    try:
        with parallel.use(1):
            one = solve()
    except Exception as error:
        report["pinn_unavailable"] = f"{type(error).__name__}: {error}"
    else:
        eight = solve()
        report["pinn"] = {"loss_1": one.history["loss"], "loss_8": eight.history["loss"]}

    print("REPORT " + json.dumps(report))
    """
)

TWO_PROCESSES = textwrap.dedent(
    r"""
    import json, sys
    process_id, port = int(sys.argv[1]), int(sys.argv[2])
    import jax
    jax.config.update("jax_num_cpu_devices", 2)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    from jaxnn import parallel
    parallel.initialize(f"localhost:{port}", num_processes=2, process_id=process_id,
                        initialization_timeout=60)
    import numpy as np, optax, jaxnn
    from jaxnn.saving import TrainingCheckpoints

    save = TrainingCheckpoints.save
    def announced_save(self, epoch, *args, **kwargs):
        print(f"saving checkpoint {epoch} in process {process_id}", flush=True)
        return save(self, epoch, *args, **kwargs)
    TrainingCheckpoints.save = announced_save

    x = np.load(sys.argv[3])
    x, y = x[:, :4], x[:, 4].astype(np.int32)
    share = np.array_split(np.arange(len(x)), 2)[process_id]      # this process's half
    validation = share[:32]
    model = jaxnn.MLP([16, 2], activation="tanh")
    result = jaxnn.fit(model, (x[share], y[share]), optimizer=optax.adam(1e-2), epochs=3,
                       batch_size=32, seed=0, verbose=2, checkpoint_dir=sys.argv[4],
                       validation_data=(x[validation], y[validation]))
    predicted = jaxnn.predict(model, result.params, x[:8])
    print("REPORT " + json.dumps({
        "loss": result.history["loss"], "val_loss": result.history["val_loss"],
        "val_accuracy": result.history["val_accuracy"], "predicted": predicted.tolist(),
        "devices": jax.device_count(), "main": parallel.is_main_process()}), flush=True)
    """
)


def _environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLURM_", "OMPI_", "PMI", "JAX_", "XLA_FLAGS"))
    }
    environment.update(JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1", XLA_FLAGS=FAST_COMPILE, **extra)
    return environment


def _report(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.startswith("REPORT ")]
    assert lines, f"the worker printed no report; its output:\n{output[-4000:]}"
    return json.loads(lines[-1][len("REPORT ") :])


@pytest.fixture(scope="module")
def eight(tmp_path_factory):
    """Run the 8-device worker once; every test below reads its report."""
    script = tmp_path_factory.mktemp("parallel") / "eight_devices.py"
    script.write_text(EIGHT_DEVICES)
    completed = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_environment(JAX_NUM_CPU_DEVICES="8"),
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    return _report(output)


def _assert_compiled_once(per_epoch):
    """(loss traces, epoch compilations) after each epoch: all from the first epoch."""
    assert per_epoch[0][1] >= 1, "the compile counter saw no compilation"
    assert len({tuple(counts) for counts in per_epoch}) == 1, per_epoch


def _close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def test_fit_on_8_devices_matches_1_device(eight):
    fit = eight["fit"]
    assert eight["devices"] == 8
    _close(fit["loss_8"], fit["loss_1"])
    _close(fit["val_8"], fit["val_1"])
    assert fit["params_difference"] < 1e-5
    assert fit["params_spec_8"] in ("P()", "PartitionSpec()") and fit["params_devices_8"] == 8
    assert eight["predict_difference"] < 1e-5


def test_turning_parallelism_off_gives_one_device_placement(eight):
    assert eight["fit"]["params_sharding_1"] == "SingleDeviceSharding"
    assert "'data'" not in eight["minibatch"]["seen_1"]["batch_x"]


def test_minibatch_is_sharded_along_data_and_compiled_once(eight):
    seen = eight["minibatch"]["seen_8"]
    assert "'data'" in seen["batch_x"] and "'data': 8" in seen["batch_x"], seen["batch_x"]
    _assert_compiled_once(seen["traces_and_compiles"])
    _close(eight["minibatch"]["loss_8"], eight["minibatch"]["loss_1"])


def test_batch_not_a_multiple_of_devices_runs_replicated_with_a_warning(eight):
    odd = eight["odd_batch"]
    assert odd["sharding"] == "None"  # no constraint: each step runs whole on every device
    assert any(
        "batch_size=20 is not a multiple of the 8 devices" in w and "batch_size=24" in w
        for w in odd["warnings"]
    ), odd["warnings"]


def test_full_batch_dict_shards_divisible_arrays_and_matches_1_device(eight):
    case = eight["full_batch"]["adam"]
    seen = case["seen_8"]
    assert "'data'" in seen["interior"], seen["interior"]  # 64 interior points: split
    # 6 points: replicated (older JAX spells the spec PartitionSpec())
    assert re.search(r"spec=(P|PartitionSpec)\(\)", seen["boundary"]), seen["boundary"]
    _assert_compiled_once(seen["traces_and_compiles"])  # fresh points from data_fn too
    _close(case["loss_8"], case["loss_1"], rtol=1e-4)
    assert case["params_difference"] < 1e-4


def test_nan_guard_on_8_devices_stops_at_the_same_step(eight):
    nan = eight["nan"]
    assert nan["nonfinite_8"] is not None and nan["nonfinite_8"] == nan["nonfinite_1"]
    assert np.isfinite(nan["w_8"]) and nan["w_8"] <= 1.5
    _close(nan["w_8"], nan["w_1"])


def test_resume_on_8_devices_is_bitwise_identical(eight):
    assert eight["resume"]["difference"] == 0.0
    assert eight["resume"]["loss_resumed"] == eight["resume"]["loss_straight"]


def test_initialize_without_a_cluster_says_what_to_pass(eight):
    message = eight["initialize_error"]
    assert "coordinator_address" in message and "num_processes" in message


def test_pinn_solve_on_8_devices_matches_1_device(eight):
    if "pinn_unavailable" in eight:
        pytest.skip(f"pinn.solve cannot run on one device yet: {eight['pinn_unavailable']}")
    _close(eight["pinn"]["loss_8"], eight["pinn"]["loss_1"], rtol=1e-4)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.slow  # two processes: the 8-device tests above stay in the default suite
def test_two_processes_each_feeding_half_match_one_process_and_only_process_0_writes(
    tmp_path,
):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
    data = tmp_path / "blobs.npy"
    np.save(data, np.column_stack([x, y]))
    script = tmp_path / "two_processes.py"
    script.write_text(TWO_PROCESSES)
    port = str(_free_port())
    environment = _environment()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(rank),
                port,
                str(data),
                str(tmp_path / "checkpoints"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        for rank in (0, 1)
    ]
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=TIMEOUT)[0])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-4000:]
    reports = [_report(output) for output in outputs]

    # the reference: one process, one device, the whole data set
    share = np.array_split(np.arange(len(x)), 2)
    validation = np.concatenate([share[0][:32], share[1][:32]])
    model = jaxnn.MLP([16, 2], activation="tanh")
    with parallel.use(1):
        reference = jaxnn.fit(
            model,
            (x, y.astype(np.int32)),
            optimizer=optax.adam(1e-2),
            epochs=3,
            batch_size=32,
            seed=0,
            verbose=0,
            validation_data=(x[validation], y[validation].astype(np.int32)),
        )
        predicted = jaxnn.predict(model, reference.params, x[:8])

    for report in reports:
        assert report["devices"] == 4
        _close(report["loss"], reference.history["loss"])
        _close(report["val_loss"], reference.history["val_loss"])
        _close(report["val_accuracy"], reference.history["val_accuracy"])
        _close(report["predicted"], predicted, atol=1e-5)
    assert [report["main"] for report in reports] == [True, False]
    progress = [
        [line for line in output.splitlines() if line.startswith("epoch ")] for output in outputs
    ]
    assert len(progress[0]) == 3 and progress[1] == [], progress
    saves = [
        [line for line in output.splitlines() if line.startswith("saving checkpoint")]
        for output in outputs
    ]
    assert len(saves[0]) == 3 and saves[1] == [], saves  # process 0 writes, once per epoch
    assert sorted(path.name for path in (tmp_path / "checkpoints").iterdir()) == [
        f"checkpoint_{epoch:08d}.msgpack" for epoch in (1, 2, 3)
    ]


# ------------------------------------------------------------------ in this process (1 device)


def test_use_checks_its_argument():
    with pytest.raises(ValueError, match=r"use\(devices='gpu'\).*\"all\""):
        parallel.use("gpu")
    with pytest.raises(TypeError, match=r"use\(devices=2.5\)"):
        parallel.use(2.5)
    with pytest.raises(ValueError, match=r"expected >= 1"):
        parallel.use(0)
    with parallel.use(jax.device_count() + 1), pytest.raises(ValueError, match="only"):
        parallel.mesh()


def test_use_as_a_block_restores_the_previous_setting():
    assert parallel.current_devices() == jax.devices()
    with parallel.use([jax.devices()[0]]):
        assert parallel.current_devices() == [jax.devices()[0]]
        with parallel.use(None):
            assert parallel.mesh() is None
    assert parallel._devices_setting == "all"


def test_one_device_runs_without_shardings():
    assert parallel.is_main_process()
    if jax.device_count() == 1:
        assert parallel.mesh() is None
    result = jaxnn.fit(
        jaxnn.MLP([4, 2]),
        (np.eye(4, dtype=np.float32), np.arange(4) % 2),
        optimizer=optax.sgd(0.1),
        epochs=1,
        batch_size=4,
        verbose=0,
    )
    assert np.isfinite(result.history["loss"][0])
