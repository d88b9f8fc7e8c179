"""Callbacks inside model.fit: plateau on any schedule, 1-cycle, cyclical, monitor."""

import json
import math
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

KS = keras.optimizers.schedules
ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_script(code, *args, cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], check=True,
                   env=env, cwd=cwd, timeout=600)


# --- Plateau on top of a schedule -------------------------------------------------------------

def adam_probe(schedule):
    """One weight, gradient exactly 1: Adam moves it by ~ the rate of each update."""
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.Adam(schedule), loss="mae")
    return model


class Trace(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = [0.0]

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(float(self.model.get_weights()[0][0, 0]))

    def applied(self):
        t = np.arange(1, len(self.weights))
        root = np.sqrt(1 - 0.999**t)  # Adam's step is lr * root / (root + epsilon)
        return -np.diff(self.weights) * (root + 1e-7) / root


@pytest.mark.parametrize("make", [lambda: KS.CosineDecay(0.05, 40, alpha=0.2),
                                  lambda: keras_lr.OneCycle(0.05, 40)],
                         ids=["keras_cosine", "one_cycle"])
def test_plateau_scales_any_schedule_from_the_next_update(make):
    x, y = np.ones((32, 1), "float32"), np.full((32, 1), -1e4, "float32")
    model, trace = adam_probe(make()), Trace()
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.3, patience=1)
    model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0,
              callbacks=[S.Inject([1.0, 0.5, 0.9, 0.4, 0.8]), plateau, trace])
    # Epoch 2 does not improve on 0.5 (reduce after it); epoch 4 does not improve on 0.4.
    expected = keras_lr.schedule_values(make(), 20)
    expected[12:] *= 0.3
    np.testing.assert_allclose(trace.applied(), expected, rtol=2e-4, atol=1e-7)
    assert isinstance(model.optimizer._learning_rate, keras_lr.Scaled)
    assert float(model.optimizer._learning_rate.factor) == pytest.approx(0.09)  # and after 4


def test_keras_own_plateau_cannot_reduce_a_schedule():
    """The difference this library exists for: Keras's callback raises here."""
    x, y = np.ones((8, 1), "float32"), np.zeros((8, 1), "float32")
    model = adam_probe(KS.CosineDecay(0.05, 40))
    keras_plateau = keras.callbacks.ReduceLROnPlateau("val_score", factor=0.3, patience=1,
                                                      mode="min")
    with pytest.raises(TypeError, match="not settable"):
        model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[S.Inject([1.0, 2.0, 3.0]), keras_plateau])


def test_plateau_on_a_float_rate_assigns_the_variable_and_respects_min_lr():
    model = S.onehot_model(0.1)
    plateau = keras_lr.ReduceLROnPlateau("val_score", factor=0.5, patience=1, min_lr=0.03,
                                         mode="min")
    rates = S.rates_per_update(model, [S.Inject([1.0, 2.0, 3.0, 4.0]), plateau], epochs=4)
    # Reductions after epochs 1 (to 0.05) and 2 (to 0.03, not 0.025); none below min_lr.
    np.testing.assert_allclose(rates, [0.1] * 24 + [0.05] * 12 + [0.03] * 12, rtol=1e-5)
    assert model.optimizer.variables[1] is model.optimizer._learning_rate  # still tracked


PATIENCE_CASES = [
    # (scores, kwargs, epochs after which a reduction happens)
    ([5, 4, 4, 4, 4, 4, 4], dict(patience=2), [3, 5]),
    ([5, 4, 4, 4, 4, 4, 4], dict(patience=2, cooldown=2), [3, 6]),
    ([5, 4, 3.99995, 3.9999, 4, 4], dict(patience=1, min_delta=1e-3), [2, 3, 4, 5]),
    ([5, 4, 3.99, 3.98, 4, 4], dict(patience=1, min_delta=1e-3, threshold_mode="rel"), [4, 5]),
    ([-5, -6, -6.01, -6.5], dict(patience=1, min_delta=0.01, threshold_mode="rel"), [2]),
    ([1, 2, 3, 2, 1], dict(patience=1, mode="max"), [3, 4]),
    ([1, 2, 2, 2, 2], dict(patience=1, monitor="val_accuracy"), [2, 3, 4]),
    ([5, 4, 4, 4, 4], dict(patience=1, start_from_epoch=3), [4]),
    ([5, math.nan, 4, math.inf, -math.inf, 3.5], dict(patience=1), [1, 3, 4]),
]


