"""Composition: join schedules in time, scale one, or change its clock."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr._keras import factor_value, factor_variable
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import as_step, const, minus, shift
from keras_lr.schedules.basic import Constant, as_schedule

__all__ = ["PerEpoch", "PerUpdate", "Scaled", "SequentialSchedule", "Shifted"]

Schedule: TypeAlias = keras.optimizers.schedules.LearningRateSchedule
Tensor = Any  # a backend tensor (Keras ships no type information)


@keras.saving.register_keras_serializable(package="keras_lr")
class SequentialSchedule(ScheduleBase):
    """Run schedules one after another; each sees steps since its own start.

    `schedules[0]` runs until `boundaries[0]`, `schedules[i]` from
    `boundaries[i - 1]` on, called with `step - boundaries[i - 1]` (the
    convention of optax's `join_schedules`). PyTorch's `SequentialLR` of
    schedulers gives the same rates (tested against it with `LinearLR` and
    `ExponentialLR`).

    Args:
        schedules: A list of `LearningRateSchedule`s (keras-lr's or Keras's)
            or numbers (constant rates).
        boundaries: Strictly increasing steps (integers > 0) where the next
            schedule starts; one fewer than `schedules`.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If the counts do not match or `boundaries` is not
            increasing.
        TypeError: If an element has the wrong type.

    Example:

    >>> warm = keras.optimizers.schedules.PolynomialDecay(
    ...     0.1, 2, end_learning_rate=1.0, power=1.0)
    >>> cos = keras.optimizers.schedules.CosineDecay(1.0, 4)
    >>> sched = keras_lr.SequentialSchedule([warm, cos], boundaries=[2])
    >>> keras_lr.schedule_values(sched, 7).round(4).tolist()
    [0.1, 0.55, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    _nested = ("schedules",)

    def __init__(
        self,
        schedules: Sequence[Schedule | float],
        boundaries: list[int],
        name: str | None = None,
    ):
        super().__init__()
        if isinstance(schedules, (str, bytes)) or not isinstance(schedules, (list, tuple)):
            check.fail("schedules", "a list of schedules", schedules, TypeError)
        self.schedules = [as_schedule("schedules", s) for s in schedules]
        self.boundaries = check.increasing("boundaries", boundaries, 1)
        if len(self.boundaries) != len(self.schedules) - 1 or not self.schedules:
            check.fail(
                "boundaries",
                f"one fewer than the {len(self.schedules)} schedules",
                boundaries,
            )
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = as_step(step)
        lr = self.schedules[0](step)
        for start, child in zip(self.boundaries, self.schedules[1:], strict=True):
            later = ops.cast(child(minus(step, start)), lr.dtype)
            lr = ops.where(step < const(start), lr, later)
        return lr


@keras.saving.register_keras_serializable(package="keras_lr")
class Scaled(ScheduleBase):
    """`factor * schedule(step)`, with `factor` in a variable.

    `factor` lives in a non-trainable `keras.Variable` that the compiled train
    step reads, so a callback (keras-lr's `ReduceLROnPlateau`) can change it
    between updates without replacing the optimizer's schedule. `get_config`
    saves its current value, so a reloaded model resumes at the scaled rate.

    Args:
        schedule: A `LearningRateSchedule` or a number.
        factor: The initial multiplier, > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`; its `factor` attribute is the variable.

    Raises:
        ValueError: If `factor` is not > 0.
        TypeError: If `schedule` is neither a schedule nor a number.

    Example:

    >>> sched = keras_lr.Scaled(keras_lr.StepDecay(1.0, 2, 0.5))
    >>> _ = sched.factor.assign(0.1)  # what ReduceLROnPlateau does
    >>> keras_lr.schedule_values(sched, 4).round(4).tolist()
    [0.1, 0.1, 0.05, 0.05]
    """

    _nested = ("schedule",)

    def __init__(
        self,
        schedule: Schedule | float,
        factor: float = 1.0,
        name: str | None = None,
    ):
        super().__init__()
        self.schedule = as_schedule("schedule", schedule)
        _check_constant_product(self.schedule, factor)
        self.factor = factor_variable(check.rate("factor", factor))
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        lr = self.schedule(step)
        return ops.cast(factor_value(self.factor), lr.dtype) * lr


def _check_constant_product(schedule: Schedule, factor: float) -> None:
    """With a constant schedule, `factor * rate` must be a float32 rate too."""
    if isinstance(schedule, Constant) and check.positive("factor", factor) > 1.0:
        limit = check.RATE_MAX / schedule.learning_rate
        if factor > limit:
            check.fail("factor", f"<= {limit:.8g}, so that factor * learning_rate "
                       f"({schedule.learning_rate}) is a float32", factor)


class _Clock(ScheduleBase):
    """`schedule(step // every)`: the wrapped schedule counts in coarser units."""

    _nested = ("schedule",)

    def _wrap(self, schedule: Schedule | float, every_name: str, every: int,
              name: str | None) -> None:
        self.schedule = as_schedule("schedule", schedule)
        setattr(self, every_name, check.steps(every_name, every, 1))
        self._every = getattr(self, every_name)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        return self.schedule(as_step(step) // const(self._every))


@keras.saving.register_keras_serializable(package="keras_lr")
class PerEpoch(_Clock):
    """State a schedule in epochs: the wrapped schedule's step is the epoch.

    `lr(step) = schedule(step // steps_per_epoch)`: every argument of the
    wrapped schedule that counts steps (`decay_steps`, `boundaries`,
    `warmup_steps`, ...) counts epochs, and the rate changes only at epoch
    boundaries. The optimizer still calls it with its update count, so
    `steps_per_execution`, resume and save/reload stay exact.

    Args:
        schedule: A `LearningRateSchedule` whose steps are epochs.
        steps_per_epoch: Updates per epoch, an integer > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule` over updates.

    Raises:
        ValueError: If `steps_per_epoch` is not an integer > 0.
        TypeError: If `schedule` is neither a schedule nor a number.

    Example: hold 1.0 for 2 epochs of 3 updates, then halve every 2 epochs.

    >>> sched = keras_lr.PerEpoch(keras_lr.StepDecay(1.0, 2, 0.5), steps_per_epoch=3)
    >>> keras_lr.schedule_values(sched, 13).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(self, schedule: Schedule | float, steps_per_epoch: int, name: str | None = None):
        super().__init__()
        self._wrap(schedule, "steps_per_epoch", steps_per_epoch, name)


@keras.saving.register_keras_serializable(package="keras_lr")
class PerUpdate(_Clock):
    """Count optimizer updates under gradient accumulation.

    With `gradient_accumulation_steps=k`, a Keras optimizer calls its schedule
    with the *micro-batch* counter: update `u` (from 0) is applied at
    micro-batch `m = (u + 1) * k - 1`. Wrapping the schedule as
    `PerUpdate(schedule, k)` gives it `m // k == u`, so its step counts real
    updates, for keras-lr's schedules and Keras's alike.

    Args:
        schedule: A `LearningRateSchedule` whose steps are optimizer updates.
        accumulation_steps: The optimizer's `gradient_accumulation_steps`,
            an integer > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule` over micro-batches.

    Raises:
        ValueError: If `accumulation_steps` is not an integer > 0.
        TypeError: If `schedule` is neither a schedule nor a number.

    Example:

    >>> sched = keras_lr.PerUpdate(keras_lr.StepDecay(1.0, 1, 0.5), 4)
    >>> optimizer = keras.optimizers.SGD(sched, gradient_accumulation_steps=4)
    >>> keras_lr.schedule_values(sched, 9).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, schedule: Schedule | float, accumulation_steps: int, name: str | None = None
    ):
        super().__init__()
        self._wrap(schedule, "accumulation_steps", accumulation_steps, name)


@keras.saving.register_keras_serializable(package="keras_lr")
class Shifted(ScheduleBase):
    """Move a schedule in time: `lr(step) = schedule(max(step + offset, 0))`.

    A positive `offset` starts the schedule part-way through (resume a cycle
    in a fresh optimizer); a negative one holds its first value for `-offset`
    steps (start it late, after earlier training).

    Args:
        schedule: A `LearningRateSchedule` or a number.
        offset: Steps to add to the optimizer's step, an integer in
            [-(2**31 - 1), 2**31 - 1].
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If `offset` is not an integer.
        TypeError: If `schedule` is neither a schedule nor a number.

    Example:

    >>> sched = keras_lr.Shifted(keras_lr.StepDecay(1.0, 1, 0.5), offset=-2)
    >>> keras_lr.schedule_values(sched, 5).tolist()
    [1.0, 1.0, 1.0, 0.5, 0.25]
    """

    _nested = ("schedule",)

    def __init__(self, schedule: Schedule | float, offset: int, name: str | None = None):
        super().__init__()
        self.schedule = as_schedule("schedule", schedule)
        self.offset = check.integer("offset", offset, -check.MAX_STEPS, check.MAX_STEPS)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        return self.schedule(shift(step, self.offset))
