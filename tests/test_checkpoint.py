"""Tests for jaxnn/saving/ (parameter files and training checkpoints).

Bitwise round trips, kill-and-resume, corrupt files, pruning.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn.saving import FORMAT_VERSION, TrainingCheckpoints, load_params, save_params
from jaxnn.training import EarlyStopping, TrainState, train_loop
from jaxnn.models import MLP
from jaxnn.supervised import fit

REPO = Path(__file__).resolve().parents[1]


def _blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] - 0.7 * x[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(np.int32)
    return x, y


def _trained_state(width=8, steps=3):
    """A TrainState after a few Adam steps, so that mu, nu and count are non-trivial."""
    x, y = _blobs()
    model = MLP([width, 2])
    params = model.init(jax.random.PRNGKey(0), jnp.asarray(x[:1]))
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2))
    opt_state = optimizer.init(params)

    def loss(p):
        logits = model.apply(p, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit  # one compiled step (eager, every operation would compile on its own)
    def step(params, opt_state):
        updates, opt_state = optimizer.update(jax.grad(loss)(params), opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    for _ in range(steps):
        params, opt_state = step(params, opt_state)
    return TrainState(params=params, opt_state=opt_state, step=jnp.int32(steps))


def _assert_trees_bitwise_equal(actual, expected):
    assert jax.tree_util.tree_structure(actual) == jax.tree_util.tree_structure(expected)
    for a, b in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected),
                    strict=True):
        assert isinstance(a, jax.Array)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


def _fresh_like(state):
    """Same structure, shapes and dtypes as `state`, different values."""
    return jax.tree_util.tree_map(lambda a: jnp.zeros_like(a) + 7, state)


# --------------------------------------------------------------------------- round trips


def test_save_params_then_load_params_is_bitwise_and_keeps_dtypes(tmp_path):
    params = _trained_state().params
    path = save_params(tmp_path / "sub" / "model.msgpack", params)
    assert path.exists()
    _assert_trees_bitwise_equal(load_params(path, like=_fresh_like(params)), params)
    # An abstract target (no arrays allocated) works too, and so does no target at all.
    abstract = jax.eval_shape(lambda: params)
    _assert_trees_bitwise_equal(load_params(path, like=abstract), params)
    _assert_trees_bitwise_equal(load_params(path), params)


def test_full_train_state_with_adam_round_trips_bitwise(tmp_path):
    state = _trained_state()
    assert int(state.opt_state[1][0].count) == 3
    history = {"epoch": [1, 2], "loss": [0.75, float("nan")], "val_loss": [1e-30, np.inf]}
    checkpoints = TrainingCheckpoints(tmp_path)
    checkpoints.save(2, state, history, seed=11)

    restored = checkpoints.restore_latest(_fresh_like(state), seed=11)
    restored, restored_history, epoch = restored.state, restored.history, restored.epoch
    _assert_trees_bitwise_equal(restored, state)
    assert type(restored.opt_state[1][0]) is type(state.opt_state[1][0])  # the Adam namedtuple
    assert epoch == 2
    assert restored_history.keys() == history.keys()
    assert restored_history["epoch"] == [1, 2]
    np.testing.assert_array_equal(restored_history["loss"], history["loss"])
    np.testing.assert_array_equal(restored_history["val_loss"], history["val_loss"])


def test_early_stopping_state_round_trips_with_its_best_params(tmp_path):
    state = _trained_state()
    early_stopping = EarlyStopping(monitor="val_loss", patience=4)
    stopper = early_stopping.init(_fresh_like(state.params))
    healthy = jnp.array(True)
    stopper, _ = early_stopping.update(stopper, {"val_loss": jnp.float32(0.5)}, 1, state.params,
                                       healthy)
    stopper, _ = early_stopping.update(stopper, {"val_loss": jnp.float32(0.7)}, 2,
                                       _fresh_like(state.params), healthy)
    checkpoints = TrainingCheckpoints(tmp_path)
    checkpoints.save(2, state, {"val_loss": [0.5, 0.7]}, early_stopping=early_stopping,
                     stopper=stopper)

    like = early_stopping.init(_fresh_like(state.params))
    loaded = checkpoints.restore_latest(_fresh_like(state), early_stopping=early_stopping,
                                        stopper=like, seed=0).stopper
    assert (float(loaded.best), int(loaded.wait), int(loaded.best_epoch)) == (0.5, 1, 1)
    _assert_trees_bitwise_equal(loaded.best_params, state.params)


def test_load_params_reads_the_parameters_of_a_training_checkpoint(tmp_path):
    state = _trained_state()
    path = TrainingCheckpoints(tmp_path).save(1, state, {})
    _assert_trees_bitwise_equal(load_params(path, like=state.params), state.params)


# --------------------------------------------------------------------------- kill and resume

_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np
import optax
from jaxnn.saving import save_params
from jaxnn.training import EarlyStopping
from jaxnn.models import MLP
from jaxnn.supervised import fit

config = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.normal(size=(160, 4)).astype(np.float32)
y = (x[:, 0] * x[:, 1] + 0.4 * x[:, 2] + 0.5 * rng.normal(size=160) > 0).astype(np.int32)

def slow_down(epoch, logs):
    if epoch == config["mark_at"]:
        Path(config["out"] + ".marked").write_text(str(epoch))
    if epoch == config["hang_at"]:
        Path(config["out"] + ".hanging").write_text(str(epoch))
        time.sleep(600)  # the test kills the process here
    time.sleep(config["sleep"])

stopper = None
if config["early_stopping"]:
    stopper = EarlyStopping(monitor="val_loss", patience=config["patience"])
result = fit(
    MLP([24, 24, 2], activation="tanh", dropout=0.1), (x, y), optimizer=optax.adam(0.03),
    epochs=config["epochs"], batch_size=32, validation_split=0.25, seed=3,
    metrics=["accuracy", "auc"], early_stopping=stopper, callbacks=[slow_down], verbose=1,
    checkpoint_dir=config["checkpoint_dir"], checkpoint_every=1, keep=3,
    resume=config["resume"],
)
save_params(config["out"] + ".params", result.params)
save_params(config["out"] + ".final", result.state.params)
history = {k: v for k, v in result.history.items() if k != "time"}
Path(config["out"]).write_text(json.dumps({
    "history": history, "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
    "stop_reason": result.stop_reason,
}))
"""