@pytest.mark.parametrize("scores,kwargs,expected", PATIENCE_CASES)
def test_when_the_plateau_reduces(scores, kwargs, expected):
    monitor = kwargs.pop("monitor", "val_score")
    if monitor == "val_score":  # a value only Inject knows: "auto" could not tell
        kwargs.setdefault("mode", "min")
    model = S.onehot_model(1.0, metrics=["accuracy"])  # "auto" reads val_accuracy's direction
    plateau = keras_lr.ReduceLROnPlateau(monitor, factor=0.5, **kwargs)
    rates = S.rates_per_update(model, [S.Inject(scores, monitor), plateau], epochs=len(scores))
    per_epoch = [*rates.reshape(len(scores), S.STEPS)[:, 0], keras_lr.get_learning_rate(
        model.optimizer)]  # the rate each epoch ran at, then the rate after the last one
    reductions = [e for e in range(len(scores)) if per_epoch[e + 1] < per_epoch[e] * 0.9]
    assert reductions == expected
    assert plateau.best is None or math.isfinite(plateau.best)


def test_restore_best_weights_on_reduction():
    model = S.onehot_model(0.1)
    kernels = S.KernelPerEpoch()
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", patience=2,
                                         restore_best_weights=True)
    x, y = np.eye(S.STEPS, dtype="float32"), np.full((S.STEPS, 1), -1e4, "float32")
    model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0,
              callbacks=[S.Inject([1.0, 2.0, 3.0]), plateau, kernels])
    np.testing.assert_array_equal(kernels.kernels[-1], kernels.kernels[1])  # back to epoch 0


# --- Exact per update: steps_per_execution, XLA, tf.distribute ----------------------------------

DISTRIBUTED = """
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from tests import scenarios as S

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    out = {}
    for name in ("plateau", "one_cycle"):
        with strategy.scope():
            model, callbacks = getattr(S, name + "_scenario")(batch_size=2)
        out[name] = S.rates_per_update(model, callbacks, batch_size=2)
        out[name + "_replicas"] = strategy.num_replicas_in_sync
    np.savez(sys.argv[1], **out)
"""


@pytest.fixture(scope="module")
def distributed(tmp_path_factory):
    path = tmp_path_factory.mktemp("dist") / "rates.npz"
    run_script(DISTRIBUTED, path, cwd=path.parent)
    return dict(np.load(path))


@pytest.mark.parametrize("name", ["plateau", "one_cycle"])
def test_applied_rates_identical_under_execution_options(name, distributed):
    make = getattr(S, name + "_scenario")
    expected = getattr(S, f"expected_{name}_rates")()
    runs = {}
    for label, kw in [("plain", {}), ("spe4", dict(steps_per_execution=4)),
                      ("xla", dict(jit_compile=True)),
                      ("xla_spe4", dict(jit_compile=True, steps_per_execution=4))]:
        model, callbacks = make(**kw)
        runs[label] = S.rates_per_update(model, callbacks)
    assert distributed[name + "_replicas"] == 2
    runs["mirrored"] = distributed[name]
    for label, rates in runs.items():
        np.testing.assert_allclose(rates, runs["plain"], rtol=1e-6, atol=1e-9, err_msg=label)
        np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=2e-8, err_msg=label)


# --- Momentum cycling ---------------------------------------------------------------------------

def regression(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 2)) + 0.1).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
    return model, x, y


