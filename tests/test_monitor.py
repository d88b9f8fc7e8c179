"""LearningRateMonitor: rate, momentum and weight decay to the history, CSV and TensorBoard
(every n-th update, the rates actually applied), read through LossScaleOptimizer."""

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

KS = keras.optimizers.schedules


def test_monitor_logs_rate_momentum_and_decay_to_history_and_csv(tmp_path):
    model, x, y = S.regression()
    schedule = keras_lr.StepDecay(0.01, 4, 0.5)
    model.compile(keras.optimizers.AdamW(schedule, weight_decay=0.004, beta_1=0.85), loss="mse")
    csv = tmp_path / "log.csv"
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                        callbacks=[keras_lr.LearningRateMonitor(),
                                   keras.callbacks.CSVLogger(str(csv))])
    # Epoch e's last update is update 4 e + 3, at 0.01 * 0.5 ** e (the rate used during the
    # epoch, as Keras's LearningRateScheduler logs it; get_learning_rate gives the next one).
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.005, 0.0025])
    assert history.history["beta_1"] == [0.85] * 3
    assert history.history["weight_decay"] == [0.004] * 3
    header = csv.read_text().splitlines()[0].split(",")
    assert {"learning_rate", "beta_1", "weight_decay"} <= set(header)


def test_monitor_writes_every_nth_update_to_tensorboard(tmp_path):
    model = S.onehot_model(KS.CosineDecay(0.1, 30), steps_per_execution=4)
    monitor = keras_lr.LearningRateMonitor(update_freq=5, log_dir=str(tmp_path))
    S.rates_per_update(model, [monitor], epochs=2)
    steps, values = S.tensorboard_scalars(tmp_path / "train")
    assert steps == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(values, keras_lr.schedule_values(KS.CosineDecay(0.1, 30), steps),
                               rtol=1e-6)


def test_monitor_logs_the_rates_applied_when_a_plateau_reduces_before_it(tmp_path):
    model = S.onehot_model(0.1)
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    monitor = keras_lr.LearningRateMonitor(update_freq=4, log_dir=str(tmp_path))
    applied = S.rates_per_update(model, [S.Inject([1.0, 2.0, 3.0]), plateau, monitor], epochs=3)
    steps, values = S.tensorboard_scalars(tmp_path / "train")
    assert steps == list(range(0, 36, 4))
    np.testing.assert_allclose(values, applied[::4], rtol=1e-5)  # [0.1] * 6 + [0.05] * 3


def test_helpers_read_through_loss_scale_optimizer():
    inner = keras.optimizers.SGD(keras_lr.Constant(0.25), momentum=0.5)
    wrapped = keras.optimizers.LossScaleOptimizer(inner)
    assert keras_lr.get_learning_rate(wrapped) == 0.25
    assert keras_lr.get_momentum(wrapped) == 0.5
    assert keras_lr.get_momentum(keras.optimizers.Adagrad()) is None


def test_every_n_updates_is_a_deprecated_name_of_update_freq():
    with pytest.warns(DeprecationWarning, match=r"every_n_updates=.*use `update_freq=`"):
        old = keras_lr.UpdateMonitor(every_n_updates=7)
    assert old.update_freq == keras_lr.UpdateMonitor(update_freq=7).update_freq == 7
