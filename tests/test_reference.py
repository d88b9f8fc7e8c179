"""Reference vectors worked out by hand, and other libraries as oracles."""

import math

import keras
import numpy as np
import pytest

import keras_lr
from tests import oracles as O

KS = keras.optimizers.schedules


def values(sched, n):
    return keras_lr.schedule_values(sched, n)


# Worked out by hand from each definition.
HAND = [
    # base 0.1 -> peak 1.0 in 2 steps, back in 4: height 0.9 * (pos / 2 or (6 - pos) / 4).
    (keras_lr.Cyclical(0.1, 1.0, step_size=2, step_size_down=4),
     [0.1, 0.55, 1.0, 0.775, 0.55, 0.325, 0.1, 0.55]),
    # exp_range: height * 0.5 ** step.
    (keras_lr.Cyclical(0.0001, 1.0001, step_size=1, policy="exp_range", gamma=0.5),
     [0.0001, 0.5001, 0.0001, 0.1251, 0.0001]),
    # 1-cycle, total 10, pct 0.3: warm-up ends at step 2, then cosine to step 9.
    (keras_lr.OneCycle(1.0, 10, div_factor=4.0, final_div_factor=25.0),
     [0.25] + [0.25 + 0.75 * (1 - math.cos(math.pi * t / 2)) / 2 for t in (1, 2)]
     + [0.01 + 0.99 * (1 + math.cos(math.pi * (t - 2) / 7)) / 2 for t in range(3, 10)]
     + [0.01, 0.01]),
    # three phases, total 8, pct 0.25, linear: 1 -> 2 (steps 0-1), -> 1 (2), -> 0.1 (9)
    (keras_lr.OneCycle(2.0, 8, pct_start=0.25, div_factor=2.0, final_div_factor=10.0,
                       anneal_strategy="linear", three_phase=True),
     [1.0, 2.0, 1.0, 1.0 - 0.9 / 5, 1.0 - 1.8 / 5, 1.0 - 2.7 / 5, 1.0 - 3.6 / 5, 0.1, 0.1]),
    # SGDR, periods 2, 4, 8: cosine over each, restarting at 0.5 ** cycle above floor 0.2.
    (keras_lr.CosineWarmRestarts(1.0, 2, t_mul=2.0, m_mul=0.5, alpha=0.2),
     [1.0, 0.6, 0.6, 0.2 + 0.4 * (1 + math.cos(math.pi / 4)) / 2, 0.4,
      0.2 + 0.4 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.4]),
    (keras_lr.InverseSqrtDecay(2.0, decay_steps=3), [2.0 / math.sqrt(1 + t / 3) for t in range(5)]),
    (keras_lr.MultiStepDecay(1.0, [1, 4], decay_rate=0.5), [1.0, 0.5, 0.5, 0.5, 0.25, 0.25]),
    # Warmup 4 steps into a constant 1.0: 1/5, 2/5, ... then 1.0.
    (keras_lr.Warmup(1.0, 4), [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]),
    # Cosine warmup from 0: (1 - cos(pi t / 2)) / 2 into a StepDecay, unshifted.
    (keras_lr.Warmup(keras_lr.StepDecay(1.0, 3, 0.5), 2, start_factor=0.0, shape="cosine",
                     shift_schedule=False),
     [0.0, 0.5, 1.0, 0.5, 0.5, 0.5, 0.25]),
    (keras_lr.WarmupStableDecay(1.0, 1, 1, 4, decay_shape="1-sqrt", alpha=0.5),
     [0.5, 1.0, 1.0, 1 - 0.5 * math.sqrt(0.25), 1 - 0.5 * math.sqrt(0.5),
      1 - 0.5 * math.sqrt(0.75), 0.5, 0.5]),
    (keras_lr.SequentialSchedule([1.0, keras_lr.StepDecay(0.5, 1, 0.5), 0.01], [2, 4]),
     [1.0, 1.0, 0.5, 0.25, 0.01]),
    (keras_lr.PerEpoch(keras_lr.Cyclical(1.0, 3.0, 1), steps_per_epoch=2),
     [1.0, 1.0, 3.0, 3.0, 1.0, 1.0]),
]


@pytest.mark.parametrize(("sched", "expected"), HAND, ids=lambda x: x.__class__.__name__)
def test_hand_computed(sched, expected):
    np.testing.assert_allclose(values(sched, len(expected)), expected, rtol=1e-6, atol=1e-7)


def test_warmup_has_no_zero_and_no_jump():
    inner = KS.CosineDecay(0.5, 100)
    sched = keras_lr.Warmup(inner, warmup_steps=10)
    lr = values(sched, 12)
    assert lr[0] == pytest.approx(0.5 / 11)
    np.testing.assert_allclose(np.diff(lr[:11]), 0.5 / 11, rtol=1e-5)  # equal steps into 0.5
    assert lr[10] == pytest.approx(0.5)


