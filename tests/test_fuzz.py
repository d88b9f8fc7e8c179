"""Fuzz every public constructor and every schedule call with hostile values.

Any argument may be replaced by an arbitrary int (past int64 too), float (NaN, ±inf,
subnormals, 1e308), bool, string, None, list or array. The only allowed outcomes: a
finite, non-negative rate at every step; or a `ValueError`/`TypeError` whose message
names an argument ("Argument `name` must be ...").

The number of examples is bounded and the search derandomized, so CI is stable and the
file runs in well under a minute; `HYPOTHESIS_PROFILE=thorough` searches longer.
"""

import inspect
import os
import re

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keras_lr
from keras_lr import finder

settings.register_profile("keras_lr_fuzz", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough_fuzz", max_examples=500, deadline=None)
FUZZ = settings.get_profile(
    "thorough_fuzz" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "keras_lr_fuzz")

C = keras_lr.Constant(0.1)
EDGES = [0, 1, -1, 2, 2**31 - 1, 2**31, 2**62, 2**63 - 1, 2**63, 2**64, 2**70, -(2**63),
         0.5, 0.3, 1.5, 1e-300, 5e-324, 1e-45, 1e-40, 1.2e-38, 3.4e38, 3.5e38, 1e308,
         -1e308, float("nan"), float("inf"), float("-inf"), True, False, None, "", "cos",
         "cosine", "linear", "1", "triangular2", [1, 2], [], np.array([1, 2]), np.float32(0.1),
         np.int64(3), np.array(0.5), C]
HOSTILE = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
    st.lists(st.integers(-(2**65), 2**65), max_size=3),
    st.lists(st.floats(), max_size=3).map(np.array),
)

# Valid arguments of each public constructor, to fuzz one or several at a time.
VALID = {
    keras_lr.Constant: dict(learning_rate=0.1),
    keras_lr.StepDecay: dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5),
    keras_lr.MultiStepDecay: dict(initial_learning_rate=0.1, boundaries=[2, 5], decay_rate=0.5),
    keras_lr.InverseSqrtDecay: dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=1.0),
    keras_lr.Cyclical: dict(initial_learning_rate=0.01, max_learning_rate=0.1, step_size=3,
                            step_size_down=None, policy="triangular2", gamma=0.99),
    keras_lr.OneCycle: dict(max_learning_rate=0.1, total_steps=20, pct_start=0.3,
                            div_factor=25.0, final_div_factor=1e4, anneal_strategy="cosine",
                            three_phase=False),
    keras_lr.CosineWarmRestarts: dict(initial_learning_rate=0.1, first_decay_steps=4, t_mul=2.0,
                                      m_mul=0.9, alpha=0.1, cycle_limit=None),
    keras_lr.Warmup: dict(schedule=C, warmup_steps=3, start_factor=None, shape="linear",
                          shift_schedule=True, initial_learning_rate=None, hold_steps=0),
    keras_lr.WarmupStableDecay: dict(max_learning_rate=0.1, warmup_steps=2, stable_steps=3,
                                     decay_steps=4, decay_shape="cosine", alpha=0.0,
                                     warmup_shape="linear", initial_learning_rate=None),
    keras_lr.SequentialSchedule: dict(schedules=[C, keras_lr.StepDecay(0.1, 2)], boundaries=[3]),
    keras_lr.Scaled: dict(schedule=C, factor=0.5),
    keras_lr.Multiplied: dict(schedules=[C, keras_lr.StepDecay(1.0, 2, 0.5)]),
    keras_lr.PerEpoch: dict(schedule=keras_lr.StepDecay(0.1, 2), steps_per_epoch=3),
    keras_lr.PerUpdate: dict(schedule=keras_lr.StepDecay(0.1, 2), accumulation_steps=2),
    keras_lr.Shifted: dict(schedule=keras_lr.StepDecay(0.1, 2), offset=-2),
    keras_lr.ReduceLROnPlateau: dict(monitor="val_loss", factor=0.1, patience=3, verbose=0,
                                     mode="auto", min_delta=1e-4, threshold_mode="abs",
                                     cooldown=0, min_lr=0.0, start_from_epoch=0,
                                     restore_best_weights=False),
    keras_lr.LearningRateMonitor: dict(update_freq=1, log_dir=None),
    keras_lr.OneCycleScheduler: dict(max_learning_rate=0.1, total_steps=None, pct_start=0.3,
                                     div_factor=25.0, final_div_factor=1e4,
                                     anneal_strategy="cosine", three_phase=False,
                                     cycle_momentum=True, base_momentum=0.85, max_momentum=0.95),
    keras_lr.CyclicalScheduler: dict(initial_learning_rate=0.01, max_learning_rate=0.1,
                                     step_size=3, step_size_down=None, unit="step",
                                     policy="triangular", gamma=1.0, cycle_momentum=False,
                                     base_momentum=0.8, max_momentum=0.9),
    finder.check_arguments: dict(start_lr=1e-7, end_lr=10.0, num_steps=100, step_mode="exponential",
                                 beta=0.98, stop_factor=4.0, method="valley", refine=False,
                                 batch_size=None),
    keras_lr.Interpolated: dict(points=[(0, 0.1), (5, 0.01)], shape="linear",
                                steps_per_epoch=None),
    keras_lr.Tabulated: dict(values=[0.1, 0.05], steps_per_value=3),
    keras_lr.from_function: dict(fn=lambda epoch: 0.1 / (epoch + 1), length=4, unit="epoch",
                                 steps_per_epoch=3),
    keras_lr.SpikeGuard: dict(threshold=4.0, factor=0.5, snapshot_freq=100, warmup=20,
                              window=50, max_rollbacks=5, skip_limit=3, verbose=0),
    keras_lr.UpdateMonitor: dict(update_freq=100, log_dir=None),
}
KERAS_SCHEDULES = [n for n in keras_lr.__all__ if hasattr(keras.optimizers.schedules, n)]
CALLBACKS = [n for n in keras_lr.__all__ if isinstance(getattr(keras_lr, n), type)
             and issubclass(getattr(keras_lr, n), keras.callbacks.Callback)]