def numpy_grads(w, b, x, y):
    err = x @ w + b - y
    scale = 2.0 / err.size  # mean squared error over batch and outputs
    return scale * x.T @ err, scale * err.sum(axis=0)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_momentum_cycling_matches_numpy(optimizer):
    model, x, y = regression()
    if optimizer == "sgd":
        model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    else:
        model.compile(keras.optimizers.Adam(0.01), loss="mse")
    epochs, batch = 5, 4
    total = epochs * len(x) // batch
    callback = keras_lr.OneCycleScheduler(0.05, pct_start=0.4, base_momentum=0.8,
                                          max_momentum=0.95)
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
              callbacks=[callback])

    cycle = keras_lr.OneCycle(0.05, total, pct_start=0.4)
    lrs = keras_lr.schedule_values(cycle, total)
    moms = np.asarray(cycle.momentum(np.arange(total), 0.8, 0.95), "float64")
    assert moms.min() == pytest.approx(0.8) and moms[0] == pytest.approx(0.95)
    w, b = np.ones((3, 2)), np.zeros(2)
    slots = [np.zeros_like(w), np.zeros_like(b)]
    second = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(total):
        xb, yb = x[t % 4 * batch: t % 4 * batch + batch], y[t % 4 * batch: t % 4 * batch + batch]
        grads = numpy_grads(w, b, xb, yb)
        params = [w, b]
        for i, g in enumerate(grads):
            if optimizer == "sgd":  # Keras: m = m * momentum - lr * g; w += m
                slots[i] = slots[i] * moms[t] - lrs[t] * g
                params[i] = params[i] + slots[i]
            else:  # Keras Adam with beta_1 read at this update
                b1, b2 = moms[t], 0.999
                alpha = lrs[t] * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
                slots[i] = slots[i] + (g - slots[i]) * (1 - b1)
                second[i] = second[i] + (g * g - second[i]) * (1 - b2)
                params[i] = params[i] - slots[i] * alpha / (np.sqrt(second[i]) + 1e-7)
        w, b = params
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-5)
    # the optimizer's own rate and momentum come back
    assert keras_lr.get_learning_rate(model.optimizer) == pytest.approx(0.01)
    name = "momentum" if optimizer == "sgd" else "beta_1"
    assert type(getattr(model.optimizer, name)) is float


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
    lambda: keras.optimizers.AdamW(0.01),
    lambda: keras.optimizers.Adamax(0.01),
    lambda: keras.optimizers.Nadam(0.01),
    lambda: keras.optimizers.Lion(0.001),
], ids=["sgd_nesterov", "rmsprop", "adamw", "adamax", "nadam", "lion"])
def test_momentum_cycling_runs_with_every_optimizer_family(make):
    model, x, y = regression()
    model.compile(make(), loss="mse")
    name = keras_lr.callbacks._optim.momentum_name(model.optimizer)
    original = getattr(model.optimizer, name)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        callbacks=[keras_lr.OneCycleScheduler(0.01), keras_lr.LearningRateMonitor()])
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history[name][-1] == pytest.approx(0.95)
    assert getattr(model.optimizer, name) == original
    assert type(getattr(model.optimizer, name)) is float


def test_momentum_in_config_during_fit_is_the_original_float():
    model, x, y = regression()
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    seen = []

    class Peek(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            config = self.model.optimizer.get_config()
            seen.append((json.dumps(config["momentum"]), keras_lr.get_momentum(self.model.optimizer)))

    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.05), Peek()])
    assert seen[0][0] == seen[1][0] == "0.9"
    cycle = keras_lr.OneCycle(0.05, 8)  # the momentum of the next update: 4, then past the end
    assert seen[0][1] == pytest.approx(float(cycle.momentum(4)), abs=1e-6)
    assert seen[1][1] == pytest.approx(0.95, abs=1e-6)


def test_checkpoint_saved_mid_fit_reloads_with_its_optimizer_state(tmp_path):
    model, x, y = regression()
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.keras"))
    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.05), checkpoint])
    reloaded = keras.models.load_model(tmp_path / "epoch1.keras")
    assert int(reloaded.optimizer.iterations) == 4  # the optimizer state was loaded
    assert reloaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    assert reloaded.optimizer.get_config()["momentum"] == 0.9
    assert "get_config" not in vars(model.optimizer)  # the swap is gone after fit


def test_a_fit_that_raised_is_cleaned_up_by_the_next_one():
    model, x, y = regression()
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    callback = keras_lr.OneCycleScheduler(0.1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[callback, Boom()])
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[callback])
    assert isinstance(model.optimizer._learning_rate, keras.Variable)
    assert keras_lr.get_learning_rate(model.optimizer) == pytest.approx(0.01)
    assert type(model.optimizer.momentum) is float and model.optimizer.momentum == 0.9


def test_checkpoint_mid_fit_keeps_the_users_schedule(tmp_path):
    model, x, y = regression()
    model.compile(keras.optimizers.Adam(KS.CosineDecay(0.01, 100)), loss="mse")
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.keras"))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.05), checkpoint])
    reloaded = keras.models.load_model(tmp_path / "e1.keras")
    assert type(reloaded.optimizer._learning_rate) is KS.CosineDecay


