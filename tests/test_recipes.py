"""Recipes and the expressions that replace hand-written schedules (no TensorFlow import)."""

import math

import numpy as np
import pytest

import keras_lr
from keras_lr import recipes


def test_noam_is_the_transformer_formula():
    steps = np.array([0, 1, 100, 3998, 3999, 4000, 10_000, 2**31 - 1])
    expected = 512**-0.5 * np.minimum((steps + 1.0) ** -0.5, (steps + 1.0) * 4000**-1.5)
    np.testing.assert_allclose(keras_lr.schedule_values(recipes.noam(512, 4000), steps),
                               expected, rtol=2e-6)
    np.testing.assert_allclose(keras_lr.schedule_values(recipes.noam(64, 10, scale=2.0), 3),
                               2 * 64**-0.5 * np.array([1, 2, 3]) * 10**-1.5, rtol=2e-6)


def test_warmup_from_a_known_start_rate_with_a_hold():
    cosine = keras_lr.CosineWarmRestarts(0.1, 20, t_mul=1.0)  # any schedule
    sched = keras_lr.Warmup(cosine, warmup_steps=5, initial_learning_rate=0.01, hold_steps=3)
    values = keras_lr.schedule_values(sched, 40)
    np.testing.assert_allclose(values[:5], 0.01 + (0.1 - 0.01) * np.arange(5) / 5, rtol=1e-6)
    np.testing.assert_allclose(values[5:8], 0.1, rtol=1e-6)  # the hold at the target
    later = [0.1 * 0.5 * (1 + math.cos(math.pi * ((t - 8) % 20) / 20)) for t in range(8, 40)]
    np.testing.assert_allclose(values[8:], later, rtol=1e-5, atol=1e-8)


def test_warmup_hold_on_the_global_clock():
    sched = keras_lr.Warmup(keras_lr.StepDecay(1.0, 4, 0.5), warmup_steps=2, hold_steps=3,
                            shift_schedule=False, initial_learning_rate=0.0)
    # target = schedule(2) = 1.0, held for steps 2..4; then schedule(step).
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 9),
                               [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25])


def test_warmup_takes_a_start_factor_or_a_start_rate_not_both():
    with pytest.raises(ValueError, match="`initial_learning_rate`"):
        keras_lr.Warmup(0.1, 5, start_factor=0.1, initial_learning_rate=0.01)


def test_warmup_stable_decay_from_zero_as_hugging_face():
    sched = keras_lr.WarmupStableDecay(1.0, warmup_steps=4, stable_steps=2, decay_steps=4,
                                       decay_shape="linear", initial_learning_rate=0.0)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 12),
                               [0, 0.25, 0.5, 0.75, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0], atol=1e-7)


def test_named_schedules_and_optimizers():
    assert recipes.schedule_names()[0] == "constant" and "one-cycle" in recipes.schedule_names()
    lr, callbacks = recipes.schedule("one-cycle", 0.1, epochs=3, steps_per_epoch=10)
    assert lr == 0.1 and isinstance(callbacks[0], keras_lr.OneCycleScheduler)
    np.testing.assert_allclose(
        keras_lr.schedule_values(callbacks[0].schedule_for(3, 10), 30),
        keras_lr.schedule_values(keras_lr.OneCycle(0.1, 30), 30))
    for name in recipes.optimizer_names():
        assert float(recipes.optimizer(name, 0.01).learning_rate) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="`name`"):
        recipes.schedule("warmup-cosine", 0.1, 3, 10)
