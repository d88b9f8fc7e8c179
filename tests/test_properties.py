"""Properties over random arguments (hypothesis): bounds, periods, monotone pieces."""

import math
import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import keras_lr

# CI replays the same examples every run; set HYPOTHESIS_PROFILE=thorough to search more.
settings.register_profile("keras_lr", max_examples=40, deadline=None,
                          derandomize=bool(os.environ.get("CI")))
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "keras_lr"))

lrs = st.floats(1e-5, 1.0)
sizes = st.integers(1, 500)
starts = st.integers(0, 2**31 - 2000)


def window(start, n=1000):
    return np.arange(start, start + n, dtype="int64")


def values(sched, steps):
    return keras_lr.schedule_values(sched, steps)


def bounded(v, low, high):
    tol = 1e-6 * high
    return np.all(np.isfinite(v)) and v.min() >= low - tol and v.max() <= high + tol


@given(base=lrs, ratio=st.floats(1.0, 100.0), up=sizes, down=sizes, start=starts,
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.9, 1.0))
def test_cyclical_bounded_and_periodic(base, ratio, up, down, start, mode, gamma):
    sched = keras_lr.Cyclical(base, base * ratio, up, down, policy=mode, gamma=gamma)
    steps = window(start)
    v = values(sched, steps)
    assert bounded(v, base, base * ratio)
    if mode == "triangular":  # exact: the phase is an integer
        np.testing.assert_array_equal(v, values(sched, steps + up + down))
    else:  # the height never grows from one cycle to the next
        later = values(sched, steps + up + down)
        assert np.all(later - base <= (v - base) * (1 + 1e-5) + 1e-12)


@given(peak=lrs, total=st.integers(2, 5000), pct=st.floats(0.05, 0.95),
       div=st.floats(1.0, 100.0), final=st.floats(1.0, 1e5),
       shape=st.sampled_from(["cosine", "linear"]))
def test_one_cycle_rises_then_falls(peak, total, pct, div, final, shape):
    sched = keras_lr.OneCycle(peak, total, pct, div, final, shape)
    v = values(sched, total + 10)
    assert bounded(v, peak / div / final, peak)
    top = int(np.argmax(v))
    tol = 1e-6 * peak
    assert np.all(np.diff(v[: top + 1]) >= -tol)
    assert np.all(np.diff(v[top:]) <= tol)
    assert v[-1] == v[total - 1]  # holds the final rate


@given(lr=lrs, period=sizes, m_mul=st.floats(0.1, 1.0), alpha=st.floats(0.0, 1.0), start=starts)
def test_restarts_bounded_periodic_and_falling_within_a_cycle(lr, period, m_mul, alpha, start):
    sched = keras_lr.CosineWarmRestarts(lr, period, t_mul=1.0, m_mul=1.0, alpha=alpha)
    steps = window(start)
    v = values(sched, steps)
    assert bounded(v, alpha * lr, lr)
    np.testing.assert_array_equal(v, values(sched, steps + period))
    in_cycle = (steps[1:] % period) != 0
    assert np.all(np.diff(v)[in_cycle] <= 1e-6 * lr)


@given(lr=lrs, period=st.integers(1, 50), t_mul=st.floats(1.0, 3.0), m_mul=st.floats(0.1, 1.0),
       alpha=st.floats(0.0, 0.9), start=starts)
def test_restarts_with_growing_periods_stay_bounded(lr, period, t_mul, m_mul, alpha, start):
    sched = keras_lr.CosineWarmRestarts(lr, period, t_mul, m_mul, alpha)
    assert bounded(values(sched, window(start)), alpha * lr, lr)
    assert bounded(values(sched, 2000), alpha * lr, lr)


@given(lr=lrs, every=sizes, rate=st.floats(0.01, 1.0), start=starts)
def test_step_decays_never_rise(lr, every, rate, start):
    for sched in (keras_lr.StepDecay(lr, every, rate),
                  keras_lr.MultiStepDecay(lr, [every, 2 * every + 1], rate),
                  keras_lr.InverseSqrtDecay(lr, every, rate)):
        for steps in (window(0), window(start)):
            v = values(sched, steps)
            assert bounded(v, 0.0, lr)
            assert np.all(np.diff(v) <= 1e-7 * lr)


