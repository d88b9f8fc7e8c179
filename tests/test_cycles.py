"""OneCycleScheduler and CyclicalScheduler inside model.fit: the rates and momenta they
install (against NumPy re-implementations of Keras's optimizers), every optimizer family,
checkpoints mid-fit, clean-up after an interrupted fit, initial_epoch, unknown steps and
gradient accumulation."""

import json

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

KS = keras.optimizers.schedules


# --- Momentum cycling ---------------------------------------------------------------------------

def numpy_grads(w, b, x, y):
    err = x @ w + b - y
    scale = 2.0 / err.size  # mean squared error over batch and outputs
    return scale * x.T @ err, scale * err.sum(axis=0)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_momentum_cycling_matches_numpy(optimizer):
    model, x, y = S.regression()
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
    model, x, y = S.regression()
    model.compile(make(), loss="mse")
    name = keras_lr.callbacks._optim.momentum_name(model.optimizer)
    original = getattr(model.optimizer, name)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        callbacks=[keras_lr.OneCycleScheduler(0.01),
                                   keras_lr.LearningRateMonitor()])
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history[name][-1] == pytest.approx(0.95)
    assert getattr(model.optimizer, name) == original
    assert type(getattr(model.optimizer, name)) is float


def test_momentum_in_config_during_fit_is_the_original_float():
    model, x, y = S.regression()
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    seen = []

    class Peek(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            config = self.model.optimizer.get_config()
            seen.append((json.dumps(config["momentum"]),
                         keras_lr.get_momentum(self.model.optimizer)))

    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.05), Peek()])
    assert seen[0][0] == seen[1][0] == "0.9"
    cycle = keras_lr.OneCycle(0.05, 8)  # the momentum of the next update: 4, then past the end
    assert seen[0][1] == pytest.approx(float(cycle.momentum(4)), abs=1e-6)
    assert seen[1][1] == pytest.approx(0.95, abs=1e-6)


def test_checkpoint_saved_mid_fit_reloads_with_its_optimizer_state(tmp_path):
    model, x, y = S.regression()
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
    model, x, y = S.regression()
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
    model, x, y = S.regression()
    model.compile(keras.optimizers.Adam(KS.CosineDecay(0.01, 100)), loss="mse")
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.keras"))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.05), checkpoint])
    reloaded = keras.models.load_model(tmp_path / "e1.keras")
    assert type(reloaded.optimizer._learning_rate) is KS.CosineDecay


def test_cyclical_scheduler_in_epochs_with_momentum():
    model = S.onehot_model(0.5)
    model.compile(keras.optimizers.SGD(0.5, momentum=0.5), loss="mae")
    callback = keras_lr.CyclicalScheduler(0.01, 0.05, step_size=0.5, unit="epoch",
                                          cycle_momentum=True)
    monitor = keras_lr.LearningRateMonitor()
    history = model.fit(np.eye(S.STEPS, dtype="float32"),
                        np.full((S.STEPS, 1), -1e4, "float32"), batch_size=1, epochs=2,
                        shuffle=False, verbose=0, callbacks=[callback, monitor])
    assert callback.schedule.step_size == S.STEPS // 2
    # Each epoch's last update is one step before the cycle's base (position 11 of 12):
    # rate 0.01 + 0.04 / 6, momentum 0.9 - 0.1 / 6 (the logs show the epoch's last update).
    np.testing.assert_allclose(history.history["learning_rate"], [0.01 + 0.04 / 6] * 2,
                               rtol=1e-6)
    np.testing.assert_allclose(history.history["momentum"], [0.9 - 0.1 / 6] * 2, rtol=1e-6)


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
    model = S.one_weight_model(keras.optimizers.Adam(0.1))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(data.filter(lambda x, y: True), epochs=1, verbose=0,
                  callbacks=[keras_lr.OneCycleScheduler(0.1)])


# --- Gradient accumulation ----------------------------------------------------------------------

def test_one_cycle_counts_real_updates_under_gradient_accumulation():
    x, y = np.ones((32, 1), "float32"), np.full((32, 1), -1e4, "float32")
    model = S.one_weight_model(keras.optimizers.SGD(0.5, gradient_accumulation_steps=4))
    trace = S.WeightPerBatch()
    model.fit(x, y, batch_size=1, epochs=2, shuffle=False, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.1, cycle_momentum=False), trace])
    moves = trace.moves()
    applied = moves[3::4]
    assert np.all(moves[np.arange(len(moves)) % 4 != 3] == 0)
    expected = keras_lr.schedule_values(keras_lr.OneCycle(0.1, 16), 16)  # 64 / 4 updates
    np.testing.assert_allclose(applied, expected, rtol=1e-4, atol=2e-8)