def test_cyclical_scheduler_in_epochs_with_momentum():
    model = S.onehot_model(0.5)
    model.compile(keras.optimizers.SGD(0.5, momentum=0.5), loss="mae")
    callback = keras_lr.CyclicalScheduler(0.01, 0.05, step_size=0.5, unit="epochs",
                                          cycle_momentum=True)
    monitor = keras_lr.LearningRateMonitor()
    history = model.fit(np.eye(S.STEPS, dtype="float32"),
                        np.full((S.STEPS, 1), -1e4, "float32"), batch_size=1, epochs=2,
                        shuffle=False, verbose=0, callbacks=[callback, monitor])
    assert callback.schedule.step_size == S.STEPS // 2
    # At each epoch end the cycle is back at its base: rate 0.01, momentum 0.9.
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.01], rtol=1e-6)
    np.testing.assert_allclose(history.history["momentum"], [0.9, 0.9], rtol=1e-6)


def test_momentum_skipped_with_a_warning_when_there_is_none():
    model = S.onehot_model(0.5)  # SGD without momentum: no slots to cycle
    with pytest.warns(UserWarning, match="no momentum to cycle"):
        rates = S.rates_per_update(model, [keras_lr.OneCycleScheduler(0.1, pct_start=0.25)])
    np.testing.assert_allclose(rates, S.expected_one_cycle_rates(), rtol=1e-5, atol=2e-8)


def test_one_cycle_scheduler_honours_initial_epoch():
    model = S.onehot_model(0.5)
    callback = keras_lr.OneCycleScheduler(0.1, pct_start=0.25, cycle_momentum=False)
    rates = S.rates_per_update(model, [callback], epochs=S.EPOCHS, initial_epoch=1)
    expected = S.expected_one_cycle_rates()[S.STEPS:]
    np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=2e-8)


def test_scheduler_needs_known_steps():
    import tensorflow as tf

    data = tf.data.Dataset.from_tensors((np.ones((1, 1), "float32"), np.ones((1, 1), "float32")))
    data = data.repeat(4)
    model = adam_probe(0.1)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(data.filter(lambda x, y: True), epochs=1, verbose=0,
                  callbacks=[keras_lr.OneCycleScheduler(0.1)])
    model.fit(data, epochs=1, verbose=0, callbacks=[keras_lr.OneCycleScheduler(0.1, 4)])


# --- Gradient accumulation ----------------------------------------------------------------------

def test_one_cycle_counts_real_updates_under_gradient_accumulation():
    x, y = np.ones((32, 1), "float32"), np.full((32, 1), -1e4, "float32")
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.SGD(0.5, gradient_accumulation_steps=4), loss="mae")
    trace = Trace()
    model.fit(x, y, batch_size=1, epochs=2, shuffle=False, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.1, cycle_momentum=False), trace])
    moves = -np.diff(trace.weights)
    applied = moves[3::4]
    assert np.all(moves[np.arange(len(moves)) % 4 != 3] == 0)
    expected = keras_lr.schedule_values(keras_lr.OneCycle(0.1, 16), 16)  # 64 / 4 updates
    np.testing.assert_allclose(applied, expected, rtol=1e-4, atol=2e-8)


# --- Resume across processes --------------------------------------------------------------------

SCORES = [1.0, 1.2, 0.8, 0.9, 0.95, 0.5, 0.7, 0.8]
RESUME = """
    import json, sys
    import keras
    import numpy as np
    import keras_lr
    from tests import scenarios as S

    folder = sys.argv[1]
    model = keras.models.load_model(f"{folder}/model.keras")
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=2)
    plateau.set_state(json.load(open(f"{folder}/plateau.json")))
    scores = json.load(open(f"{folder}/scores.json"))
    rates = S.rates_per_update(model, [S.Inject(scores), plateau], epochs=8, initial_epoch=4)
    np.save(f"{folder}/resumed.npy", rates)
"""