@given(peak=lrs, warm=st.integers(1, 300), factor=st.one_of(st.none(), st.floats(0.0, 1.0)),
       shape=st.sampled_from(["linear", "cosine"]), shift=st.booleans())
def test_warmup_rises_without_zero_or_jump(peak, warm, factor, shape, shift):
    inner = keras_lr.CosineWarmRestarts(peak, 2 * warm + 1, t_mul=1.0)
    sched = keras_lr.Warmup(inner, warm, start_factor=factor, shape=shape, shift_schedule=shift)
    v = values(sched, warm + 1)
    target = float(inner(0 if shift else warm))
    assert bounded(v, 0.0, target)
    assert np.all(np.diff(v) >= -1e-6 * peak)
    if factor is None:
        assert v[0] > 0
    assert abs(v[warm] - target) <= 1e-6 * target  # the handover
    if shape == "linear":  # the last warmup step climbs as much as any other
        assert v[warm] - v[warm - 1] <= (target - v[0]) / warm + 1e-6 * target


@given(peak=lrs, warm=st.integers(0, 100), stable=st.integers(0, 100), decay=st.integers(1, 300),
       shape=st.sampled_from(["linear", "cosine", "1-sqrt"]), alpha=st.floats(0.0, 1.0))
def test_wsd_bounded_and_falling_after_the_stable_stretch(peak, warm, stable, decay, shape, alpha):
    sched = keras_lr.WarmupStableDecay(peak, warm, stable, decay, shape, alpha)
    v = values(sched, warm + stable + decay + 20)
    assert bounded(v, 0.0, peak)
    np.testing.assert_allclose(v[warm: warm + stable + 1], peak, rtol=1e-6)
    assert np.all(np.diff(v[warm + stable:]) <= 1e-6 * peak)
    assert v[-1] == np.float32(alpha * peak) or abs(v[-1] - alpha * peak) <= 1e-6 * peak


@given(peak=lrs, total=st.integers(10, 100_000), pct=st.floats(0.05, 0.45),
       three=st.booleans(), shape=st.sampled_from(["linear", "cosine"]))
def test_one_cycle_exact_at_the_ends_of_every_phase(peak, total, pct, three, shape):
    from tests import oracles

    sched = keras_lr.OneCycle(peak, total, pct, anneal_strategy=shape, three_phase=three)
    ends = [pct * total - 1, 2 * pct * total - 2, total - 1] if three else [pct * total - 1,
                                                                           total - 1]
    steps = sorted({s for e in ends for s in (math.floor(e), math.ceil(e), math.ceil(e) + 1)
                    if 0 <= s < total})
    expected = [oracles.one_cycle(s, peak, total, pct, 25.0, 1e4, shape, three) for s in steps]
    # Relative to the value; a phase end that is not a whole step is itself rounded to
    # float32, which moves the curve next to it by a few ulps of the peak.
    np.testing.assert_allclose(values(sched, steps), expected, rtol=2e-6, atol=2e-7 * peak)


@given(lr=lrs, period=st.floats(1.0, 500.0), limit=st.floats(0.2, 6.0),
       decay=st.floats(0.1, 1.0), k=st.floats(0.25, 4.0), alpha=st.floats(0.0, 0.5))
def test_restarts_with_timm_and_fractional_arguments_stay_bounded(lr, period, limit, decay, k,
                                                                  alpha):
    sched = keras_lr.CosineWarmRestarts(lr, period, 1.0, alpha=alpha, cycle_limit=limit,
                                        cycle_decay=decay, k_decay=k)
    v = values(sched, int(period * limit) + 50)
    assert bounded(v, min(alpha, decay ** math.ceil(limit)) * lr, lr)
    np.testing.assert_allclose(v[-10:], alpha * lr, rtol=1e-6, atol=1e-12)  # after the limit
