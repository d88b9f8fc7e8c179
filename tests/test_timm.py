"""timm's schedulers as keras-lr expressions, per step against timm's own formulas.

timm is not a test dependency: `oracles.timm_cosine` and `oracles.timm_step` transcribe
`timm/scheduler/cosine_lr.py`, `step_lr.py` and `multistep_lr.py` (`_get_lr`) line by
line; they were checked once against timm 1.0.31's own scheduler classes (driven by
`step_update`) on every case below: largest relative difference 2.7e-16. No TensorFlow
import: CI runs this file on JAX and PyTorch too.
"""

import numpy as np
import pytest

import keras_lr
from tests import oracles as O

STEPS = np.arange(3000)


def check(sched, **timm):
    expected = [O.timm_cosine(int(t), **timm) for t in STEPS]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, STEPS), expected,
                               rtol=2e-6, atol=2e-7 * timm["base"])


def cosine(base, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
           k_decay=1.0):
    # The one expression for timm's cosine part (README's table).
    return keras_lr.CosineWarmRestarts(base, t_initial, t_mul=cycle_mul, alpha=lr_min / base,
                                       cycle_limit=cycle_limit, cycle_decay=cycle_decay,
                                       k_decay=k_decay)


def test_timm_default_warmup_ramps_to_the_base_rate_on_the_global_clock():
    # warmup_prefix=False (timm's default): the ramp aims at the base rate, the cosine keeps
    # counting from step 0, and the rate jumps to its value at warmup_t.
    timm = dict(base=0.1, t_initial=2500, lr_min=1e-5, warmup_t=250, warmup_lr_init=1e-4)
    sched = keras_lr.Warmup(cosine(0.1, 2500, 1e-5), 250, initial_learning_rate=1e-4,
                            shift_schedule=False, warmup_target=0.1)
    check(sched, **timm)
    # The case: at step 249 timm has 9.960e-4 (not the no-jump ramp's 9.790e-4).
    small = keras_lr.Warmup(cosine(1e-3, 2000), 250, initial_learning_rate=0.0,
                            shift_schedule=False, warmup_target=1e-3)
    assert float(keras_lr.schedule_values(small, [249])[0]) == pytest.approx(
        O.timm_cosine(249, 1e-3, 2000, warmup_t=250), rel=1e-6)


def test_timm_warmup_prefix_is_shift_schedule():
    timm = dict(base=0.05, t_initial=1000, lr_min=1e-4, cycle_limit=3, warmup_t=200,
                warmup_lr_init=1e-5, warmup_prefix=True)
    sched = keras_lr.Warmup(cosine(0.05, 1000, 1e-4, cycle_limit=3), 200,
                            initial_learning_rate=1e-5)
    check(sched, **timm)


@pytest.mark.parametrize("cycle_mul", [1.0, 2.0, 1.5])
def test_timm_cycle_decay_decays_the_peak_above_a_floor(cycle_mul):
    timm = dict(base=0.1, t_initial=300, lr_min=0.01, cycle_mul=cycle_mul, cycle_decay=0.5,
                cycle_limit=4)
    check(cosine(**timm), **timm)


@pytest.mark.parametrize("k_decay", [2.0, 0.5])
def test_timm_k_decay(k_decay):
    timm = dict(base=0.2, t_initial=700, lr_min=0.002, cycle_decay=0.8, cycle_limit=5,
                k_decay=k_decay)
    check(cosine(**timm), **timm)


def test_m_mul_is_not_timm_cycle_decay_above_a_floor():
    # Keras's m_mul scales the height above the floor, timm's cycle_decay the peak.
    keras_style = keras_lr.CosineWarmRestarts(0.1, 100, t_mul=1.0, m_mul=0.5, alpha=0.1)
    timm_style = keras_lr.CosineWarmRestarts(0.1, 100, t_mul=1.0, cycle_decay=0.5, alpha=0.1)
    a, b = keras_lr.schedule_values(keras_style, [100]), keras_lr.schedule_values(timm_style, [100])
    assert a[0] == pytest.approx(0.01 + 0.09 * 0.5) and b[0] == pytest.approx(0.05)


def timm_warmup(schedule, lr, warmup_t, warmup_lr_init, warmup_prefix):
    # The one expression for timm's warmup arguments, for any of its schedulers.
    return keras_lr.Warmup(schedule, warmup_t, initial_learning_rate=warmup_lr_init,
                           shift_schedule=warmup_prefix, warmup_target=lr)


@pytest.mark.parametrize("warmup_prefix", [True, False])
def test_timm_step_lr_scheduler(warmup_prefix):
    sched = timm_warmup(keras_lr.StepDecay(0.1, 400, 0.5), 0.1, 100, 1e-3, warmup_prefix)
    expected = [O.timm_step(int(t), 0.1, 400, 0.5, 100, 1e-3, warmup_prefix) for t in STEPS]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, STEPS), expected, rtol=2e-6)


@pytest.mark.parametrize("warmup_prefix", [True, False])
def test_timm_multistep_lr_scheduler(warmup_prefix):
    # timm applies milestone m at t = m - 1 (PyTorch's MultiStepLR at t = m).
    milestones = [300, 1000, 2200]
    sched = timm_warmup(keras_lr.MultiStepDecay(0.1, [m - 1 for m in milestones], 0.3), 0.1, 50,
                        0.0, warmup_prefix)
    expected = [O.timm_step(int(t), 0.1, None, 0.3, 50, 0.0, warmup_prefix, milestones)
                for t in STEPS]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, STEPS), expected, rtol=2e-6)