OWN_SCHEDULES = [n for n in keras_lr.__all__ if n not in KERAS_SCHEDULES and isinstance(
    getattr(keras_lr, n), type) and issubclass(getattr(keras_lr, n),
                                               keras.optimizers.schedules.LearningRateSchedule)]
STEPS = np.array([0, 1, 2, 3, 7, 19, 20, 100, 999, 2**31 - 1, 2**40, 2**62], dtype="int64")


def test_every_public_constructor_is_fuzzed():
    covered = {getattr(c, "__name__", "") for c in VALID}
    assert set(OWN_SCHEDULES) | set(CALLBACKS) <= covered
    for make, kwargs in VALID.items():  # the valid arguments are each constructor's own
        assert set(kwargs) <= set(inspect.signature(make).parameters) - {"name"}, make


def allowed_error(error, make):
    names = set(inspect.signature(make).parameters)
    found = re.match(r"Argument `(\w+)(?:\[\d+\])?` must be .+\. Received: \1(?:\[\d+\])?=",
                     str(error), re.DOTALL)
    return isinstance(error, (ValueError, TypeError)) and found and found.group(1) in names


def assert_rates(values):
    values = np.asarray(keras.ops.convert_to_numpy(values), dtype="float64")
    assert np.all(np.isfinite(values)) and np.all(values >= 0), values


@pytest.mark.parametrize("make", list(VALID), ids=lambda m: m.__name__)
@FUZZ
@given(data=st.data())
def test_constructor_and_call_outcomes(make, data):
    valid = VALID[make]
    fuzzed = data.draw(st.lists(st.sampled_from(sorted(valid)), min_size=1, max_size=3,
                                unique=True), label="fuzzed")
    kwargs = {**valid, **{k: data.draw(HOSTILE, label=k) for k in fuzzed}}
    try:
        made = make(**kwargs)
    except (ValueError, TypeError) as error:
        assert allowed_error(error, make), repr(error)  # noqa: PT017 - outcomes, not one raise
        return
    if isinstance(made, keras.optimizers.schedules.LearningRateSchedule):
        assert_rates(made(STEPS))
        assert_rates(keras_lr.schedule_values(made, 30))
    elif hasattr(made, "schedule_for"):
        # A cycle callback: the schedule it would install (over 10 updates per epoch).
        assert_rates(keras_lr.schedule_values(made.schedule_for(3, 10), STEPS))


SCHEDULES = [make(**kwargs) for make, kwargs in VALID.items()
             if getattr(make, "__name__", "") in OWN_SCHEDULES]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
@FUZZ
@given(step=HOSTILE)
def test_schedule_call_outcomes(schedule, step):
    try:
        values = schedule(step)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert re.match(r"Argument `step` must be .+\. Received: step=", message), message
        return
    assert_rates(values)
