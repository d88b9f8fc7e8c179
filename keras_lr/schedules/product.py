"""A product of schedules: PyTorch's `ChainedScheduler` of multiplicative schedulers."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules.basic import as_schedule

__all__ = ["Multiplied"]

Schedule: TypeAlias = keras.optimizers.schedules.LearningRateSchedule
Tensor = Any  # a backend tensor (Keras ships no type information)


@keras.saving.register_keras_serializable(package="keras_lr")
class Multiplied(ScheduleBase):
    """The product of schedules: `lr(step) = schedules[0](step) * schedules[1](step) * ...`.

    Give the base rate in one schedule (or as a number) and the others as
    factors around 1, each seeing the same step. This is PyTorch's
    `ChainedScheduler` (and stepping several schedulers on one optimizer)
    for its multiplicative schedulers: `ExponentialLR(gamma)` is
    `StepDecay(1.0, 1, gamma)`, `StepLR(step_size, gamma)` is
    `StepDecay(1.0, step_size, gamma)`, `ConstantLR(factor, total_iters)` is
    `SequentialSchedule([factor, 1.0], [total_iters])`, and
    `LinearLR(start_factor, end_factor, total_iters)` is
    `Interpolated([(0, start_factor), (total_iters, end_factor)])`. The
    schedules (keras-lr's or Keras's) are saved with Keras serialization, so
    the product saves and reloads with a model.

    Args:
        schedules: A non-empty list of `LearningRateSchedule`s or numbers.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        TypeError: If `schedules` is not a non-empty list of schedules or
            numbers.

    Example: PyTorch's `ChainedScheduler([ConstantLR(factor=0.1, total_iters=2),
    ExponentialLR(gamma=0.9)])` on a base rate of 1.0.

    >>> sched = keras_lr.schedules.Multiplied([1.0, keras_lr.SequentialSchedule([0.1, 1.0], [2]),
    ...     keras_lr.StepDecay(1.0, 1, 0.9)])
    >>> keras_lr.schedule_values(sched, 4).round(4).tolist()
    [0.1, 0.09, 0.81, 0.729]
    """

    _nested = ("schedules",)

    def __init__(self, schedules: Sequence[Schedule | float], name: str | None = None):
        super().__init__()
        if isinstance(schedules, (str, bytes)) or not isinstance(schedules, (list, tuple)) \
                or not schedules:
            check.fail("schedules", "a non-empty list of schedules or numbers", schedules,
                       TypeError)
        self.schedules = [as_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        lr = self.schedules[0](step)
        for child in self.schedules[1:]:
            lr = lr * ops.cast(child(step), lr.dtype)
        return lr
