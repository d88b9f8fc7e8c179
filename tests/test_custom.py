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


@pytest.mark.parametrize(("bad", "message"), [
    (dict(points=[]), "Argument `points` must be a non-empty list"),
    (dict(points=[(0, 0.1), (0, 0.2)]),
     "Argument `points[1]` must be at a step after points[0]'s (0). Received: points[1]=(0, 0.2)"),
    (dict(points=[(0, 0.1), (3, 0.2), (5, -1.0)]),
     "Argument `points[2]` must be 0 or a positive float32, in [1.1754944e-38, 3.4028235e+38]. "
     "Received: points[2]=(5, -1.0)"),
    (dict(points=[(0, 0.1), (0.5, 0.1)]),
     "Argument `points[1]` must be at a whole step (or give steps_per_epoch). "
     "Received: points[1]=(0.5, 0.1)"),
    (dict(points=[(0, 0.1), (1, "a")]), "Argument `points[1]` must be a number. "
     "Received: points[1]=(1, 'a')"),
    (dict(points=[(0, 0.1)], shape="square"), "Argument `shape`"),
])
def test_interpolated_validates_naming_the_point(bad, message):
    with pytest.raises((ValueError, TypeError)) as error:
        keras_lr.Interpolated(**bad)
    assert str(error.value).startswith(message)


def test_a_rate_of_0_is_accepted_by_custom_schedules():
    # Hugging Face's lambdas give 0 at step 0; "warm up from 0" as Warmup and WSD allow.
    sched = keras_lr.Interpolated([(0, 0.0), (4, 0.1), (8, 0.0)])
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 10),
                               np.interp(np.arange(10), [0, 4, 8], [0.0, 0.1, 0.0]), atol=1e-9)
    table = keras_lr.Tabulated([0.0, 0.1])
    np.testing.assert_allclose(keras_lr.schedule_values(table, 3), [0.0, 0.1, 0.1], rtol=1e-7)
    with pytest.raises(ValueError, match=r"Argument `values\[1\]` must be 0 or"):
        keras_lr.Tabulated([0.1, -0.1])


def test_interpolated_exact_at_large_steps():
    # Regression for repros3/09: the position between points came from float32 steps.
    cases = [([(0, 0.1), (2**31 - 10, 0.2), (2**31 - 1, 0.3)], [2**31 - 10, 2**31 - 5, 2**31 - 1]),
             ([(0, 0.1), (20_000_000, 0.1), (20_000_001, 0.001)], [20_000_000, 20_000_001])]
    for points, steps in cases:
        xs, ys = zip(*points, strict=True)
        got = keras_lr.schedule_values(keras_lr.Interpolated(points), steps)
        np.testing.assert_allclose(got, np.interp(steps, xs, ys), rtol=1e-6)


def test_from_function_validates_what_the_function_returns():
    with pytest.raises(ValueError, match="`fn`"):
        keras_lr.from_function(lambda epoch: 0.1 - 0.05 * epoch, 5, steps_per_epoch=2)
    with pytest.raises(TypeError, match="`steps_per_epoch`"):
        keras_lr.from_function(decay, 5)


def keras_doc_scheduler(epoch, lr):  # keras.callbacks.LearningRateScheduler's documented example
    return lr if epoch < 10 else lr * keras.ops.exp(-0.1)


def test_from_function_takes_a_keras_learning_rate_scheduler_function():
    # Regression for repros3/15: fn(epoch, lr) refused in keras-lr's words without a start rate,
    with pytest.raises(TypeError, match="Argument `fn` must be a function of the epoch only"):
        keras_lr.from_function(keras_doc_scheduler, 20, steps_per_epoch=100)
    # and with one, the rates Keras's callback sets epoch by epoch (tensors returned are fine).
    sched = keras_lr.from_function(keras_doc_scheduler, 20, steps_per_epoch=3, learning_rate=0.01)
    expected = [0.01 * np.exp(-0.1 * max(0, e - 9)) for e in range(20)]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 60)[::3], expected, rtol=1e-5)


def test_from_function_factor_of_learning_rate_equals_lambda_lr():
    # PyTorch's LambdaLR: lr = base_lr * lambda(epoch); 0 at epoch 0 is allowed.
    fn = lambda e: min(e / 3, 1.0) * 0.9**e  # noqa: E731
    sched = keras_lr.from_function(fn, 10, "step", learning_rate=0.2)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 12),
                               [0.2 * fn(min(t, 9)) for t in range(12)], rtol=1e-6, atol=1e-9)


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
    monitor = keras_lr.UpdateMonitor(update_freq=1)
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
    monitor = keras_lr.UpdateMonitor(update_freq=1)
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
    monitor = keras_lr.UpdateMonitor(update_freq=2, log_dir=str(tmp_path))
    probe(keras.optimizers.Adam(0.01)).fit(X, T, batch_size=2, epochs=1, verbose=0,
                                          callbacks=[monitor])
    tags = {}
    for tag, step, _ in S.tensorboard_events(tmp_path / "train"):
        tags.setdefault(tag, []).append(step)
    layer = [t for t in tags if t.startswith("update_ratio/")]
    assert len(layer) == 1 and tags[layer[0]] == [0, 2]
    assert tags["effective_step_median"] == [0, 2]
