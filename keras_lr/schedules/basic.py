"""Simple decays: constant, step, multi-step and inverse square root."""

import numbers
from typing import Any

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import as_float, as_step, checked_step, const, power, step_dtype

__all__ = ["Constant", "InverseSqrtDecay", "MultiStepDecay", "StepDecay"]

Tensor = Any  # a backend tensor (Keras ships no type information)


@keras.saving.register_keras_serializable(package="keras_lr")
class Constant(ScheduleBase):
    """A constant learning rate, as a schedule (to join or wrap it).

    Args:
        learning_rate: The learning rate, > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule` that returns `learning_rate` at every step.

    Raises:
        ValueError: If `learning_rate` is not > 0.

    Example:

    >>> keras_lr.schedule_values(keras_lr.Constant(0.01), 3).round(6).tolist()
    [0.01, 0.01, 0.01]
    """

    def __init__(self, learning_rate: float, name: str | None = None):
        super().__init__()
        self.learning_rate = check.rate("learning_rate", learning_rate)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = ops.convert_to_tensor(checked_step(step))  # a tensor, also for a Python int
        return ops.full_like(step, self.learning_rate, dtype="float32")


@keras.saving.register_keras_serializable(package="keras_lr")
class StepDecay(ScheduleBase):
    """Multiply the learning rate by `decay_rate` every `decay_steps` steps.

    `lr(step) = initial_learning_rate * decay_rate ** (step // decay_steps)`,
    with the integer division done on integers (exact at any step) and the
    power as `exp(k * log(decay_rate))` in float64 (float32 only on JAX without
    x64), so `decay_rate` is not rounded to float32 first. This is PyTorch's
    `StepLR` (`step_size`, `gamma`; `ExponentialLR(gamma)` with
    `decay_steps=1`), and Keras's `ExponentialDecay` with `staircase=True`
    without its float rounding at large steps.

    Args:
        initial_learning_rate: The learning rate at step 0, > 0.
        decay_steps: Steps between two decays, an integer > 0.
        decay_rate: The factor applied at each decay, in (0, 1] (0.1 by
            default).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range.
        TypeError: If an argument is not a number.

    Example:

    >>> sched = keras_lr.StepDecay(1.0, decay_steps=2, decay_rate=0.5)
    >>> keras_lr.schedule_values(sched, 6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float = 0.1,
        name: str | None = None,
    ):
        super().__init__()
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check.steps("decay_steps", decay_steps, 1)
        self.decay_rate = check.in_range("decay_rate", decay_rate, 0.0, 1.0, (False, True))
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        decays = as_step(step) // const(self.decay_steps)
        return self.initial_learning_rate * power(self.decay_rate, decays)


@keras.saving.register_keras_serializable(package="keras_lr")
class MultiStepDecay(ScheduleBase):
    """Multiply the learning rate by `decay_rate` at each of `boundaries`.

    From step `boundaries[i]` on, the learning rate is
    `initial_learning_rate * decay_rate ** (i + 1)`. This is PyTorch's
    `MultiStepLR` (`milestones`, `gamma`): the boundary step itself already
    has the decayed rate. (Keras's `PiecewiseConstantDecay` switches one step
    later: it keeps the old value *at* the boundary.)

    Args:
        initial_learning_rate: The learning rate before the first boundary.
        boundaries: Strictly increasing steps (integers > 0) at which to decay.
        decay_rate: The factor applied at each boundary, in (0, 1] (0.1 by
            default).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If `boundaries` is empty, not increasing, or an argument
            is out of range.
        TypeError: If an argument has the wrong type.

    Example:

    >>> sched = keras_lr.MultiStepDecay(1.0, boundaries=[2, 3], decay_rate=0.1)
    >>> keras_lr.schedule_values(sched, 5).round(6).tolist()
    [1.0, 1.0, 0.1, 0.01, 0.01]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        boundaries: list[int],
        decay_rate: float = 0.1,
        name: str | None = None,
    ):
        super().__init__()
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.boundaries = check.increasing("boundaries", boundaries, 1)
        if not self.boundaries:
            check.fail("boundaries", "a non-empty list", boundaries)
        self.decay_rate = check.in_range("decay_rate", decay_rate, 0.0, 1.0, (False, True))
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = ops.expand_dims(as_step(step), -1)
        passed = step >= ops.convert_to_tensor([const(b) for b in self.boundaries], step_dtype())
        decays = ops.sum(as_float(passed), axis=-1)
        return self.initial_learning_rate * power(self.decay_rate, decays)



@keras.saving.register_keras_serializable(package="keras_lr")
class InverseSqrtDecay(ScheduleBase):
    """Decay as one over the square root of time.

    `lr(step) = initial_learning_rate / sqrt(1 + decay_rate * step / decay_steps)`,
    the square-root sibling of Keras's `InverseTimeDecay`. Wrapped in
    `Warmup(..., warmup_steps=decay_steps)` with `decay_rate=1` it is the
    Transformer / fairseq "inverse_sqrt" schedule: after warmup the rate is
    `peak * sqrt(warmup_steps / step)`.

    Args:
        initial_learning_rate: The learning rate at step 0, > 0.
        decay_steps: The time scale of the decay, an integer > 0.
        decay_rate: How fast the decay runs, > 0 (1.0 by default).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range.
        TypeError: If an argument is not a number.

    Example:

    >>> sched = keras_lr.InverseSqrtDecay(1.0, decay_steps=1)
    >>> keras_lr.schedule_values(sched, 4).round(4).tolist()
    [1.0, 0.7071, 0.5774, 0.5]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float = 1.0,
        name: str | None = None,
    ):
        super().__init__()
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check.steps("decay_steps", decay_steps, 1)
        self.decay_rate = check.rate("decay_rate", decay_rate)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        rate = self.decay_rate / self.decay_steps
        time = 1.0 + rate * as_float(as_step(step))
        return self.initial_learning_rate * ops.rsqrt(time)


def as_schedule(
    name: str, value: keras.optimizers.schedules.LearningRateSchedule | float
) -> keras.optimizers.schedules.LearningRateSchedule:
    """`value` if it is a `LearningRateSchedule`; a rate (a number) made a `Constant`."""
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(check.rate(name, value))
    check.fail(name, "a LearningRateSchedule or a number", value, TypeError)