def _launch(tmp_path, name, **overrides):
    script = tmp_path / "train_script.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    config = {
        "epochs": 40, "sleep": 0.0, "mark_at": -1, "hang_at": -1, "early_stopping": False,
        "patience": 3,
        "checkpoint_dir": str(tmp_path / f"{name}_checkpoints"), "resume": False,
        "out": str(tmp_path / f"{name}.json"),
    }
    config.update(overrides)
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, str(script), json.dumps(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )
    return process, config


# A safety net only: no test waits on the clock. Every wait below is a file handshake with the
# training subprocess, and a subprocess that dies is noticed at once.
SAFETY_SECONDS = 1800


def _finish(process, timeout=SAFETY_SECONDS):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def _wait_until(condition, process, timeout=SAFETY_SECONDS):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read()
            pytest.fail(f"training ended before it could be killed:\n{output}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("timed out waiting for the training subprocess")
        time.sleep(0.02)


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=SAFETY_SECONDS)
    assert process.returncode == -signal.SIGKILL


def _outcome(config):
    params = load_params(config["out"] + ".params")
    final = load_params(config["out"] + ".final")
    return json.loads(Path(config["out"]).read_text()), params, final


def _assert_same_outcome(resumed, reference):
    summary, params, final = resumed
    expected_summary, expected_params, expected_final = reference
    assert summary == expected_summary  # history (except time), epochs_run, best epoch, reason
    _assert_trees_bitwise_equal(params, expected_params)
    _assert_trees_bitwise_equal(final, expected_final)


