"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017)."""

import math

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import (
    as_float,
    as_step,
    const,
    floor64,
    step_dtype,
    step_max,
    weights,
)

__all__ = ["CosineWarmRestarts", "cycle_position", "cycle_starts"]

MAX_CYCLES = 4096


def cycle_starts(period, t_mul):
    """Every cycle start up to the largest step, as Python floats, or None if that
    takes more than `MAX_CYCLES` cycles (`t_mul` very close to 1)."""
    starts: list[float] = []
    start, length = 0.0, float(period)
    while start <= step_max():
        if len(starts) == MAX_CYCLES:
            return None
        starts.append(start)
        start, length = start + length, length * t_mul
    return starts

T_MUL_MAX = 1e6


def cycle_position(step, period, t_mul):
    """(cycle index, fraction of that cycle done) at integer `step`.

    Cycle `i` lasts `period * t_mul ** i` steps. With `t_mul == 1` this is
    integer arithmetic. Otherwise, where float64 exists, the index comes from
    a float64 logarithm, nudged by 1e-12 so that a cycle's first step is never
    put in the cycle before (exact for cycles shorter than about 1e11 steps).
    On JAX without x64 there is no float64: the cycle starts are worked out in
    Python (as the cycles are walked one by one) and the step is placed among
    their integer ceilings by a binary search (the constructor refuses a
    `t_mul` so close to 1 that this takes more than `MAX_CYCLES` cycles).
    """
    if t_mul == 1.0:
        return as_float(step // const(period)), as_float(step % const(period)) / period
    if step_dtype() != "uint32":  # float64 is there: fewer ops than the table
        return _log_position(step, period, t_mul)
    starts = cycle_starts(period, t_mul)
    assert starts is not None  # checked in the constructor
    firsts = np.ceil(starts)  # the first integer step of each cycle
    flat = ops.searchsorted(ops.convert_to_tensor(firsts.astype(step_dtype())),
                            ops.reshape(step, [-1]), side="right")  # 1-D values for TensorFlow
    index = ops.reshape(flat, ops.shape(step)) - 1
    first = ops.take(ops.convert_to_tensor(firsts.astype(step_dtype())), index)
    lag = ops.take(ops.convert_to_tensor((firsts - starts).astype("float32")), index)
    lengths = period * np.power(t_mul, np.arange(len(starts)))
    length = ops.take(ops.convert_to_tensor(lengths.astype("float32")), index)
    return as_float(index), (as_float(step - first) + lag) / length


def _log_position(step, period, t_mul):
    t = ops.cast(step, "float64")
    cycle = floor64(ops.log1p(t * ((t_mul - 1.0) / period)) / math.log(t_mul) + 1e-12)
    grown = ops.power(t_mul, cycle)
    start = (grown - 1.0) * (period / (t_mul - 1.0))
    return as_float(cycle), as_float((t - start) / (grown * period))


@keras.saving.register_keras_serializable(package="keras_lr")
class CosineWarmRestarts(ScheduleBase):
    """Cosine annealing with warm restarts, and an optional cycle limit.

    Cycle `i` lasts `first_decay_steps * t_mul ** i` steps; within it the
    rate follows a half cosine from `initial_learning_rate * m_mul ** i`
    (above the floor) down to the floor `alpha * initial_learning_rate`:

        lr = initial_learning_rate * (alpha + (1 - alpha) * m_mul ** i
                                      * 0.5 * (1 + cos(pi * done)))

    This is Keras's `CosineDecayRestarts` (same arguments), with the cycle
    position computed on integers when `t_mul == 1`, and PyTorch's
    `CosineAnnealingWarmRestarts` with `T_0 = first_decay_steps`,
    `T_mult = t_mul`, `eta_min = alpha * initial_learning_rate` and
    `m_mul = 1`. After `cycle_limit` cycles (timm's `cycle_limit`) it holds
    the floor.

    Args:
        initial_learning_rate: The rate at the start of the first cycle, > 0.
        first_decay_steps: Steps of the first cycle, an integer > 0.
        t_mul: Each cycle is `t_mul` times longer than the one before, in
            [1, 1e6] (a larger growth could not place a cycle in float32).
        m_mul: Each cycle starts `m_mul` times as high above the floor as the
            one before, in (0, 1].
        alpha: The floor as a fraction of `initial_learning_rate`, in [0, 1].
        cycle_limit: Number of cycles after which the rate holds the floor,
            an integer > 0 (`None`: restart forever).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range.
        TypeError: If an argument has the wrong type.

    Example:

    >>> sched = keras_lr.CosineWarmRestarts(1.0, first_decay_steps=2, t_mul=1.0,
    ...                                     m_mul=0.5, alpha=0.1, cycle_limit=2)
    >>> keras_lr.schedule_values(sched, 6).round(4).tolist()
    [1.0, 0.55, 0.55, 0.325, 0.1, 0.1]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        cycle_limit: int | None = None,
        name: str | None = None,
    ):
        super().__init__()
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.first_decay_steps = check.steps("first_decay_steps", first_decay_steps, 1)
        self.t_mul = check.in_range("t_mul", t_mul, 1.0, T_MUL_MAX)
        if t_mul != 1.0 and step_dtype() == "uint32" \
                and cycle_starts(first_decay_steps, t_mul) is None:
            check.fail("t_mul", f"1 or far enough above 1 to need at most {MAX_CYCLES} cycles "
                       "on JAX without `jax_enable_x64`", t_mul)
        self.m_mul = check.in_range("m_mul", m_mul, 0.0, 1.0, closed=(False, True))
        self.alpha = check.in_range("alpha", alpha, 0.0, 1.0)
        if cycle_limit is not None:
            cycle_limit = check.steps("cycle_limit", cycle_limit, 1)
        self.cycle_limit = cycle_limit
        self.name = name

    def __call__(self, step):
        cycle, done = cycle_position(as_step(step), self.first_decay_steps, self.t_mul)
        height = weights(done, "cosine")[0]
        if self.m_mul != 1.0:
            height = height * ops.power(self.m_mul, cycle)
        if self.cycle_limit is not None:
            height = ops.where(cycle < self.cycle_limit, height, 0.0)
        floor = self.initial_learning_rate * self.alpha
        scaled = (self.initial_learning_rate - floor) * height
        return floor + scaled if floor else scaled
