"""Cyclical learning rates (Smith 2017): triangular, triangular2, exp_range."""

import math
from typing import Any, Literal

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import as_float, as_step

__all__ = ["Cyclical"]

POLICIES = ("triangular", "triangular2", "exp_range")


def cyclical(step: Any, base: Any, peak: Any, up: int, down: int, policy: str,
             gamma: float) -> Any:
    """The cyclical rate at integer `step`; the phase is computed on integers."""
    step = as_step(step)
    period = up + down
    cycle = step // period
    pos = step - cycle * period
    rising = as_float(pos) / up
    falling = as_float(period - pos) / down
    height = (peak - base) * ops.where(pos <= up, rising, falling)
    if policy == "triangular2":
        height = height * ops.power(0.5, as_float(cycle))
    elif policy == "exp_range":
        height = height * ops.exp(as_float(step) * math.log(gamma))
    return base + height


@keras.saving.register_keras_serializable(package="keras_lr")
class Cyclical(ScheduleBase):
    """Cyclical learning rate: a triangle wave between a base and a peak.

    The rate rises linearly from `initial_learning_rate` to
    `max_learning_rate` over `step_size` steps, falls back over
    `step_size_down` steps, and repeats. The values are those of PyTorch's
    `CyclicLR` (step `t` here is `last_epoch = t` there; tested against it).
    The policies (PyTorch's `mode`, named as in Smith's paper):

    - `"triangular"`: every cycle has the same height.
    - `"triangular2"`: the height halves after each cycle.
    - `"exp_range"`: the height is multiplied by `gamma ** step`.

    The position in the cycle is computed on integers, so the schedule is
    exactly periodic at any step.

    Args:
        initial_learning_rate: The base (lowest) learning rate, > 0.
        max_learning_rate: The peak learning rate, >= `initial_learning_rate`.
        step_size: Steps of the rising half-cycle, an integer > 0.
        step_size_down: Steps of the falling half-cycle, an integer > 0
            (`None`: equal to `step_size`).
        policy: `"triangular"`, `"triangular2"` or `"exp_range"` (PyTorch's
            `mode`; `mode=` still works in keras-lr 0.3, deprecated)
        gamma: The per-step factor of `"exp_range"`, in (0, 1].
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range or `policy` is unknown.
        TypeError: If an argument has the wrong type.

    Example:

    >>> sched = keras_lr.Cyclical(0.1, max_learning_rate=1.0, step_size=2)
    >>> keras_lr.schedule_values(sched, 9).round(4).tolist()
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.55, 1.0, 0.55, 0.1]
    >>> sched = keras_lr.Cyclical(0.1, 1.0, step_size=1, policy="triangular2")
    >>> keras_lr.schedule_values(sched, 7).round(4).tolist()
    [0.1, 1.0, 0.1, 0.55, 0.1, 0.325, 0.1]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        max_learning_rate: float,
        step_size: int,
        step_size_down: int | None = None,
        policy: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        policy = check.renamed("Cyclical", kwargs, {"mode": "policy"}, {"policy": policy})["policy"]
        self.initial_learning_rate = check.rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.max_learning_rate = check.number("max_learning_rate", max_learning_rate)
        if self.max_learning_rate < self.initial_learning_rate:
            check.fail(
                "max_learning_rate",
                f">= initial_learning_rate ({self.initial_learning_rate})",
                max_learning_rate,
            )
        check.rate("max_learning_rate", self.max_learning_rate)
        self.step_size = check.steps("step_size", step_size, 1)
        if step_size_down is not None:
            step_size_down = check.steps("step_size_down", step_size_down, 1)
        check.steps_total(("step_size", "step_size_down"),
                          (self.step_size, step_size_down or self.step_size))
        self.step_size_down = step_size_down
        self.policy = check.one_of("policy", policy, POLICIES)
        self.gamma = check.in_range("gamma", gamma, 0.0, 1.0, closed=(False, True))
        self.name = name

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Cyclical":
        config = dict(config)
        if "mode" in config:  # a file saved by keras-lr 0.2
            config["policy"] = config.pop("mode")
        return super().from_config(config)

    def __call__(self, step: Any) -> Any:
        return self._wave(step, self.initial_learning_rate, self.max_learning_rate)

    def momentum(self, step: Any, base_momentum: float = 0.8, max_momentum: float = 0.9) -> Any:
        """The momentum that moves inversely to this rate at `step`.

        `max_momentum` where the rate is at its base, `base_momentum` where it
        peaks, scaled per cycle by the same policy, as PyTorch's `CyclicLR`
        with `cycle_momentum=True`.
        """
        return self._wave(step, float(max_momentum), float(base_momentum))

    def _wave(self, step: Any, low: Any, high: Any) -> Any:
        down = self.step_size_down or self.step_size
        return cyclical(step, low, high, self.step_size, down, self.policy, self.gamma)