def test_step_decay_equals_keras_staircase_exponential():
    ours = keras_lr.StepDecay(0.3, decay_steps=4, decay_rate=0.7)
    theirs = KS.ExponentialDecay(0.3, decay_steps=4, decay_rate=0.7, staircase=True)
    np.testing.assert_allclose(values(ours, 60), values(theirs, 60), rtol=1e-6)


@pytest.mark.parametrize(("t_mul", "m_mul", "alpha"),
                         [(1.0, 1.0, 0.0), (2.0, 0.6, 0.1), (1.5, 0.9, 0.3)])
def test_restarts_equal_keras_cosine_decay_restarts(t_mul, m_mul, alpha):
    from tests import oracles

    ours = keras_lr.CosineWarmRestarts(0.2, 6, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    theirs = KS.CosineDecayRestarts(0.2, 6, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    exact = [oracles.warm_restarts(t, 0.2, 6, t_mul, m_mul, alpha) for t in range(200)]
    np.testing.assert_allclose(values(ours, 200), exact, rtol=2e-6, atol=1e-7)
    # Keras places a cycle's first step from a float32 logarithm: on some backends (PyTorch)
    # a step such as 15 (6 + 9 with t_mul=1.5) lands at the end of the cycle before.
    starts, start, length = set(), 0.0, 6.0
    while start < 200:
        starts.add(math.ceil(start))
        start, length = start + length, length * t_mul
    away = [t for t in range(200) if t not in starts]
    np.testing.assert_allclose(values(ours, 200)[away], values(theirs, 200)[away], rtol=1e-4,
                               atol=1e-6)


def test_warmup_around_keras_cosine_equals_keras_builtin_warmup():
    # Keras's CosineDecay(warmup_steps=W, warmup_target=peak) ramps linearly from
    # initial_learning_rate, then decays from warmup_target with alpha a fraction of it;
    # ours with start_factor = initial / peak is the same curve.
    theirs = KS.CosineDecay(0.01, 50, alpha=0.1, warmup_steps=10, warmup_target=0.2)
    ours = keras_lr.Warmup(KS.CosineDecay(0.2, 50, alpha=0.1), 10, start_factor=0.01 / 0.2)
    # One step at a time: Keras's warmup `cond` takes no vector of steps on PyTorch.
    expected = [float(keras.ops.convert_to_numpy(theirs(t))) for t in range(80)]
    np.testing.assert_allclose(values(ours, 80), expected, rtol=1e-5)


# PyTorch as an extra oracle where it is installed.
def torch_rates(make, n):
    return O.torch_rates(make, n, momentum=0.9)  # OneCycleLR cycles the momentum


TORCH = [
    (lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=3, step_size_down=5, mode="triangular2",
                             cycle_momentum=False),
     keras_lr.Cyclical(0.1, 1.0, 3, 5, policy="triangular2"), 60),
    (lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=4, mode="exp_range", gamma=0.98,
                             cycle_momentum=False),
     keras_lr.Cyclical(0.1, 1.0, 4, policy="exp_range", gamma=0.98), 60),
    (lambda L, o: L.OneCycleLR(o, 0.5, total_steps=77, pct_start=0.2, three_phase=True),
     keras_lr.OneCycle(0.5, 77, pct_start=0.2, three_phase=True), 77),
    (lambda L, o: L.OneCycleLR(o, 0.5, total_steps=50, anneal_strategy="linear"),
     keras_lr.OneCycle(0.5, 50, anneal_strategy="linear"), 50),
    (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.05),
     keras_lr.CosineWarmRestarts(1.0, 5, t_mul=2.0, alpha=0.05), 80),
    (lambda L, o: L.StepLR(o, 7, 0.3), keras_lr.StepDecay(1.0, 7, 0.3), 40),
    (lambda L, o: L.MultiStepLR(o, [3, 10, 11], 0.5),
     keras_lr.MultiStepDecay(1.0, [3, 10, 11], 0.5),
     20),
]


@pytest.mark.parametrize(("make", "sched", "n"), TORCH, ids=lambda x: x.__class__.__name__)
def test_pytorch_oracle(make, sched, n):
    expected = torch_rates(make, n)
    np.testing.assert_allclose(values(sched, n), expected, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize(("period", "t_mul"), [(7, 2.0), (10, 3.0), (4, 1.5), (1, 2.0), (3, 1.1)])
def test_restarts_switch_cycles_at_the_right_step(period, t_mul):
    """Around every cycle start up to step 2**31, where a float log may round."""
    from tests import oracles

    starts, start, length = [], 0.0, float(period)
    while start < 2**31:
        starts.append(start)
        start, length = start + length, length * t_mul
    steps = sorted({s for b in starts for s in (math.floor(b) - 1, math.floor(b), math.ceil(b),
                                                  math.ceil(b) + 1) if 0 <= s < 2**31})
    sched = keras_lr.CosineWarmRestarts(1.0, period, t_mul=t_mul, m_mul=0.9, alpha=0.1)
    expected = [oracles.warm_restarts(s, 1.0, period, t_mul, 0.9, 0.1) for s in steps]
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps), expected, rtol=1e-5,
                               atol=1e-6)
