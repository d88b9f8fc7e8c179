"""Schedules inside model.fit: save, reload in another process, resume exactly.

The probe model has one weight `w` and a loss whose gradient is exactly 1
(mean absolute error far below the target), so each Adam update moves `w` by
the learning rate of that update (up to Adam's epsilon): the applied rate is
read off the weights, not asked of the schedule.
"""

import inspect
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_lr

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


class WeightProbe(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.trace = []

    def on_train_batch_end(self, batch, logs=None):
        self.trace.append(float(self.model.get_weights()[0][0, 0]))


def make_model(schedule):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.Adam(schedule), loss="mae")
    return model


def fit(model, epochs, initial_epoch=0):
    probe = WeightProbe()
    model.fit(X, Y, batch_size=4, epochs=epochs, initial_epoch=initial_epoch, shuffle=False,
              verbose=0, callbacks=[probe])
    return np.array(probe.trace)


def after_first_epoch(model):
    """What a user does between epochs: ReduceLROnPlateau will assign this factor."""
    lr = model.optimizer._learning_rate
    if isinstance(lr, keras_lr.Scaled):
        lr.factor.assign(0.25)


RESUME = textwrap.dedent(
    """
    import sys
    import keras, numpy as np
    import keras_lr
    """
) + inspect.getsource(WeightProbe) + textwrap.dedent(
    """
    folder, names = sys.argv[1], sys.argv[2:]
    x = np.ones((32, 1), "float32")
    y = np.full((32, 1), -1e4, "float32")
    out = {}
    for name in names:
        model = keras.models.load_model(f"{folder}/{name}.keras")
        probe = WeightProbe()
        model.fit(x, y, batch_size=4, epochs=3, initial_epoch=1, shuffle=False, verbose=0,
                  callbacks=[probe])
        out[name] = np.array(probe.trace)
        out[name + "_iterations"] = int(model.optimizer.iterations.numpy())
    np.savez(f"{folder}/resumed.npz", **out)
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    straight, first = {}, {}
    for name, schedule in representative().items():
        model = make_model(schedule)
        first[name] = fit(model, 1)
        after_first_epoch(model)
        model.save(folder / f"{name}.keras")
        straight[name] = np.concatenate([first[name], fit(model, 3, initial_epoch=1)])
    script = folder / "resume.py"
    script.write_text(RESUME)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, str(script), str(folder), *straight], check=True, env=env,
                   cwd=folder, timeout=600)
    resumed = dict(np.load(folder / "resumed.npz"))
    return straight, first, resumed


@pytest.mark.parametrize("name", sorted(representative()))
def test_resumed_run_equals_uninterrupted_run(runs, name):
    straight, first, resumed = runs
    assert resumed[name + "_iterations"] == 3 * BATCHES
    np.testing.assert_allclose(resumed[name], straight[name][BATCHES:], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(representative()))
def test_applied_rates_follow_the_schedule(runs, name):
    straight, first, resumed = runs
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
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.SGD(schedule, gradient_accumulation_steps=k), loss="mae")
    probe = WeightProbe()
    model.fit(X[:micro_batches], Y[:micro_batches], batch_size=1, shuffle=False, verbose=0,
              callbacks=[probe])
    trace = np.concatenate([[0.0], probe.trace])
    return -np.diff(trace)[k - 1 :: k], int(model.optimizer.iterations.numpy())


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
