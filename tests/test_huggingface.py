"""Hugging Face's schedules as keras-lr expressions, per step against their lambdas.

transformers is not a test dependency: `oracles.hf_wsd` and `oracles.hf_hard_restarts`
transcribe `transformers/optimization.py` (`_get_wsd_scheduler_lambda`,
`_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda`) times the optimizer's
rate, as `LambdaLR` applies them. No TensorFlow import: CI runs this file on JAX and PyTorch.
"""

import math

import keras
import numpy as np
import pytest

import keras_lr
from tests import oracles as O


def wsd(lr, warm, stable, decay, warmup_type="linear", decay_type="cosine", min_lr_ratio=0.0):
    # The one expression for get_wsd_schedule (README's table).
    return keras_lr.WarmupStableDecay(lr, warm, stable, decay, decay_type, alpha=min_lr_ratio,
                                      warmup_shape=warmup_type,
                                      initial_learning_rate=min_lr_ratio * lr)


@pytest.mark.parametrize(("warmup_type", "decay_type", "ratio"), [
    ("linear", "cosine", 0.0), ("linear", "1-sqrt", 0.1), ("cosine", "linear", 0.05),
    ("cosine", "cosine", 0.3),
])
def test_hugging_face_wsd(warmup_type, decay_type, ratio):
    steps = np.arange(2500)
    sched = wsd(3e-4, 300, 1200, 800, warmup_type, decay_type, ratio)
    expected = [O.hf_wsd(int(t), 3e-4, 300, 1200, 800, warmup_type, decay_type, ratio)
                for t in steps]
    # float32: within a few ulps of the value or of the peak (cos near pi/2 is absolute)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps), expected, rtol=2e-6,
                               atol=5e-8 * 3e-4)


def test_hugging_face_wsd_starts_at_min_lr_ratio():
    # The case: HF starts at min_lr_ratio * lr, [1, 5.5], not at 0.
    sched = wsd(10.0, 2, 2, 3, min_lr_ratio=0.1)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 9),
                               [O.hf_wsd(t, 10.0, 2, 2, 3, min_lr_ratio=0.1) for t in range(9)],
                               rtol=1e-6)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 2), [1.0, 5.5], rtol=1e-6)


def hard_restarts(lr, warm, total, num_cycles):
    # The one expression for get_cosine_with_hard_restarts_schedule_with_warmup.
    cycles = keras_lr.CosineWarmRestarts(lr, (total - warm) / num_cycles, t_mul=1.0,
                                         cycle_limit=num_cycles)
    return keras_lr.Warmup(cycles, warm, start_factor=0.0)


@pytest.mark.parametrize(("warm", "total", "num_cycles"), [
    (100, 2100, 2.5), (50, 2050, 3), (200, 2201, 2.5), (0, 2000, 1.75), (10, 2010, 7),
])
def test_hugging_face_hard_restarts_with_fractional_cycles(warm, total, num_cycles):
    steps = np.arange(total + 100)
    if warm:
        sched = hard_restarts(0.1, warm, total, num_cycles)
    else:
        sched = keras_lr.CosineWarmRestarts(0.1, total / num_cycles, 1.0, cycle_limit=num_cycles)
    expected = [O.hf_hard_restarts(int(t), 0.1, warm, total, num_cycles) for t in steps]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps), expected, rtol=2e-6,
                               atol=2e-8)


def test_hugging_face_lambda_through_from_function():
    # A Hugging Face lambda is a factor of the optimizer's rate, 0 at step 0.
    def hf_linear(step, warm=100, total=2000):  # get_linear_schedule_with_warmup's lambda
        if step < warm:
            return float(step) / float(max(1, warm))
        return max(0.0, float(total - step) / float(max(1, total - warm)))

    sched = keras_lr.from_function(hf_linear, 2000, "step", learning_rate=5e-4)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 2000),
                               [5e-4 * hf_linear(t) for t in range(2000)], rtol=1e-6, atol=1e-12)


def hf_linear_lambda(step, warm, total):  # _get_linear_schedule_with_warmup_lr_lambda
    if step < warm:
        return float(step) / float(max(1, warm))
    return max(0.0, float(total - step) / float(max(1, total - warm)))


def hf_cosine_lambda(step, warm, total, num_cycles=0.5):  # _get_cosine_schedule_with_warmup_...
    if step < warm:
        return float(step) / float(max(1, warm))
    progress = float(step - warm) / float(max(1, total - warm))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def test_hugging_face_linear_schedule_with_warmup():
    lr, warm, total = 5e-5, 150, 2000
    sched = keras_lr.Warmup(keras_lr.Interpolated([(0, lr), (total - warm, 0.0)]), warm,
                            start_factor=0.0)
    steps = np.arange(total + 50)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps),
                               [lr * hf_linear_lambda(int(t), warm, total) for t in steps],
                               rtol=2e-6, atol=1e-13)


def test_hugging_face_cosine_schedule_with_warmup():
    # Up to num_training_steps (Hugging Face's curve rises again after it; Keras's holds 0).
    lr, warm, total = 5e-5, 150, 2000
    sched = keras_lr.Warmup(keras.optimizers.schedules.CosineDecay(lr, total - warm), warm,
                            start_factor=0.0)
    steps = np.arange(total + 1)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps),
                               [lr * hf_cosine_lambda(int(t), warm, total) for t in steps],
                               rtol=2e-6, atol=5e-8 * lr)
