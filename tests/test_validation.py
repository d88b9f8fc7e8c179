"""Bad arguments raise at construction, naming the argument and the value."""

import re

import keras
import pytest

import keras_lr

KS = keras.optimizers.schedules
C = keras_lr.Constant(0.1)

BAD = [
    # (constructor, exception, argument, received value as printed)
    (lambda: keras_lr.Constant(0.0), ValueError, "learning_rate", "0.0"),
    (lambda: keras_lr.Constant(-1), ValueError, "learning_rate", "-1.0"),
    (lambda: keras_lr.Constant(True), TypeError, "learning_rate", "True"),
    (lambda: keras_lr.Constant("0.1"), TypeError, "learning_rate", "'0.1'"),
    (lambda: keras_lr.Constant(float("nan")), ValueError, "learning_rate", "nan"),
    (lambda: keras_lr.StepDecay(0.1, 0), ValueError, "decay_steps", "0"),
    (lambda: keras_lr.StepDecay(0.1, 2.5), ValueError, "decay_steps", "2.5"),
    (lambda: keras_lr.StepDecay(0.1, True), TypeError, "decay_steps", "True"),
    (lambda: keras_lr.StepDecay(0.1, 3, decay_rate=0), ValueError, "decay_rate", "0.0"),
    (lambda: keras_lr.StepDecay(-0.1, 3), ValueError, "initial_learning_rate", "-0.1"),
    (lambda: keras_lr.MultiStepDecay(0.1, [5, 3]), ValueError, "boundaries", "[5, 3]"),
    (lambda: keras_lr.MultiStepDecay(0.1, [2, 2]), ValueError, "boundaries", "[2, 2]"),
    (lambda: keras_lr.MultiStepDecay(0.1, []), ValueError, "boundaries", "[]"),
    (lambda: keras_lr.MultiStepDecay(0.1, [0, 3]), ValueError, "boundaries", "0"),
    (lambda: keras_lr.MultiStepDecay(0.1, 5), TypeError, "boundaries", "5"),
    (lambda: keras_lr.InverseSqrtDecay(0.1, -4), ValueError, "decay_steps", "-4"),
    (lambda: keras_lr.Cyclical(0.1, 0.05, 2), ValueError, "max_learning_rate", "0.05"),
    (lambda: keras_lr.Cyclical(0.0, 1.0, 2), ValueError, "initial_learning_rate", "0.0"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, 0), ValueError, "step_size", "0"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, 2, step_size_down=0), ValueError, "step_size_down", "0"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, 2, policy="triangle"), ValueError, "policy", "'triangle'"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, 2, gamma=1.5), ValueError, "gamma", "1.5"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, 2, gamma=0.0), ValueError, "gamma", "0.0"),
    (lambda: keras_lr.OneCycle(1.0, total_steps=0), ValueError, "total_steps", "0"),
    (lambda: keras_lr.OneCycle(0.0, 10), ValueError, "max_learning_rate", "0.0"),
    (lambda: keras_lr.OneCycle(1.0, 10, pct_start=0.0), ValueError, "pct_start", "0.0"),
    (lambda: keras_lr.OneCycle(1.0, 10, pct_start=1.0), ValueError, "pct_start", "1.0"),
    (lambda: keras_lr.OneCycle(1.0, 10, pct_start=0.6, three_phase=True), ValueError,
     "pct_start", "0.6"),
    (lambda: keras_lr.OneCycle(1.0, 10, div_factor=0.5), ValueError, "div_factor", "0.5"),
    (lambda: keras_lr.OneCycle(1.0, 10, final_div_factor=0.0), ValueError, "final_div_factor",
     "0.0"),
    (lambda: keras_lr.OneCycle(1.0, 10, anneal_strategy="cosh"), ValueError, "anneal_strategy",
     "'cosh'"),
    (lambda: keras_lr.OneCycle(1.0, 10, three_phase=1), TypeError, "three_phase", "1"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 0), ValueError, "first_decay_steps", "0"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, t_mul=0.5), ValueError, "t_mul", "0.5"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, m_mul=0.0), ValueError, "m_mul", "0.0"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, alpha=1.5), ValueError, "alpha", "1.5"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, cycle_limit=0), ValueError, "cycle_limit", "0"),
    (lambda: keras_lr.Warmup(C, 0), ValueError, "warmup_steps", "0"),
    (lambda: keras_lr.Warmup(C, 5, start_factor=2.0), ValueError, "start_factor", "2.0"),
    (lambda: keras_lr.Warmup(C, 5, shape="exp"), ValueError, "shape", "'exp'"),
    (lambda: keras_lr.Warmup(lambda step: 0.1, 5), TypeError, "schedule", "<function"),
    (lambda: keras_lr.Warmup(C, 5, shift_schedule="yes"), TypeError, "shift_schedule", "'yes'"),
    (lambda: keras_lr.WarmupStableDecay(0.1, -1, 5, 5), ValueError, "warmup_steps", "-1"),
    (lambda: keras_lr.WarmupStableDecay(0.1, 1, 5, 0), ValueError, "decay_steps", "0"),
    (lambda: keras_lr.WarmupStableDecay(0.1, 1, 5, 5, decay_shape="sqrt"), ValueError,
     "decay_shape", "'sqrt'"),
    (lambda: keras_lr.WarmupStableDecay(0.1, 1, 5, 5, alpha=-0.1), ValueError, "alpha", "-0.1"),
    (lambda: keras_lr.SequentialSchedule([C, C], [5, 6]), ValueError, "boundaries", "[5, 6]"),
    (lambda: keras_lr.SequentialSchedule([C, C, C], [6, 5]), ValueError, "boundaries", "[6, 5]"),
    (lambda: keras_lr.SequentialSchedule(C, [5]), TypeError, "schedules", "<"),
    (lambda: keras_lr.SequentialSchedule([C, "cosine"], [5]), TypeError, "schedules", "'cosine'"),
    (lambda: keras_lr.Scaled(C, factor=0), ValueError, "factor", "0.0"),
    (lambda: keras_lr.Scaled(None), TypeError, "schedule", "None"),
    (lambda: keras_lr.PerEpoch(C, 0), ValueError, "steps_per_epoch", "0"),
    (lambda: keras_lr.Shifted(C, 2.5), ValueError, "offset", "2.5"),
    (lambda: keras_lr.Shifted(C, "3"), TypeError, "offset", "'3'"),
    (lambda: keras_lr.PerUpdate(C, 1.5), ValueError, "accumulation_steps", "1.5"),
    # callbacks
    (lambda: keras_lr.ReduceLROnPlateau(factor=1.0), ValueError, "factor", "1.0"),
    (lambda: keras_lr.ReduceLROnPlateau(factor=0), ValueError, "factor", "0.0"),
    (lambda: keras_lr.ReduceLROnPlateau(patience=-1), ValueError, "patience", "-1"),
    (lambda: keras_lr.ReduceLROnPlateau(mode="up"), ValueError, "mode", "'up'"),
    (lambda: keras_lr.ReduceLROnPlateau(threshold_mode="relative"), ValueError, "threshold_mode",
     "'relative'"),
    (lambda: keras_lr.ReduceLROnPlateau(min_lr=-1e-3), ValueError, "min_lr", "-0.001"),
    (lambda: keras_lr.ReduceLROnPlateau(cooldown=1.5), ValueError, "cooldown", "1.5"),
    (lambda: keras_lr.ReduceLROnPlateau(monitor=3), TypeError, "monitor", "3"),
    (lambda: keras_lr.ReduceLROnPlateau(restore_best_weights="yes"), TypeError,
     "restore_best_weights", "'yes'"),
    (lambda: keras_lr.OneCycleScheduler(0.0), ValueError, "max_learning_rate", "0.0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, total_steps=0), ValueError, "total_steps", "0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, pct_start=1.5), ValueError, "pct_start", "1.5"),
    (lambda: keras_lr.OneCycleScheduler(0.1, base_momentum=1.0), ValueError, "base_momentum",
     "1.0"),
    (lambda: keras_lr.OneCycleScheduler(0.1, base_momentum=0.9, max_momentum=0.8), ValueError,
     "max_momentum", "0.8"),
    (lambda: keras_lr.OneCycleScheduler(0.1, cycle_momentum=1), TypeError, "cycle_momentum", "1"),
    (lambda: keras_lr.CyclicalScheduler(0.1, 0.01, 5), ValueError, "max_learning_rate", "0.01"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 0), ValueError, "step_size", "0"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2.5), ValueError, "step_size", "2.5"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 0.0, unit="epoch"), ValueError, "step_size",
     "0.0"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2, unit="batches"), ValueError, "unit",
     "'batches'"),
    (lambda: keras_lr.CyclicalScheduler(0.01, 0.1, 2, policy="sine"), ValueError, "policy",
     "'sine'"),
    (lambda: keras_lr.LearningRateMonitor(update_freq=0), ValueError, "update_freq", "0"),
]


@pytest.mark.parametrize(("make", "error", "name", "value"), BAD,
                         ids=[f"{b[2]}={b[3]}" for b in BAD])
def test_bad_argument_names_argument_and_value(make, error, name, value):
    pattern = rf"^Argument `{name}` must be .+\. Received: {name}={re.escape(value)}"
    with pytest.raises(error, match=pattern):
        make()


def test_message_shape_matches_keras():
    with pytest.raises(ValueError) as info:
        keras_lr.StepDecay(0.1, decay_steps=0)
    assert str(info.value) == "Argument `decay_steps` must be > 0. Received: decay_steps=0"


def test_integral_floats_are_accepted_as_counts():
    assert keras_lr.OneCycle(1.0, total_steps=1e3).total_steps == 1000
