"""Schedules and callbacks inside model.fit: save, reload in another process, resume exactly;
the same rates under steps_per_execution, XLA and tf.distribute; gradient accumulation; NaN losses.

The probe model has one weight `w` and a loss whose gradient is exactly 1
(mean absolute error far below the target), so each Adam update moves `w` by
the learning rate of that update (up to Adam's epsilon): the applied rate is
read off the weights, not asked of the schedule.
"""

import math

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

KS = keras.optimizers.schedules
BATCHES = 8  # updates per epoch
X = np.ones((BATCHES * 4, 1), "float32")
Y = np.full((BATCHES * 4, 1), -1e4, "float32")


def representative():
    return {
        "one_cycle": keras_lr.OneCycle(0.05, total_steps=3 * BATCHES),
        "cyclical": keras_lr.Cyclical(0.001, 0.05, step_size=3, step_size_down=5),
        "warm_restarts": keras_lr.CosineWarmRestarts(0.05, 5, t_mul=2.0, m_mul=0.8),
        "warmup_keras_cosine": keras_lr.Warmup(KS.CosineDecay(0.05, 20), warmup_steps=4),
        "join": keras_lr.SequentialSchedule(
            [keras_lr.Constant(0.01), keras_lr.StepDecay(0.05, 3, 0.5)], boundaries=[11]
        ),
        "scaled": keras_lr.Scaled(keras_lr.OneCycle(0.05, total_steps=3 * BATCHES)),
    }


def fit(model, epochs, initial_epoch=0):
    probe = S.WeightPerBatch()
    model.fit(X, Y, batch_size=4, epochs=epochs, initial_epoch=initial_epoch, shuffle=False,
              verbose=0, callbacks=[probe])
    return np.array(probe.trace)


def after_first_epoch(model):
    """What a user does between epochs: ReduceLROnPlateau will assign this factor."""
    lr = model.optimizer._learning_rate
    if isinstance(lr, keras_lr.Scaled):
        lr.factor.assign(0.25)


RESUME = """
    import sys
    import keras, numpy as np
    import keras_lr
    from tests import scenarios as S

    folder, names = sys.argv[1], sys.argv[2:]
    x = np.ones((32, 1), "float32")
    y = np.full((32, 1), -1e4, "float32")
    out = {}
    for name in names:
        model = keras.models.load_model(f"{folder}/{name}.keras")
        probe = S.WeightPerBatch()
        model.fit(x, y, batch_size=4, epochs=3, initial_epoch=1, shuffle=False, verbose=0,
                  callbacks=[probe])
        out[name] = np.array(probe.trace)
        out[name + "_iterations"] = int(model.optimizer.iterations.numpy())
    np.savez(f"{folder}/resumed.npz", **out)
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    straight, first = {}, {}
    for name, schedule in representative().items():
        model = S.one_weight_model(keras.optimizers.Adam(schedule))
        first[name] = fit(model, 1)
        after_first_epoch(model)
        model.save(folder / f"{name}.keras")
        straight[name] = np.concatenate([first[name], fit(model, 3, initial_epoch=1)])
    S.run_python(RESUME, folder, *straight, cwd=folder)
    resumed = dict(np.load(folder / "resumed.npz"))
    return straight, first, resumed


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(representative()))
def test_resumed_run_equals_uninterrupted_run(runs, name):
    straight, _first, resumed = runs
    assert resumed[name + "_iterations"] == 3 * BATCHES
    np.testing.assert_allclose(resumed[name], straight[name][BATCHES:], rtol=1e-6, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(representative()))
def test_applied_rates_follow_the_schedule(runs, name):
    _straight, first, resumed = runs
    trace = np.concatenate([[0.0], first[name], resumed[name]])
    applied = -np.diff(trace)
    schedule = representative()[name]
    expected = keras_lr.schedule_values(schedule, 3 * BATCHES)
    if name == "scaled":
        expected[BATCHES:] *= 0.25
    # Adam's step is lr * sqrt(v) / (sqrt(v) + epsilon) with v = 1 - beta_2**t.
    t = np.arange(1, 3 * BATCHES + 1)
    root = np.sqrt(1 - 0.999**t)
    np.testing.assert_allclose(applied, expected * root / (root + 1e-7), rtol=2e-4, atol=2e-7)


def run_accumulated(schedule, k=4, micro_batches=24):
    model = S.one_weight_model(keras.optimizers.SGD(schedule, gradient_accumulation_steps=k))
    probe = S.WeightPerBatch()
    model.fit(X[:micro_batches], Y[:micro_batches], batch_size=1, shuffle=False, verbose=0,
              callbacks=[probe])
    return probe.moves()[k - 1 :: k], int(model.optimizer.iterations.numpy())


@pytest.mark.parametrize("make", [lambda: keras_lr.StepDecay(0.1, 1, 0.8),
                                  lambda: KS.ExponentialDecay(0.1, 1, 0.8)],
                         ids=["keras_lr", "keras"])
def test_per_update_counts_real_updates_under_gradient_accumulation(make):
    applied, updates = run_accumulated(keras_lr.PerUpdate(make(), 4))
    assert updates == 6
    np.testing.assert_allclose(applied, 0.1 * 0.8 ** np.arange(6), rtol=1e-4)
    # Without the wrapper Keras asks the schedule for micro-batch (u + 1) * 4 - 1.
    applied, _ = run_accumulated(make())
    np.testing.assert_allclose(applied, 0.1 * 0.8 ** (4 * np.arange(1, 7) - 1), rtol=1e-4)


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
    S.run_python(DISTRIBUTED, path, cwd=path.parent)
    return dict(np.load(path))


@pytest.mark.slow
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



# --- Bad data -----------------------------------------------------------------------------------

def test_nan_loss_mid_epoch_crashes_no_callback(tmp_path):
    model, x, y = S.regression()
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