def test_training_killed_with_sigkill_resumes_to_the_same_params_and_history(tmp_path):
    reference, reference_config = _launch(tmp_path, "reference")
    # The victim marks epoch 6 (epoch 5 is saved by then), trains on (slowly), and hangs at
    # epoch 39, so the kill lands at an arbitrary point after epoch 5, possibly in the middle of
    # a write, and always before the end.
    victim, config = _launch(tmp_path, "victim", sleep=0.02, mark_at=6, hang_at=39)
    checkpoints = TrainingCheckpoints(config["checkpoint_dir"])
    _wait_until(lambda: Path(config["out"] + ".marked").exists(), victim)
    _kill(victim)
    killed_at = max(checkpoints.epochs())
    assert 5 <= killed_at < config["epochs"]

    resumed, _ = _launch(tmp_path, "victim", resume=True)
    output = _finish(resumed)
    _finish(reference)
    resumed_from = int(output.split("after epoch ")[1].split()[0])
    assert killed_at <= resumed_from < config["epochs"]
    outcome = _outcome(config)
    assert outcome[0]["epochs_run"] == config["epochs"]
    assert len(outcome[0]["history"]["loss"]) == config["epochs"]
    _assert_same_outcome(outcome, _outcome(reference_config))
    assert checkpoints.epochs() == [38, 39, 40]
    assert not [p for p in Path(config["checkpoint_dir"]).iterdir() if p.name.startswith(".")]


@pytest.mark.slow  # the SIGKILL test above stays in the default suite
def test_early_stopping_state_survives_a_kill_and_resume(tmp_path):
    # The victim hangs in its callback at epoch 11 (after the checkpoint of epoch 10) and is
    # killed there, after the best epoch and with the patience counter running; without early
    # stopping restored from the checkpoint the resumed run would reset the counter and the
    # best parameters and stop at a different epoch.
    settings = {"early_stopping": True, "patience": 4}
    reference, reference_config = _launch(tmp_path, "reference", **settings)
    victim, config = _launch(tmp_path, "victim", hang_at=11, **settings)
    _wait_until(lambda: Path(config["out"] + ".hanging").exists(), victim)
    _kill(victim)
    assert TrainingCheckpoints(config["checkpoint_dir"]).epochs() == [8, 9, 10]

    _finish(_launch(tmp_path, "victim", resume=True, **settings)[0])
    _finish(reference)
    outcome, expected = _outcome(config), _outcome(reference_config)
    _assert_same_outcome(outcome, expected)
    summary = expected[0]
    assert summary["stop_reason"].startswith("early stopping")
    assert summary["best_epoch"] < 10 < summary["epochs_run"] < config["epochs"]


# --------------------------------------------------------------------------- resume via fit


def _fit_small(tmp_path, width=8, **kwargs):
    x, y = _blobs()
    options = {"epochs": 4, "batch_size": 32, "verbose": 0, "checkpoint_dir": str(tmp_path),
               "optimizer": optax.adam(1e-2)}
    return fit(MLP([width, 2]), (x, y), **{**options, **kwargs})


def test_resume_from_a_directory_that_does_not_exist_starts_fresh_and_creates_it(tmp_path):
    directory = tmp_path / "new" / "run"
    result = _fit_small(directory, epochs=3, resume=True)
    expected = _fit_small(tmp_path / "other", epochs=3)
    _assert_trees_bitwise_equal(result.params, expected.params)
    assert TrainingCheckpoints(directory).epochs() == [1, 2, 3]


def test_resume_of_a_different_model_names_the_first_differing_leaf(tmp_path):
    _fit_small(tmp_path, width=8)
    with pytest.raises(ValueError, match="different model") as error:
        _fit_small(tmp_path, width=16, resume=True)
    message = str(error.value)
    assert "checkpoint_00000004.msgpack" in message
    assert "params/params/Dense_0/" in message
    assert (("(8,)" in message and "(16,)" in message)
            or ("(4, 8)" in message and "(4, 16)" in message))


