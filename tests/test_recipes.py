"""Recipes and the expressions that replace hand-written schedules (no TensorFlow import)."""

import math
import re

import numpy as np
import pytest

import keras_lr
from keras_lr import recipes


def tf_tutorial_noam(step, d_model, warmup_steps):
    # The TensorFlow Transformer tutorial's CustomSchedule.__call__, in float64 NumPy:
    # rsqrt(d_model) * minimum(rsqrt(step), step * warmup_steps ** -1.5), called with the
    # optimizer's iteration count (0 at the first update; rsqrt(0) = inf).
    step = np.asarray(step, dtype="float64")
    with np.errstate(divide="ignore"):
        arg1 = 1.0 / np.sqrt(step)
    return d_model**-0.5 * np.minimum(arg1, step * warmup_steps**-1.5)


def test_noam_is_the_tensorflow_tutorial_schedule():
    steps = np.array([0, 1, 100, 3999, 4000, 4001, 10_000, 2**31 - 1])
    np.testing.assert_allclose(keras_lr.schedule_values(recipes.noam(512, 4000), steps),
                               tf_tutorial_noam(steps, 512, 4000), rtol=2e-6)
    np.testing.assert_allclose(keras_lr.schedule_values(recipes.noam(64, 10, scale=2.0), 3),
                               2 * 64**-0.5 * np.array([0, 1, 2]) * 10**-1.5, rtol=2e-6)
    every = np.arange(20_000)
    np.testing.assert_allclose(keras_lr.schedule_values(recipes.noam(256, 1000), every),
                               tf_tutorial_noam(every, 256, 1000), rtol=2e-6, atol=1e-12)


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
    problems = recipes.optimizer_problems(recipes.optimizer_names())
    assert list(problems) == recipes.missing_optimizers(recipes.optimizer_names())
    for name in recipes.optimizer_names():
        if name in problems:  # Keras < 3.15, or its ScheduleFreeAdamW off the paper here
            with pytest.raises(ValueError, match=re.escape(problems[name])):
                recipes.optimizer(name, 0.01, total_steps=400)
            continue
        built = recipes.optimizer(name, 0.01, total_steps=400)
        assert float(built.learning_rate) == pytest.approx(0.01)
        if name.startswith("schedulefree"):  # its own warmup: 5 % of the updates, or none
            assert built.warmup_steps == (20 if name == "schedulefree-warmup" else 0)
    if "schedulefree-warmup" not in problems:
        with pytest.raises(TypeError, match="`total_steps`"):
            recipes.optimizer("schedulefree-warmup", 0.01)
    with pytest.raises(ValueError, match="`name`"):
        recipes.schedule("warmup-cosine", 0.1, 3, 10)


def test_schedule_free_is_refused_only_where_it_is_off_the_paper():
    """JAX's ScheduleFreeAdamW takes the paper's steps (its `momentum.value` is a copy); where a
    backend's does not, `optimizer` refuses it, naming the backend, instead of training wrong."""
    import keras

    if not hasattr(keras.optimizers, "ScheduleFreeAdamW"):
        pytest.skip("Keras < 3.15 has no ScheduleFreeAdamW")
    problem = recipes.optimizer_problems(["schedulefree"]).get("schedulefree")
    if keras.backend.backend() == "jax":
        assert problem is None
    elif problem is not None:
        assert f"on the {keras.backend.backend()} backend" in problem
