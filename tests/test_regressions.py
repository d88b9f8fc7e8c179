"""Regression tests for the defects of shared/repros3 (01-08, 16, 17), on every backend.

Each test names its script; together with tests/test_composition.py (every pair of
callbacks) and test_backends.py (05, 06: a factor nobody attached) they pin the fixes.
"""

import json
import pathlib

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _keras
from keras_lr._step_value import StepValue
from tests import scenarios as S

RNG = np.random.default_rng(0)
X = RNG.normal(size=(128, 8)).astype("float32")
Y = (X @ RNG.normal(size=(8, 1))).astype("float32")
COSINE = keras.optimizers.schedules.CosineDecay(0.05, 1000)


def mlp(optimizer, *first):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), *first, keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer, loss="mse")
    return model


class Batches(keras.utils.PyDataset):
    """4 batches of 32; with `spike`, the inputs of batch 2 of the first epoch are x100."""

    def __init__(self, spike=False):
        super().__init__()
        self.spike = spike

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x = X[32 * i: 32 * i + 32].copy()
        if self.spike and i == 2:
            self.spike = False
            x *= 100.0
        return x, Y[32 * i: 32 * i + 32]


@pytest.mark.parametrize("cycle", [keras_lr.OneCycleScheduler(0.05, total_steps=12),
                                   keras_lr.CyclicalScheduler(0.005, 0.05, step_size=3)])
def test_01_the_guard_cools_a_cycle_callbacks_rate(cycle):
    model = mlp(keras.optimizers.SGD(0.01, momentum=0.9))
    guard = keras_lr.SpikeGuard(snapshot_freq=2, verbose=0)
    rates = []

    class Rate(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(keras_lr.get_learning_rate(self.model.optimizer))

    model.fit(Batches(spike=True), epochs=3, shuffle=False, verbose=0,
              callbacks=[cycle, guard, Rate()])
    assert guard.rollbacks == 1
    assert all(np.isfinite(w).all() for w in model.get_weights())
    schedule = cycle.schedule_for(3, 4)
    expected = keras_lr.schedule_values(schedule, 12) * np.repeat([1.0, 0.5], [3, 9])
    np.testing.assert_allclose(rates, expected, rtol=1e-5)
    # After fit: the user's float rate, with the guard's cooling kept in it.
    assert keras_lr.get_learning_rate(model.optimizer) == pytest.approx(0.005)


def test_02_and_17_a_resumed_guard_rolls_back_to_the_restored_state(tmp_path):
    backup = str(tmp_path / "backup")

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    first, guard = mlp(keras.optimizers.SGD(COSINE, momentum=0.9)), keras_lr.SpikeGuard(verbose=0)
    with pytest.raises(KeyboardInterrupt):
        first.fit(Batches(), epochs=4, shuffle=False, verbose=0,
                  callbacks=[guard, keras.callbacks.BackupAndRestore(backup), Crash()])
    resumed_loss = first.evaluate(X, Y, verbose=0)
    state = json.loads(json.dumps({**guard.get_state(), "scale_factors": [0.5]}))

    # A new process: a fresh model, the guard listed before BackupAndRestore, a spike.
    model = mlp(keras.optimizers.SGD(COSINE, momentum=0.9))
    guard = keras_lr.SpikeGuard(snapshot_freq=50, verbose=0)
    guard.set_state(state)  # 17: the saved factor comes back with the weights
    after = []

    class AfterRollback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if guard.rollbacks == 1 and not after:
                _keras.sync_state(self.model)
                after.append(self.model.evaluate(X, Y, verbose=0))
                after.append(keras_lr.get_learning_rate(self.model.optimizer))

    model.fit(Batches(spike=True), epochs=4, shuffle=False, verbose=0,
              callbacks=[guard, keras.callbacks.BackupAndRestore(backup), AfterRollback()])
    assert after[0] == pytest.approx(resumed_loss, rel=1e-4)  # not the untrained model's loss
    done = 2 * 4 + 2  # the epochs restored, then the two batches kept before the spike
    assert after[1] == pytest.approx(0.25 * float(COSINE(done + 1)), rel=1e-5)


def test_03_a_legitimately_infinite_buffer_is_restored_but_not_judged():
    class Floor(keras.layers.Layer):
        def build(self, shape):
            self.floor = self.add_weight(shape=(), trainable=False,
                                         initializer=keras.initializers.Constant(-np.inf))

        def call(self, x):
            return keras.ops.maximum(x, self.floor)

    guard = keras_lr.SpikeGuard(snapshot_freq=2, verbose=0)
    history = mlp(keras.optimizers.SGD(0.01), Floor()).fit(
        X, Y, batch_size=32, epochs=2, verbose=0, callbacks=[guard])
    assert guard.rollbacks == 0 and np.isfinite(history.history["loss"]).all()


def test_03_a_model_that_starts_non_finite_is_a_clear_error():
    model = mlp(keras.optimizers.SGD(0.01))
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    with pytest.raises(ValueError, match="no finite snapshot"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[keras_lr.SpikeGuard()])


@pytest.mark.parametrize("recompile", [False, True])
def test_04_an_interrupted_cycle_does_not_leak_into_a_plain_fit(recompile):
    model = mlp(keras.optimizers.SGD(0.01, momentum=0.9))

    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, batch_size=32, epochs=10, verbose=0,
                  callbacks=[keras_lr.OneCycleScheduler(1.0), CtrlC()])
    if recompile:
        model.compile(model.optimizer, loss="mse")
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    for slot in model.optimizer.variables:  # no velocity left in the momentum slots
        if slot.path.endswith("_momentum"):
            slot.assign(np.zeros(slot.shape, slot.dtype))
    model.fit(X[:32], Y[:32], batch_size=32, epochs=1, verbose=0)
    # One plain SGD update from zero weights: only the last bias moves, by 0.01 x grad.
    grad = 2 * np.mean(0.0 - Y[:32])
    assert model.get_weights()[-1][0] == pytest.approx(-0.01 * grad, rel=1e-5)
    assert model.optimizer.momentum == 0.9
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)


def test_07_the_update_monitor_measures_real_updates_under_accumulation():
    model = mlp(keras.optimizers.Adam(0.01, gradient_accumulation_steps=2))
    history = model.fit(X, Y, batch_size=32, epochs=4, verbose=0, shuffle=False,
                        callbacks=[keras_lr.UpdateMonitor(update_freq=3)])
    assert all(r > 0 for r in history.history["update_ratio_median"])
    assert np.isfinite(history.history["effective_step_median"]).all()


def test_08_the_update_monitor_reports_adams_step_only_for_adam():
    for optimizer, reported in [(keras.optimizers.Adam(0.01), True),
                                (keras.optimizers.Nadam(0.01), False)]:
        history = mlp(optimizer).fit(X, Y, batch_size=32, epochs=1, verbose=0,
                                     callbacks=[keras_lr.UpdateMonitor(update_freq=1)])
        assert ("effective_step_median" in history.history) == reported


def test_16_the_design_document_says_what_the_step_value_is():
    design = " ".join((pathlib.Path(S.ROOT) / "docs" / "design.md").read_text().split())
    assert "not a `float` subclass" in design
    assert not issubclass(StepValue, float)