def test_plateau_resume_in_another_process_equals_uninterrupted(tmp_path):
    def setup():
        model = S.onehot_model(KS.CosineDecay(0.1, 8 * S.STEPS, alpha=0.5))
        return model, keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=2)

    model, plateau = setup()
    straight = S.rates_per_update(model, [S.Inject(SCORES), plateau], epochs=8)

    model, plateau = setup()
    first = S.rates_per_update(model, [S.Inject(SCORES), plateau], epochs=4)
    model.save(tmp_path / "model.keras")
    (tmp_path / "plateau.json").write_text(json.dumps(plateau.get_state()))
    (tmp_path / "scores.json").write_text(json.dumps(SCORES))
    run_script(RESUME, tmp_path, cwd=tmp_path)
    resumed = np.concatenate([first, np.load(tmp_path / "resumed.npy")])

    np.testing.assert_allclose(resumed, straight, rtol=1e-6, atol=1e-9)
    # Reductions after epoch 4 (two bad after 0.8: the second is after the reload, so the
    # restored `wait` decides) and after epoch 7 (too late to show in the rates).
    cosine = keras_lr.schedule_values(KS.CosineDecay(0.1, 8 * S.STEPS, alpha=0.5), 8 * S.STEPS)
    cosine[5 * S.STEPS:] *= 0.5
    np.testing.assert_allclose(straight[: 8 * S.STEPS], cosine, rtol=1e-5)


# --- The monitor ---------------------------------------------------------------------------------

def test_monitor_logs_rate_momentum_and_decay_to_history_and_csv(tmp_path):
    model, x, y = regression()
    schedule = keras_lr.StepDecay(0.01, 4, 0.5)
    model.compile(keras.optimizers.AdamW(schedule, weight_decay=0.004, beta_1=0.85), loss="mse")
    csv = tmp_path / "log.csv"
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                        callbacks=[keras_lr.LearningRateMonitor(),
                                   keras.callbacks.CSVLogger(str(csv))])
    # After epoch e, 4 (e + 1) updates are done; the next one's rate is 0.01 * 0.5 ** (e + 1).
    np.testing.assert_allclose(history.history["learning_rate"], [0.005, 0.0025, 0.00125])
    assert history.history["beta_1"] == [0.85] * 3
    assert history.history["weight_decay"] == [0.004] * 3
    header = csv.read_text().splitlines()[0].split(",")
    assert {"learning_rate", "beta_1", "weight_decay"} <= set(header)


def tensorboard_scalars(folder):
    """(steps, values) of every scalar in the event files of `folder`."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util.tensor_util import make_ndarray

    steps, values = [], []
    for path in sorted(folder.iterdir()):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                steps.append(event.step)
                tensor = value.tensor if value.HasField("tensor") else None
                values.append(float(make_ndarray(tensor)) if tensor else value.simple_value)
    return steps, values


def test_monitor_writes_every_nth_update_to_tensorboard(tmp_path):
    model = S.onehot_model(KS.CosineDecay(0.1, 30), steps_per_execution=4)
    monitor = keras_lr.LearningRateMonitor(update_freq=5, log_dir=str(tmp_path))
    S.rates_per_update(model, [monitor], epochs=2)
    steps, values = tensorboard_scalars(tmp_path / "train")
    assert steps == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(values, keras_lr.schedule_values(KS.CosineDecay(0.1, 30), steps),
                               rtol=1e-6)


def test_monitor_logs_the_rates_applied_when_a_plateau_reduces_before_it(tmp_path):
    model = S.onehot_model(0.1)
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    monitor = keras_lr.LearningRateMonitor(update_freq=4, log_dir=str(tmp_path))
    applied = S.rates_per_update(model, [S.Inject([1.0, 2.0, 3.0]), plateau, monitor], epochs=3)
    steps, values = tensorboard_scalars(tmp_path / "train")
    assert steps == list(range(0, 36, 4))
    np.testing.assert_allclose(values, applied[::4], rtol=1e-5)  # [0.1] * 6 + [0.05] * 3


def test_helpers_read_through_loss_scale_optimizer():
    inner = keras.optimizers.SGD(keras_lr.Constant(0.25), momentum=0.5)
    wrapped = keras.optimizers.LossScaleOptimizer(inner)
    assert keras_lr.get_learning_rate(wrapped) == 0.25
    assert keras_lr.get_momentum(wrapped) == 0.5
    assert keras_lr.get_momentum(keras.optimizers.Adagrad()) is None


def test_plateau_under_mixed_precision():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model, plateau = S.plateau_scenario()
        rates = S.rates_per_update(model, plateau)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    np.testing.assert_allclose(rates, S.expected_plateau_rates(), rtol=2e-3)


class TwoOptimizers(keras.Model):
    """A model that also owns a second optimizer, as GAN-style models do."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.critic_optimizer = keras.optimizers.Adam(KS.CosineDecay(0.01, 100), name="critic")

    def call(self, x):
        return self.dense(x)


