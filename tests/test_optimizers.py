"""Every optimizer keras-lr claims, under plateau + 1-cycle (momentum cycled) + guard.

The oracle is Keras's own optimizer, run eagerly one `train_on_batch` at a time
with the rate and momentum of each update set by hand; the callbacks' run must
end at the same weights. No TensorFlow import: the file runs on every backend.
"""

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _keras
from tests import scenarios as S

OPT = keras.optimizers
BATCH, STEPS, EPOCHS = 4, 3, 4
UPDATES = STEPS * EPOCHS
RNG = np.random.default_rng(0)
X = RNG.normal(size=(BATCH * STEPS, 3)).astype("float32")
Y = RNG.normal(size=(BATCH * STEPS, 2)).astype("float32")
W0 = [RNG.normal(size=(3, 4)).astype("float32"), RNG.normal(size=(4, 2)).astype("float32")]

OPTIMIZERS = {  # name -> (factory, the attribute 1-cycle cycles)
    "sgd": (lambda: OPT.SGD(0.01, momentum=0.9), "momentum"),
    "rmsprop": (lambda: OPT.RMSprop(0.01, momentum=0.9), "momentum"),
    "adam": (lambda: OPT.Adam(0.01), "beta_1"),
    "adamw": (lambda: OPT.AdamW(0.01, weight_decay=0.1), "beta_1"),
    "nadam": (lambda: OPT.Nadam(0.01), "beta_1"),
    "adamax": (lambda: OPT.Adamax(0.01), "beta_1"),
    "lion": (lambda: OPT.Lion(0.01), "beta_1"),
    "lamb": (lambda: OPT.Lamb(0.01), "beta_1"),
    "loss_scale": (lambda: OPT.LossScaleOptimizer(OPT.SGD(0.01, momentum=0.9)), "momentum"),
}
if hasattr(OPT, "MultiOptimizer"):  # Keras 3.15
    OPTIMIZERS["multi"] = (lambda: OPT.MultiOptimizer(OPT.OptimizerMap(
        OPT.Adam(0.01), {"probe/first/.*": OPT.SGD(0.01, momentum=0.9)})), None)


def model_for(optimizer, **compile_kw):
    layers = [keras.layers.Dense(4, use_bias=False, name="first"),
              keras.layers.Dense(2, use_bias=False, name="second")]
    model = keras.Sequential([keras.Input((3,)), *layers], name="probe")
    model.compile(optimizer, loss="mse", **compile_kw)
    model.set_weights(W0)
    return model


def subs(optimizer):
    return list(getattr(optimizer, "optimizers", None) or [_keras.unwrap(optimizer)])


def oracle(name, rates, momenta):
    """Keras's optimizer, eager, the hyperparameters of each update set by hand."""
    model = model_for(OPTIMIZERS[name][0](), run_eagerly=True)
    for t in range(UPDATES):
        for optimizer in subs(model.optimizer):
            optimizer.learning_rate = float(rates[t])
            attribute = "momentum" if hasattr(optimizer, "momentum") else "beta_1"
            setattr(optimizer, attribute, float(momenta[t]))
        i = t % STEPS
        model.train_on_batch(X[BATCH * i: BATCH * (i + 1)], Y[BATCH * i: BATCH * (i + 1)])
    return model.get_weights()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_plateau_one_cycle_and_guard_on_every_optimizer(name):
    model = model_for(OPTIMIZERS[name][0]())
    log, guard = keras.callbacks.History(), keras_lr.SpikeGuard(threshold=100.0, verbose=0)
    callbacks = [S.Inject([1.0, 2.0, 3.0, 4.0]),
                 keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1),
                 keras_lr.OneCycleScheduler(0.05, pct_start=0.3), guard,
                 keras_lr.LearningRateMonitor(), log]
    model.fit(X, Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
              callbacks=callbacks)
    assert guard.rollbacks == 0  # this batch-to-batch noise is no spike at threshold 100
    cycle = keras_lr.OneCycle(0.05, UPDATES, pct_start=0.3)
    rates = keras_lr.schedule_values(cycle, UPDATES).astype("float64")
    rates[2 * STEPS:] *= 0.5  # reduced after epoch 1 (and after 2, 3: patience 1)
    rates[3 * STEPS:] *= 0.5
    momenta = np.asarray(keras.ops.convert_to_numpy(
        cycle.momentum(np.arange(UPDATES), 0.85, 0.95)), "float64")
    for got, want in zip(model.get_weights(), oracle(name, rates, momenta), strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    optimizers = subs(model.optimizer)
    assert all(int(keras.ops.convert_to_numpy(o.iterations)) == UPDATES for o in optimizers)
    keys = ["learning_rate"] if len(optimizers) == 1 else [
        f"learning_rate_{o.name}" for o in optimizers]
    for key in keys:  # the rate of each epoch's last update, one series per optimizer
        np.testing.assert_allclose(log.history[key], rates[STEPS - 1::STEPS], rtol=1e-5)
    for optimizer in optimizers:  # the user's settings are back
        attribute = "momentum" if hasattr(optimizer, "momentum") else "beta_1"
        assert getattr(optimizer, attribute) == 0.9


@pytest.mark.parametrize("make", [lambda: OPT.Adagrad(0.1), lambda: OPT.Adadelta(0.1),
                                  lambda: OPT.Ftrl(0.1)])
def test_an_optimizer_without_momentum_cannot_cycle_it(make):
    model = model_for(make())
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[keras_lr.OneCycleScheduler(0.1)])
    model.fit(X, Y, epochs=1, verbose=0,
              callbacks=[keras_lr.OneCycleScheduler(0.1, cycle_momentum=False)])
