"""Warmup around any schedule, and warmup-stable-decay."""

from typing import Any, Literal

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import (
    DECAY_SHAPES,
    SHAPE_ALIASES,
    SHAPES,
    anneal,
    as_float,
    as_step,
    at_least,
    at_most,
    const,
    minus,
)
from keras_lr.schedules.basic import as_schedule

__all__ = ["Warmup", "WarmupStableDecay"]

Tensor = Any  # a backend tensor (Keras ships no type information)


def ramp(step: Tensor, warmup_steps: int, target: float | Tensor, start_factor: float | None,
         shape: str, start: float | None = None) -> Tensor:
    """Warm up to `target` at `warmup_steps` from `start` at step 0, or from
    `start_factor * target` (`None`: `1 / (warmup_steps + 1)`)."""
    pct = as_float(step) * (1.0 / warmup_steps)  # callers select the ramp only below warmup
    if start is not None:
        return anneal(start, target, pct, shape)
    if start_factor is None:
        start_factor = 1.0 / (warmup_steps + 1)
    return target * anneal(start_factor, 1.0, pct, shape)


def _start(start_factor: float | None,
           initial_learning_rate: float | None) -> tuple[float | None, float | None]:
    """(start_factor, initial_learning_rate), checked: at most one of them."""
    if start_factor is not None:
        start_factor = check.in_range("start_factor", start_factor, 0.0, 1.0)
    if initial_learning_rate is not None:
        if start_factor is not None:
            check.fail("initial_learning_rate", "None when start_factor is given",
                       initial_learning_rate)
        initial_learning_rate = check.in_range("initial_learning_rate", initial_learning_rate,
                                               0.0, check.RATE_MAX)
    return start_factor, initial_learning_rate