def test_load_params_into_a_different_model_names_leaf_and_both_shapes(tmp_path):
    path = save_params(tmp_path / "p.msgpack",
                       {"params": {"Dense_0": {"kernel": jnp.ones((4, 8))}}})
    with pytest.raises(ValueError, match=r"Dense_0/kernel .*\(4, 8\) float32.*\(4, 16\) float32"):
        load_params(path, like={"params": {"Dense_0": {"kernel": jnp.ones((4, 16))}}})
    with pytest.raises(ValueError, match="int32"):
        load_params(path, like={"params": {"Dense_0": {"kernel": jnp.ones((4, 8), jnp.int32)}}})
    with pytest.raises(ValueError, match="Dense_1"):
        load_params(path, like={"params": {"Dense_0": {"kernel": jnp.ones((4, 8))},
                                           "Dense_1": {"kernel": jnp.ones((8, 2))}}})


def test_resume_with_another_optimizer_or_seed_or_early_stopping_is_refused(tmp_path):
    _fit_small(tmp_path, seed=5)
    with pytest.raises(ValueError, match="seed=5.*seed=6"):
        _fit_small(tmp_path, seed=6, resume=True)
    with pytest.raises(ValueError, match="different model or optimizer"):
        _fit_small(tmp_path, seed=5, resume=True, optimizer=optax.sgd(0.1))
    with pytest.raises(ValueError, match="early_stopping"):
        _fit_small(tmp_path, seed=5, resume=True, early_stopping=EarlyStopping(monitor="loss"))


def test_missing_parameter_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.msgpack"):
        load_params(tmp_path / "nothing_here.msgpack")
    with pytest.raises(FileNotFoundError, match="after epochs \\[\\]"):
        TrainingCheckpoints(tmp_path).restore_latest(_trained_state(), epoch=3)
    assert TrainingCheckpoints(tmp_path / "absent").restore_latest(_trained_state()) is None


def test_a_parameter_file_is_not_accepted_as_a_training_checkpoint(tmp_path):
    state = _trained_state()
    save_params(tmp_path / "checkpoint_00000001.msgpack", state.params)
    with pytest.raises(ValueError, match="parameter file"):
        TrainingCheckpoints(tmp_path).restore_latest(state)


# --------------------------------------------------------------------------- damage


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path):
    path.write_bytes(np.random.default_rng(0).bytes(path.stat().st_size))


def _flip_one_bit_in_the_data(path):
    data = bytearray(path.read_bytes())
    data[len(data) - 40] ^= 0x04  # inside the last array's bytes
    path.write_bytes(bytes(data))


def _empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_truncate, _garbage, _flip_one_bit_in_the_data, _empty])
def test_a_corrupt_newest_checkpoint_is_reported_and_older_ones_still_load(tmp_path, damage):
    checkpoints = TrainingCheckpoints(tmp_path, keep=3)
    states = {epoch: _trained_state(steps=epoch) for epoch in (1, 2, 3)}
    for epoch, state in states.items():
        checkpoints.save(epoch, state, {"loss": [0.1] * epoch})
    damage(checkpoints.path(3))

    with pytest.raises(ValueError) as error:
        checkpoints.restore_latest(states[1], seed=0)
    message = str(error.value)
    assert "checkpoint_00000003.msgpack is not a valid checkpoint (truncated or corrupt)" in message
    assert "epochs [1, 2]" in message and "epoch=2" in message
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_params(checkpoints.path(3))

    restored = checkpoints.restore_latest(states[1], seed=0, epoch=2)
    assert restored.epoch == 2 and restored.history == {"loss": [0.1, 0.1]}
    _assert_trees_bitwise_equal(restored.state, states[2])


def test_a_corrupt_only_checkpoint_says_there_is_nothing_older(tmp_path):
    checkpoints = TrainingCheckpoints(tmp_path)
    checkpoints.save(1, _trained_state(), {})
    _garbage(checkpoints.path(1))
    with pytest.raises(ValueError, match="no older checkpoint"):
        checkpoints.restore_latest(_trained_state())


