"""Custom schedules (points, functions) and the update monitor, on any backend.

No TensorFlow import: CI runs this file on JAX and PyTorch too.
"""

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

BACKEND = keras.backend.backend()
SPE = 1 if BACKEND == "torch" else 4


def decay(epoch):
    return 0.1 * 0.5 ** (epoch // 10)


@pytest.mark.slow
def test_function_schedule_applies_what_keras_learning_rate_scheduler_applies(tmp_path):
    epochs = 22
    keras_run = S.onehot_model(0.1, steps_per_execution=SPE)
    expected = S.rates_per_update(keras_run, [keras.callbacks.LearningRateScheduler(decay)],
                                  epochs=epochs)
    schedule = keras_lr.from_function(decay, epochs, steps_per_epoch=S.STEPS)
    ours = S.onehot_model(schedule, steps_per_execution=SPE)
    np.testing.assert_allclose(S.rates_per_update(ours, [], epochs=epochs), expected,
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(expected[[0, 119, 120, 239, 240]], [0.1, 0.1, 0.05, 0.05, 0.025],
                               rtol=1e-5)
    path = str(tmp_path / "m.keras")
    ours.save(path)
    code = f"""
        import keras, keras_lr  # no `decay` here: the table is in the config
        from keras_lr._keras import learning_rate_of
        model = keras.models.load_model({path!r})
        schedule = learning_rate_of(model.optimizer)
        print(type(schedule).__name__, keras_lr.get_learning_rate(model.optimizer),
              [float(schedule(s)) for s in (0, 120, 240)])
    """
    name, rate, values = S.run_python(code, timeout=300).strip().split(" ", 2)
    assert name == "Tabulated"
    assert float(rate) == pytest.approx(0.025, rel=1e-6)  # after 264 updates: epoch 22
    np.testing.assert_allclose(eval(values), [0.1, 0.05, 0.025], rtol=1e-6)


def test_interpolated_schedule_applied_rates():
    points = [(0, 0.01), (12, 0.1), (36, 0.001)]
    model = S.onehot_model(keras_lr.Interpolated(points), steps_per_execution=SPE)
    expected = np.interp(np.arange(36), [0, 12, 36], [0.01, 0.1, 0.001])
    np.testing.assert_allclose(S.rates_per_update(model, []), expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(("bad", "name"), [
    (dict(points=[]), "points"), (dict(points=[(0, 0.1), (0, 0.2)]), "points"),
    (dict(points=[(0, -1.0)]), "points"), (dict(points=[(0.5, 0.1)]), "points"),
    (dict(points=[(0, 0.1)], shape="square"), "shape"),
])
def test_interpolated_validates(bad, name):
    with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
        keras_lr.Interpolated(**bad)


def test_from_function_validates_what_the_function_returns():
    with pytest.raises(ValueError, match="`fn`"):
        keras_lr.from_function(lambda epoch: 0.1 - 0.05 * epoch, 5, steps_per_epoch=2)
    with pytest.raises(TypeError, match="`steps_per_epoch`"):
        keras_lr.from_function(decay, 5)


# --- update monitor ------------------------------------------------------------------------------

X = np.random.default_rng(3).normal(size=(8, 3)).astype("float32")
T = np.random.default_rng(4).normal(size=(8, 2)).astype("float32")
W0 = np.random.default_rng(5).normal(size=(3, 2)).astype("float32")


def probe(optimizer):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    model.compile(optimizer, loss="mse")
    model.set_weights([W0])
    return model


def grad(w):
    return 2.0 / T.size * X.T @ (X @ w - T)


def test_update_ratio_of_plain_sgd_is_lr_times_gradient_norm_over_weight_norm():
    monitor = keras_lr.UpdateMonitor(every_n_updates=1)
    history = probe(keras.optimizers.SGD(0.05)).fit(X, T, batch_size=8, epochs=1, verbose=0,
                                                      callbacks=[monitor])
    w = W0.astype("float64")
    expected = 0.05 * np.linalg.norm(grad(w)) / np.linalg.norm(w)
    assert history.history["update_ratio_median"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["update_ratio_max"][0] == pytest.approx(expected, rel=1e-5)
    assert "effective_step_median" not in history.history


def test_adam_effective_step_matches_numpy_from_its_slots():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    model = probe(keras.optimizers.Adam(lr))
    monitor = keras_lr.UpdateMonitor(every_n_updates=1)
    history = model.fit(X, T, batch_size=8, epochs=3, verbose=0, shuffle=False,
                        callbacks=[monitor])
    w, m, v = W0.astype("float64"), 0.0, 0.0
    steps = []
    for t in range(1, 4):
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        steps.append(np.median(lr * np.abs(m_hat) / (np.sqrt(v_hat) + eps)))
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(history.history["effective_step_median"], steps, rtol=1e-4)


def test_update_monitor_writes_each_layer_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    monitor = keras_lr.UpdateMonitor(every_n_updates=2, log_dir=str(tmp_path))
    probe(keras.optimizers.Adam(0.01)).fit(X, T, batch_size=2, epochs=1, verbose=0,
                                          callbacks=[monitor])
    tags = {}
    for tag, step, _ in S.tensorboard_events(tmp_path / "train"):
        tags.setdefault(tag, []).append(step)
    layer = [t for t in tags if t.startswith("update_ratio/")]
    assert len(layer) == 1 and tags[layer[0]] == [0, 2]
    assert tags["effective_step_median"] == [0, 2]
