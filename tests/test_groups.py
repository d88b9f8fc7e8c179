"""Rates per group of layers (`discriminative`, `layer_decay`), read back from the weights.

The probe: three one-weight branches of the same input summed, mean absolute error far
below the target, so every branch's gradient is exactly 1 and each weight moves by its
group's step. No TensorFlow import: the file runs on every backend.
"""

import json

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _trial
from tests import scenarios as S

pytestmark = pytest.mark.skipif(not hasattr(keras.optimizers, "MultiOptimizer"),
                                reason="MultiOptimizer: Keras 3.15+")
STEPS, EPOCHS = 4, 3
UPDATES = STEPS * EPOCHS
COSINE = keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1)


def probe():
    inputs = keras.Input((1,))
    branches = [keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name=f"g{i}")
                for i in range(3)]
    return keras.Model(inputs, keras.layers.Add()([b(inputs) for b in branches]), name="probe")


def train(model, callbacks, epochs=EPOCHS, initial_epoch=0):
    weights = S.WeightsPerUpdate()
    x, y = np.ones((STEPS, 1), "float32"), np.full((STEPS, 1), -1e4, "float32")
    history = model.fit(x, y, batch_size=1, epochs=epochs, initial_epoch=initial_epoch,
                        shuffle=False, verbose=0, callbacks=[*callbacks, weights])
    return np.array(weights.trace), history


def simulate(rates, momenta):
    """Each group's weight after each update: `v = m v - lr; w += v` per group."""
    velocity, weight, trace = np.zeros(rates.shape[1]), np.zeros(rates.shape[1]), []
    for rate, momentum in zip(rates, momenta, strict=True):
        velocity = momentum * velocity - rate
        weight = weight + velocity
        trace.append(weight)
    return np.array(trace)


def test_discriminative_rates_spread_geometrically_and_plateau_scales_each_group():
    model = probe()
    model.compile(keras_lr.discriminative(model, keras.optimizers.SGD(COSINE), lrs=(0.001, 0.1)),
                  loss="mae")
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    trace, history = train(model, [S.Inject([1.0, 2.0, 3.0]), plateau,
                                   keras_lr.LearningRateMonitor()])
    scales = np.array([0.01, 0.1, 1.0])  # 0.001 ... 0.1, relative to the base's 0.1
    factor = np.repeat([1.0, 1.0, 0.5], STEPS)  # reduced after epoch 1
    cosine = keras_lr.schedule_values(COSINE, UPDATES).astype("float64")
    rates = np.outer(factor * cosine, scales)
    np.testing.assert_allclose(trace, simulate(rates, np.zeros(UPDATES)), rtol=1e-5, atol=1e-9)
    for i, optimizer in enumerate(model.optimizer.optimizers):  # a series per group
        assert optimizer.name.endswith(f"_pg{i}")
        logged = history.history[f"learning_rate_{optimizer.name}"]  # the epoch's last update
        np.testing.assert_allclose(logged, rates[STEPS - 1::STEPS, i], rtol=1e-5)


def test_layer_decay_under_one_cycle_with_momentum_and_a_guard():
    model = probe()
    model.compile(keras_lr.layer_decay(model, keras.optimizers.SGD(COSINE, momentum=0.9),
                                       decay=0.5), loss="mae")
    trace, _ = train(model, [keras_lr.OneCycleScheduler(0.2, pct_start=0.25),
                             keras_lr.SpikeGuard(verbose=0)])
    cycle = keras_lr.OneCycle(0.2, UPDATES, pct_start=0.25)
    rates = np.outer(keras_lr.schedule_values(cycle, UPDATES), [0.25, 0.5, 1.0])
    momenta = np.asarray(keras.ops.convert_to_numpy(
        cycle.momentum(np.arange(UPDATES), 0.85, 0.95)), "float64")
    np.testing.assert_allclose(trace, simulate(rates, momenta), rtol=2e-5, atol=1e-7)
    for optimizer in model.optimizer.optimizers:  # at rest: the user's momentum
        assert optimizer.momentum == 0.9


@pytest.mark.slow
def test_group_rates_survive_a_reload_in_a_fresh_process(tmp_path):
    model = probe()
    model.compile(keras_lr.discriminative(model, keras.optimizers.SGD(COSINE), lrs=(0.01, 0.1)),
                  loss="mae")
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    train(model, [S.Inject([1.0, 2.0]), plateau], epochs=2)  # reduced after epoch 1
    path = tmp_path / "m.keras"
    model.save(path)
    out = S.run_python("""
        import json, sys
        import keras, keras_lr
        from tests import test_groups as T
        model = keras.models.load_model(sys.argv[1])
        trace, _ = T.train(model, [], epochs=3, initial_epoch=2)
        print(json.dumps(trace.tolist()))
    """, path)
    trace = np.array(json.loads(out))
    cosine = keras_lr.schedule_values(COSINE, UPDATES).astype("float64")
    rates = np.outer(0.5 * cosine, [0.1, np.sqrt(0.1), 1.0])[2 * STEPS:]
    start = model.get_weights()
    expected = np.array([w[0, 0] for w in start]) + simulate(rates, np.zeros(STEPS))
    np.testing.assert_allclose(trace, expected, rtol=1e-5, atol=1e-7)


def test_group_arguments_are_checked():
    model = probe()
    with pytest.raises(ValueError, match="`lrs`"):
        keras_lr.discriminative(model, keras.optimizers.SGD(0.1), lrs=(0.1, 0.01))
    with pytest.raises(ValueError, match="`decay`"):
        keras_lr.layer_decay(model, keras.optimizers.SGD(0.1), decay=0.0)
    with pytest.raises(TypeError, match="`optimizer`"):
        keras_lr.layer_decay(model, keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()))


def test_the_range_test_sweeps_every_group_at_its_share():
    model = probe()
    model.compile(keras_lr.discriminative(model, keras.optimizers.SGD(0.1), lrs=(0.001, 0.1)),
                  loss="mae")
    before = [w.copy() for w in model.get_weights()]
    x, y = np.ones((64, 1), "float32"), np.full((64, 1), -1e4, "float32")
    result = keras_lr.find_lr(model, x, y, batch_size=1, num_steps=10, refine=False,
                              start_lr=1e-4, end_lr=1e-2)
    assert len(result.lrs) == 10 and result.suggestion > 0
    for got, want in zip(model.get_weights(), before, strict=True):  # restored exactly
        np.testing.assert_array_equal(got, want)

    # The sweep's rates reach each group times its scale: moved by sum(lrs) x scale.
    trainer = _trial.Trainer(model)
    with trainer:
        for rate in result.lrs:
            trainer.step(float(rate), (x[:1], y[:1]))
        moved = [-float(keras.ops.convert_to_numpy(v)[0, 0]) for v in model.trainable_variables]
    np.testing.assert_allclose(moved, np.sum(result.lrs) * np.array([0.01, 0.1, 1.0]), rtol=1e-4)
