"""keras-lr's callbacks next to each other and next to Keras's own, on every backend.

The probe is one weight whose gradient is exactly 1 (mean absolute error far
below the target), trained by SGD with momentum 0.9 on a cosine schedule:
after update t the weight is the NumPy recursion `v = m_t v - lr_t; w += v`
of the rates and momenta the composition should apply, which are

    lr_t = factor_t × base(t)   (base: the cycle callback's schedule, else the cosine)
    m_t  = the cycle's momentum curve, else 0.9

with the plateau (scripted scores, patience 1) halving the factor after
epochs 1 and 3. After `fit` the optimizer holds the user's cosine again
(wrapped in `keras_lr.Scaled` with the factor if a reduction was made) and
momentum 0.9. No TensorFlow import: the file runs on JAX and PyTorch too.
"""

import itertools
import json

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _keras
from tests import scenarios as S

STEPS, EPOCHS = 6, 4
UPDATES = STEPS * EPOCHS
COSINE = keras.optimizers.schedules.CosineDecay(0.05, UPDATES, alpha=0.1)
SCORES = [1.0, 1.1, 0.5, 0.6]  # min mode, patience 1: reductions after epochs 1 and 3


def make(name, folder):
    return {
        "plateau": lambda: [S.Inject(SCORES), keras_lr.ReduceLROnPlateau(
            "val_score", mode="min", factor=0.5, patience=1)],
        "one_cycle": lambda: [keras_lr.OneCycleScheduler(0.1, pct_start=0.25)],
        "cyclical": lambda: [keras_lr.CyclicalScheduler(0.01, 0.1, step_size=3,
                                                        cycle_momentum=True)],
        "guard": lambda: [keras_lr.SpikeGuard(snapshot_freq=4, verbose=0)],
        "lr_monitor": lambda: [keras_lr.LearningRateMonitor()],
        "update_monitor": lambda: [keras_lr.UpdateMonitor(update_freq=5)],
        "backup": lambda: [keras.callbacks.BackupAndRestore(str(folder / "backup"))],
        "checkpoint": lambda: [keras.callbacks.ModelCheckpoint(
            str(folder / "w.weights.h5"), save_weights_only=True)],
        "early_stopping": lambda: [keras.callbacks.EarlyStopping("loss", patience=100)],
    }[name]()


NAMES = ["plateau", "one_cycle", "cyclical", "guard", "lr_monitor", "update_monitor",
         "backup", "checkpoint", "early_stopping"]
SETS = [*itertools.combinations(NAMES, 2), ("plateau", "one_cycle", "guard")]


def expected(names, first=0):
    """The weight after each update, from the composed rates and momenta (float64)."""
    t = np.arange(UPDATES)
    if "one_cycle" in names:
        cycle = keras_lr.OneCycle(0.1, UPDATES, pct_start=0.25)
        momenta = cycle.momentum(t, 0.85, 0.95)
    elif "cyclical" in names:
        cycle = keras_lr.Cyclical(0.01, 0.1, step_size=3)
        momenta = cycle.momentum(t, 0.8, 0.9)
    else:
        cycle, momenta = COSINE, np.full(UPDATES, 0.9)
    rates = keras_lr.schedule_values(cycle, UPDATES).astype("float64")
    momenta = np.asarray(keras.ops.convert_to_numpy(momenta), "float64")
    if "plateau" in names:
        rates[2 * STEPS:] *= 0.5
    velocity, weight, weights = 0.0, 0.0, []
    for rate, momentum in zip(rates, momenta, strict=True):
        velocity = momentum * velocity - rate
        weight += velocity
        weights.append(weight)
    return np.array(weights[first:])


def model_and_data():
    keras.utils.set_random_seed(0)
    model = S.one_weight_model(keras.optimizers.SGD(COSINE, momentum=0.9))
    x = np.ones((STEPS, 1), "float32")
    y = np.full((STEPS, 1), -1e4, "float32")
    return model, x, y


def run(names, folder, epochs=EPOCHS, model=None, callbacks=None):
    if model is None:
        model, x, y = model_and_data()
    else:
        _, x, y = model_and_data()
    probe = S.WeightsPerUpdate()
    callbacks = callbacks or [cb for name in names for cb in make(name, folder)]
    model.fit(x, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0,
              callbacks=[*callbacks, probe])
    return model, np.array(probe.trace)[:, 0]


@pytest.mark.parametrize("names", SETS, ids="+".join)
def test_rates_and_momenta_compose(names, tmp_path):
    if {"one_cycle", "cyclical"} <= set(names):
        with pytest.raises(ValueError, match="both drive the learning rate"):
            run(names, tmp_path)
        return
    model, trace = run(names, tmp_path)
    np.testing.assert_allclose(trace, expected(names), rtol=2e-5, atol=1e-6)
    # After fit: the user's optimizer, the reductions kept.
    optimizer = model.optimizer
    rate = _keras.learning_rate_of(optimizer)
    assert optimizer.momentum == 0.9
    if "plateau" in names:
        assert isinstance(rate, keras_lr.Scaled) and rate.schedule is COSINE
        assert float(keras.ops.convert_to_numpy(rate.factor)) == 0.25
    else:
        assert rate is COSINE
    assert optimizer.get_config()["learning_rate"] == keras.saving.serialize_keras_object(rate)


RESUME = """
import json, pathlib, sys
import keras, numpy as np
from tests import test_composition as C

folder = pathlib.Path(sys.argv[1])
names = sys.argv[2].split("+")
model, x, y = C.model_and_data()
callbacks = [cb for name in names for cb in C.make(name, folder)]
stateful = [cb for cb in callbacks if hasattr(cb, "set_state")]
state_file = folder / "state.json"
if sys.argv[3] == "first":
    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                state_file.write_text(json.dumps([cb.get_state() for cb in stateful]))
                raise KeyboardInterrupt  # the job is killed after epoch 1's backup
    try:
        C.run(names, folder, model=model, callbacks=[*callbacks, Crash()])
    except KeyboardInterrupt:
        pass
else:
    for cb, state in zip(stateful, json.loads(state_file.read_text())):
        cb.set_state(state)
    _, trace = C.run(names, folder, model=model, callbacks=callbacks)
    print(json.dumps(trace.tolist()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("names", [("plateau", "one_cycle", "guard", "backup"),
                                   ("plateau", "guard", "backup")], ids="+".join)
def test_an_interrupted_run_resumed_in_a_fresh_process_equals_the_uninterrupted(names, tmp_path):
    S.run_python(RESUME, tmp_path, "+".join(names), "first")
    resumed = json.loads(S.run_python(RESUME, tmp_path, "+".join(names), "second"))
    np.testing.assert_allclose(resumed, expected(names, first=2 * STEPS), rtol=2e-5, atol=1e-6)