def test_a_file_from_a_newer_format_version_asks_for_an_upgrade(tmp_path, monkeypatch):
    import jaxnn.saving._params as params_module  # save_params writes its FORMAT_VERSION

    monkeypatch.setattr(params_module, "FORMAT_VERSION", FORMAT_VERSION + 1)
    path = save_params(tmp_path / "p.msgpack", {"w": jnp.ones(2)})
    monkeypatch.setattr(params_module, "FORMAT_VERSION", FORMAT_VERSION)
    with pytest.raises(ValueError, match=f"version {FORMAT_VERSION + 1}.*Upgrade jaxnn"):
        load_params(path)


# --------------------------------------------------------------------------- writing and pruning


def test_keep_prunes_to_the_newest_checkpoints_and_every_sets_the_period(tmp_path):
    _fit_small(tmp_path, epochs=9, checkpoint_every=2, keep=3)
    # Saved after epochs 2, 4, 6, 8 and (forced) the last epoch 9; the newest three are kept.
    assert TrainingCheckpoints(tmp_path).epochs() == [6, 8, 9]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint_00000006.msgpack", "checkpoint_00000008.msgpack",
        "checkpoint_00000009.msgpack",
    ]


def test_a_crash_before_the_rename_leaves_old_checkpoints_intact_and_no_temp_file(
    tmp_path, monkeypatch
):
    checkpoints = TrainingCheckpoints(tmp_path, keep=1)
    first = _trained_state(steps=1)
    checkpoints.save(1, first, {})

    def crash(source, destination):
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        checkpoints.save(2, _trained_state(steps=2), {})
    monkeypatch.undo()

    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint_00000001.msgpack"]
    restored = checkpoints.restore_latest(first, seed=0)
    assert restored.epoch == 1
    _assert_trees_bitwise_equal(restored.state, first)


def test_temp_files_of_killed_writers_are_ignored_and_cleaned_up(tmp_path):
    dead_pid = 2**30  # above any pid_max: no such process
    stale = tmp_path / f".tmp-{dead_pid}-abc-checkpoint_00000009.msgpack"
    stale.write_bytes(b"half a checkpoint")
    checkpoints = TrainingCheckpoints(tmp_path)
    assert checkpoints.epochs() == []
    assert checkpoints.restore_latest(_trained_state()) is None
    checkpoints.save(1, _trained_state(), {})
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint_00000001.msgpack"]


def test_nonfinite_loss_saves_a_checkpoint_with_the_last_finite_params(tmp_path):
    # loss = -w pushes w up by 1 per SGD step; the loss is NaN from w > 2.5 on.
    def loss_fn(params, batch, key):
        w = params["w"]
        return jnp.where(w > 2.5, jnp.nan, -w), {}

    with pytest.warns(RuntimeWarning, match="non-finite"):
        result = train_loop(loss_fn, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(1.0),
                            epochs=10, seed=0,
                            callbacks=[jaxnn.Checkpoint(tmp_path, every=100, verbose=0)])
    assert result.nonfinite is not None
    checkpoints = TrainingCheckpoints(tmp_path)
    assert checkpoints.epochs() == [result.epochs_run]  # saved because training stopped
    params = load_params(checkpoints.path(result.epochs_run), like={"w": jnp.float32(0.0)})
    assert np.isfinite(float(params["w"])) and float(params["w"]) <= 2.5
    _assert_trees_bitwise_equal(params, result.params)


def test_invalid_arguments_are_rejected_at_the_door(tmp_path):
    with pytest.raises(ValueError, match="keep=0"):
        TrainingCheckpoints(tmp_path, keep=0)
    with pytest.raises(TypeError, match="checkpoint_every=1.5"):  # a float: the wrong type
        TrainingCheckpoints(tmp_path, every=1.5)
    with pytest.raises(TypeError, match="checkpoint_dir"):
        TrainingCheckpoints(3)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        TrainingCheckpoints(tmp_path / "a_file")
    with pytest.raises(TypeError, match="pytree of arrays"):
        save_params(tmp_path / "p.msgpack", {"w": "not an array"})