@keras.saving.register_keras_serializable(package="keras_lr")
class Warmup(ScheduleBase):
    """Warm up into any schedule, Keras's built-ins included.

    For `step < warmup_steps` the rate ramps from
    `start_factor * target` to `target`, where `target` is the rate the
    wrapped schedule has at the handover, so there is no jump there. From
    `warmup_steps` on, the wrapped schedule takes over:

    - `shift_schedule=True` (default): its clock starts after warmup, so at
      step `warmup_steps + t` the rate is `schedule(t)` and
      `target = schedule(0)` (as Keras's `CosineDecay(warmup_steps=...)`,
      tested against it).
    - `shift_schedule=False`: it sees the global step, so the rate is
      `schedule(step)` and `target = schedule(warmup_steps)`.

    `warmup_target` sets `target` to a rate of your own instead (Keras's
    `CosineDecay(warmup_target=...)`); then there may be a jump at the
    handover. timm's warmup (`warmup_t`, `warmup_lr_init`) is
    `initial_learning_rate=warmup_lr_init` with `shift_schedule=True` for
    `warmup_prefix=True`, and with `shift_schedule=False,
    warmup_target=<the optimizer's lr>` for timm's default
    `warmup_prefix=False`: timm ramps towards the base rate while the
    schedule keeps the global clock, then jumps to `schedule(warmup_t)`.

    By default `start_factor = 1 / (warmup_steps + 1)`: the first update gets
    `target / (warmup_steps + 1)`, not 0, and the linear ramp climbs in equal
    steps of `target / (warmup_steps + 1)` right into the handover. Give
    `initial_learning_rate` instead to start from a rate you know (Keras's
    `CosineDecay(initial_learning_rate, warmup_target=...)` convention), and
    `hold_steps` to stay at `target` that long after warmup before the
    wrapped schedule starts.

    Args:
        schedule: A `LearningRateSchedule` (keras-lr's or Keras's), or a
            number for a constant rate after warmup.
        warmup_steps: Steps of warmup, an integer > 0.
        start_factor: The rate at step 0 as a fraction of `target`, in
            [0, 1] (`None`: `1 / (warmup_steps + 1)`; 0 starts at exactly 0).
        shape: `"linear"`, or `"cosine"` (a half cosine: smooth at both ends).
        shift_schedule: Whether the wrapped schedule's clock starts after
            warmup and hold (see above).
        initial_learning_rate: The rate at step 0, >= 0, instead of
            `start_factor` (`None`: use `start_factor`).
        hold_steps: Steps at `target` after warmup, an integer >= 0.
        warmup_target: The rate the warmup climbs to (reached at
            `warmup_steps`), > 0 (`None`: the wrapped schedule's value at the
            handover).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range, `shape` is unknown, or both
            `start_factor` and `initial_learning_rate` are given.
        TypeError: If `schedule` is neither a schedule nor a number.

    Example:

    >>> sched = keras_lr.Warmup(keras_lr.StepDecay(1.0, 2, 0.5), warmup_steps=3)
    >>> keras_lr.schedule_values(sched, 7).round(4).tolist()
    [0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.5]
    >>> sched = keras_lr.Warmup(keras_lr.StepDecay(1.0, 2, 0.5), warmup_steps=3,
    ...                         initial_learning_rate=0.1, hold_steps=2)
    >>> keras_lr.schedule_values(sched, 9).round(4).tolist()
    [0.1, 0.4, 0.7, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]

    timm's default warmup: towards the base rate 1.0, the schedule on the global clock.

    >>> sched = keras_lr.Warmup(keras_lr.StepDecay(1.0, 2, 0.5), warmup_steps=3,
    ...                         initial_learning_rate=0.1, shift_schedule=False,
    ...                         warmup_target=1.0)
    >>> keras_lr.schedule_values(sched, 6).round(4).tolist()
    [0.1, 0.4, 0.7, 0.5, 0.25, 0.25]
    """

    _nested = ("schedule",)

    def __init__(
        self,
        schedule: keras.optimizers.schedules.LearningRateSchedule | float,
        warmup_steps: int,
        start_factor: float | None = None,
        shape: Literal["linear", "cosine", "cos"] = "linear",
        shift_schedule: bool = True,
        initial_learning_rate: float | None = None,
        hold_steps: int = 0,
        warmup_target: float | None = None,
        name: str | None = None,
    ):
        super().__init__()
        self.schedule = as_schedule("schedule", schedule)
        if warmup_target is not None:
            warmup_target = check.rate("warmup_target", warmup_target)
        self.warmup_target = warmup_target
        self.warmup_steps = check.steps("warmup_steps", warmup_steps, 1)
        self.start_factor, self.initial_learning_rate = _start(start_factor,
                                                               initial_learning_rate)
        self.shape = check.one_of("shape", shape, SHAPES, SHAPE_ALIASES)
        self.shift_schedule = check.boolean("shift_schedule", shift_schedule)
        self.hold_steps = check.steps("hold_steps", hold_steps, 0)
        check.steps_total(("warmup_steps", "hold_steps"), (self.warmup_steps, self.hold_steps))
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = as_step(step)
        warm = const(self.warmup_steps)
        held = self.warmup_steps + self.hold_steps
        if self.warmup_target is not None:
            target = self.warmup_target
            inner = self.schedule(minus(step, held) if self.shift_schedule else step)
            before = ramp(step, self.warmup_steps, target, self.start_factor, self.shape,
                          self.initial_learning_rate)
            after = ops.where(step < const(held), target, inner) if self.hold_steps else inner
            return ops.where(step < warm, before, after)
        # One evaluation of the wrapped schedule serves both sides: during
        # warmup and hold its clamped step is the handover step: it gives `target`.
        if self.shift_schedule:
            inner = self.schedule(minus(step, held))
        elif self.hold_steps:
            inner = self.schedule(ops.where(step < const(held), warm, step))
        else:
            inner = self.schedule(at_least(step, warm))
        before = ramp(step, self.warmup_steps, inner, self.start_factor, self.shape,
                      self.initial_learning_rate)
        return ops.where(step < warm, before, inner)