def test_plateau_reduces_every_optimizer_and_logs_each():
    model = TwoOptimizers()
    model.compile(keras.optimizers.SGD(0.1, name="main"), loss="mse")
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0,
                        callbacks=[S.Inject([1.0, 2.0, 3.0]), keras_lr.ReduceLROnPlateau(
                            "val_score", 0.5, patience=1, mode="min")])
    np.testing.assert_allclose(history.history["learning_rate_main"], [0.1, 0.1, 0.05], rtol=1e-6)
    assert float(model.critic_optimizer._learning_rate.factor) == 0.25


# --- Bad arguments and bad data ------------------------------------------------------------------

BAD = [
    (lambda: keras_lr.ReduceLROnPlateau(factor=1.0), ValueError, "factor", "1.0"),
    (lambda: keras_lr.ReduceLROnPlateau(factor=0), ValueError, "factor", "0.0"),
    (lambda: keras_lr.ReduceLROnPlateau(patience=-1), ValueError, "patience", "-1"),
    (lambda: keras_lr.ReduceLROnPlateau(mode="up"), ValueError, "mode", "'up'"),
    (lambda: keras_lr.ReduceLROnPlateau(threshold_mode="relative"), ValueError, "threshold_mode",
     "'relative'"),
    (lambda: keras_lr.ReduceLROnPlateau(min_lr=-1e-3), ValueError, "min_lr", "-0.001"),
    (lambda: keras_lr.ReduceLROnPlateau(cooldown=1.5), ValueError, "cooldown", "1.5"),
    (lambda: keras_lr.ReduceLROnPlateau(monitor=3), TypeError, "monitor", "3"),
    (lambda: keras_lr.ReduceLROnPlateau(restore_best_weights="yes"), TypeError,
     "restore_best_weights", "'yes'"),
    (lambda: keras_lr.OneCycleScheduler(0.0), ValueError, "max_learning_rate", "0.0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, total_steps=0), ValueError, "total_steps", "0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, pct_start=1.5), ValueError, "pct_start", "1.5"),
    (lambda: keras_lr.OneCycleScheduler(0.1, base_momentum=1.0), ValueError, "base_momentum",
     "1.0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, base_momentum=0.9, max_momentum=0.8), ValueError,
     "max_momentum", "0.8"),
    (lambda: keras_lr.OneCycleScheduler(0.1, cycle_momentum=1), TypeError, "cycle_momentum", "1"),
    (lambda: keras_lr.CyclicalScheduler(0.1, 0.01, 5), ValueError, "max_learning_rate", "0.01"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 0), ValueError, "step_size", "0"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2.5), ValueError, "step_size", "2.5"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 0.0, unit="epochs"), ValueError, "step_size",
     "0.0"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2, unit="batches"), ValueError, "unit",
     "'batches'"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2, mode="sine"), ValueError, "mode", "'sine'"),
    (lambda: keras_lr.LearningRateMonitor(update_freq=0), ValueError, "update_freq", "0"),
]


@pytest.mark.parametrize("make,error,name,value", BAD, ids=[f"{b[2]}={b[3]}" for b in BAD])
def test_bad_argument_names_argument_and_value(make, error, name, value):
    import re

    with pytest.raises(error, match=rf"^Argument `{name}` must be .+\. Received: {name}="
                                    + re.escape(value)):
        make()


def test_nan_loss_mid_epoch_crashes_no_callback(tmp_path):
    model, x, y = regression()
    y = y.copy()
    y[9] = np.nan  # the third batch of the first epoch
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    plateau = keras_lr.ReduceLROnPlateau("loss", patience=1)
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[
        keras_lr.OneCycleScheduler(0.05), keras_lr.LearningRateMonitor(log_dir=str(tmp_path)),
        plateau, keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))])
    assert all(math.isnan(v) for v in history.history["loss"])
    assert plateau.best is None and plateau.wait == 0  # NaN never became the best
    assert all(math.isfinite(v) for v in history.history["learning_rate"])
    model.compile(keras.optimizers.Adam(KS.CosineDecay(0.1, 50)), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[
        keras_lr.CyclicalScheduler(0.01, 0.1, 2, cycle_momentum=True), plateau])
