"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017)."""

import math
from typing import Any

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
    power,
    step_dtype,
    step_max,
    weights,
)

__all__ = ["CosineWarmRestarts"]

Tensor = Any  # a backend tensor (Keras ships no type information)

MAX_CYCLES = 4096


def cycle_starts(period: float, t_mul: float, cycles: int | None = None) -> list[float] | None:
    """Every cycle start up to the largest step (or of the first `cycles` cycles), as
    Python floats, or None if that takes more than `MAX_CYCLES` cycles (`t_mul`
    very close to 1, or short fractional cycles)."""
    starts: list[float] = []
    start, length = 0.0, float(period)
    while start <= step_max() and (cycles is None or len(starts) < cycles):
        if len(starts) == MAX_CYCLES:
            return None
        starts.append(start)
        start, length = start + length, length * t_mul
    return starts

T_MUL_MAX = 1e6


def cycle_position(step: Tensor, period: float, t_mul: float,
                   cycles: int | None = None) -> tuple[Tensor, Tensor]:
    """(cycle index, fraction of that cycle done) at integer `step`.

    Cycle `i` lasts `period * t_mul ** i` steps. With `t_mul == 1` and a
    whole `period` this is integer arithmetic; with a fractional one, float64
    division. Otherwise, where float64 exists, the index comes from
    a float64 logarithm, nudged by 1e-12 so that a cycle's first step is never
    put in the cycle before (exact for cycles shorter than about 1e11 steps).
    On JAX without x64 there is no float64: the cycle starts are worked out in
    Python (as the cycles are walked one by one) and the step is placed among
    their integer ceilings by a binary search (the constructor refuses a
    `t_mul` so close to 1 that this takes more than `MAX_CYCLES` cycles).
    """
    if t_mul == 1.0 and period == int(period):
        return as_float(step // const(period)), as_float(step % const(period)) / period
    if step_dtype() != "uint32":  # float64 is there: fewer ops than the table
        if t_mul == 1.0:
            t = ops.cast(step, "float64")
            cycle = floor64(t / period + 1e-12)
            return as_float(cycle), as_float(ops.maximum(t - cycle * period, 0.0) / period)
        return _log_position(step, period, t_mul)
    starts = cycle_starts(period, t_mul, cycles)
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


def _log_position(step: Tensor, period: float, t_mul: float) -> tuple[Tensor, Tensor]:
    t = ops.cast(step, "float64")
    cycle = floor64(ops.log1p(t * ((t_mul - 1.0) / period)) / math.log(t_mul) + 1e-12)
    grown = ops.power(t_mul, cycle)
    start = (grown - 1.0) * (period / (t_mul - 1.0))
    return as_float(cycle), as_float((t - start) / (grown * period))


def _whole(value: float) -> float:
    """`value` as an int where it is a whole number (so configs keep integers)."""
    return int(value) if value == int(value) else value


def limit_step(period: float, t_mul: float, cycle_limit: float) -> int | None:
    """The first integer step after `cycle_limit` (possibly fractional) cycles, or
    None beyond the largest step. A hair below the float end counts as the end, so
    `(n / c) * c` cycles of length `n / c` end at step `n`."""
    whole = math.floor(cycle_limit)
    if t_mul == 1.0:
        end = period * cycle_limit
    else:
        grown = t_mul**whole
        end = period * (grown - 1.0) / (t_mul - 1.0) + (cycle_limit - whole) * period * grown
    if not math.isfinite(end) or end * (1 - 1e-12) > step_max():
        return None
    return math.ceil(end * (1 - 1e-12))


@keras.saving.register_keras_serializable(package="keras_lr")
class CosineWarmRestarts(ScheduleBase):
    """Cosine annealing with warm restarts, and an optional cycle limit.

    Cycle `i` lasts `first_decay_steps * t_mul ** i` steps; within it, at the
    fraction `done` of the cycle, the rate follows a half cosine from the
    cycle's peak `initial_learning_rate * cycle_decay ** i` (scaled above the
    floor by `m_mul ** i`) down to the floor `alpha * initial_learning_rate`:

        peak_i = initial_learning_rate * cycle_decay ** i
        lr = floor + (peak_i - floor) * m_mul ** i
                   * 0.5 * (1 + cos(pi * done ** k_decay))

    With the defaults `cycle_decay = k_decay = 1` this is Keras's
    `CosineDecayRestarts` (same arguments, `m_mul` decays the height above
    the floor), with the cycle position computed on integers when
    `t_mul == 1`, and PyTorch's `CosineAnnealingWarmRestarts` with
    `T_0 = first_decay_steps`, `T_mult = t_mul`,
    `eta_min = alpha * initial_learning_rate` and `m_mul = 1`. timm's
    `CosineLRScheduler(t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit,
    k_decay)` is `CosineWarmRestarts(lr, t_initial, cycle_mul, alpha=lr_min / lr,
    cycle_decay=cycle_decay, cycle_limit=cycle_limit, k_decay=k_decay)` (timm
    decays the peak). After `cycle_limit` cycles it holds the floor; with a
    fractional `first_decay_steps` and `cycle_limit` it is Hugging Face's
    hard restarts with a fractional `num_cycles` (see the README).

    Args:
        initial_learning_rate: The rate at the start of the first cycle, > 0.
        first_decay_steps: Steps of the first cycle, a number >= 1
            (fractions allowed: cycles then start between two steps).
        t_mul: Each cycle is `t_mul` times longer than the one before, in
            [1, 1e6] (a larger growth could not place a cycle in float32).
        m_mul: Each cycle starts `m_mul` times as high above the floor as the
            one before, in (0, 1] (Keras's convention).
        alpha: The floor as a fraction of `initial_learning_rate`, in [0, 1].
        cycle_limit: Number of cycles after which the rate holds the floor,
            a number > 0, fractions allowed (`None`: restart forever).
        cycle_decay: Each cycle's peak is `cycle_decay` times the one before,
            in (0, 1] (timm's convention).
        k_decay: The cosine runs over `done ** k_decay` (timm's k-decay), > 0.
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
    >>> sched = keras_lr.CosineWarmRestarts(1.0, 2, t_mul=1.0, alpha=0.1, cycle_decay=0.5)
    >>> keras_lr.schedule_values(sched, 4).round(4).tolist()
    [1.0, 0.55, 0.5, 0.3]
    >>> sched = keras_lr.CosineWarmRestarts(1.0, 2.5, t_mul=1.0, cycle_limit=1.6)
    >>> keras_lr.schedule_values(sched, 6).round(4).tolist()
    [1.0, 0.6545, 0.0955, 0.9045, 0.0, 0.0]
    >>> sched = keras_lr.CosineWarmRestarts(1.0, 4, t_mul=1.0, k_decay=2.0)
    >>> keras_lr.schedule_values(sched, 5).round(4).tolist()
    [1.0, 0.9904, 0.8536, 0.4025, 1.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        cycle_limit: float | None = None,
        cycle_decay: float = 1.0,
        k_decay: float = 1.0,
        name: str | None = None,
    ):
        super().__init__()
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        period = check.in_range("first_decay_steps", first_decay_steps, 1.0, check.MAX_STEPS)
        self.first_decay_steps = _whole(period)
        self.t_mul = check.in_range("t_mul", t_mul, 1.0, T_MUL_MAX)
        self.m_mul = check.in_range("m_mul", m_mul, 0.0, 1.0, closed=(False, True))
        self.alpha = check.in_range("alpha", alpha, 0.0, 1.0)
        if cycle_limit is not None:
            cycle_limit = _whole(check.in_range("cycle_limit", cycle_limit, 0.0,
                                                check.MAX_STEPS, (False, True)))
        self.cycle_limit = cycle_limit
        self.cycle_decay = check.in_range("cycle_decay", cycle_decay, 0.0, 1.0, (False, True))
        self.k_decay = check.in_range("k_decay", k_decay, 0.0, 1e3, (False, True))
        self.name = name
        self._cycles = None if cycle_limit is None else math.ceil(cycle_limit)
        self._end = None if cycle_limit is None else limit_step(period, self.t_mul, cycle_limit)
        if (self.t_mul != 1.0 or period != int(period)) and step_dtype() == "uint32" \
                and cycle_starts(period, self.t_mul, self._cycles) is None:
            bad = ("t_mul", t_mul) if self.t_mul != 1.0 else ("first_decay_steps", period)
            check.fail(bad[0], f"such that at most {MAX_CYCLES} cycles (or `cycle_limit`) "
                       "reach step 2**32 - 1 on JAX without `jax_enable_x64`", bad[1])

    def __call__(self, step: int | Tensor) -> Tensor:
        step = as_step(step)
        cycle, done = cycle_position(step, self.first_decay_steps, self.t_mul, self._cycles)
        if self.k_decay != 1.0:
            done = ops.power(ops.clip(done, 0.0, 1.0), self.k_decay)
        height = weights(done, "cosine")[0]
        if self.m_mul != 1.0:
            height = height * power(self.m_mul, cycle)
        floor = self.initial_learning_rate * self.alpha
        if self.cycle_decay != 1.0:
            scaled = (self.initial_learning_rate * power(self.cycle_decay, cycle) - floor) * height
        else:
            scaled = (self.initial_learning_rate - floor) * height
        lr = floor + scaled if floor else scaled
        if self._end is not None:  # after `cycle_limit` cycles
            lr = ops.where(step < const(self._end), lr, floor)
        return lr