@keras.saving.register_keras_serializable(package="keras_lr")
class WarmupStableDecay(ScheduleBase):
    """Warmup, a long flat stretch, then a decay to the floor ("WSD").

    The rate warms up to `max_learning_rate` over `warmup_steps` (as
    `Warmup`), holds it for `stable_steps`, decays to
    `alpha * max_learning_rate` over `decay_steps`, and holds that floor
    afterwards. By default warmup starts at
    `max_learning_rate / (warmup_steps + 1)`, not 0. Hugging Face's
    `get_wsd_schedule(num_warmup_steps, num_decay_steps, num_stable_steps,
    warmup_type, decay_type, min_lr_ratio)` (its default `num_cycles=0.5`) is
    `WarmupStableDecay(lr, num_warmup_steps, num_stable_steps,
    num_decay_steps, decay_type, alpha=min_lr_ratio, warmup_shape=warmup_type,
    initial_learning_rate=min_lr_ratio * lr)`: Hugging Face's warmup starts
    at `min_lr_ratio * lr` (0 when `min_lr_ratio=0`).

    Decay shapes, with `p` the fraction of the decay done: `"linear"`
    (`1 - p`), `"cosine"` (`(1 + cos(pi p)) / 2`), `"1-sqrt"` (`1 - sqrt(p)`).

    Args:
        max_learning_rate: The rate of the stable stretch, > 0.
        warmup_steps: Steps of warmup, an integer >= 0.
        stable_steps: Steps at `max_learning_rate`, an integer >= 0.
        decay_steps: Steps of the decay, an integer > 0.
        decay_shape: `"linear"`, `"cosine"` or `"1-sqrt"`.
        alpha: The floor as a fraction of `max_learning_rate`, in [0, 1].
        warmup_shape: `"linear"` or `"cosine"`.
        initial_learning_rate: The rate at step 0, >= 0 (`None`:
            `max_learning_rate / (warmup_steps + 1)`; Hugging Face starts at
            `alpha * max_learning_rate`).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range or a shape is unknown.
        TypeError: If an argument has the wrong type.

    Example:

    >>> sched = keras_lr.WarmupStableDecay(1.0, warmup_steps=1, stable_steps=2,
    ...                                    decay_steps=2, decay_shape="linear")
    >>> keras_lr.schedule_values(sched, 7).round(4).tolist()
    [0.5, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(
        self,
        max_learning_rate: float,
        warmup_steps: int,
        stable_steps: int,
        decay_steps: int,
        decay_shape: Literal["linear", "cosine", "cos", "1-sqrt"] = "cosine",
        alpha: float = 0.0,
        warmup_shape: Literal["linear", "cosine", "cos"] = "linear",
        initial_learning_rate: float | None = None,
        name: str | None = None,
    ):
        super().__init__()
        self.max_learning_rate = check.rate("max_learning_rate", max_learning_rate)
        _, self.initial_learning_rate = _start(None, initial_learning_rate)
        self.warmup_steps = check.steps("warmup_steps", warmup_steps, 0)
        self.stable_steps = check.steps("stable_steps", stable_steps, 0)
        self.decay_steps = check.steps("decay_steps", decay_steps, 1)
        check.steps_total(("warmup_steps", "stable_steps", "decay_steps"),
                          (self.warmup_steps, self.stable_steps, self.decay_steps))
        self.decay_shape = check.one_of("decay_shape", decay_shape, DECAY_SHAPES, SHAPE_ALIASES)
        self.alpha = check.in_range("alpha", alpha, 0.0, 1.0)
        self.warmup_shape = check.one_of("warmup_shape", warmup_shape, SHAPES, SHAPE_ALIASES)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = as_step(step)
        peak = self.max_learning_rate
        begin = self.warmup_steps + self.stable_steps
        done = as_float(at_most(minus(step, begin), const(self.decay_steps))) / self.decay_steps
        lr = anneal(peak, self.alpha * peak, done, self.decay_shape)
        if self.warmup_steps:
            before = ramp(step, self.warmup_steps, peak, None, self.warmup_shape,
                          self.initial_learning_rate)
            lr = ops.where(step < self.warmup_steps, before, lr)
        return lr
