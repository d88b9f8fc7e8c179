"""The 1-cycle policy (Smith & Topin 2018), as PyTorch's `OneCycleLR`."""

from collections.abc import Sequence
from typing import Any, Literal

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import (
    SHAPE_ALIASES,
    SHAPES,
    as_float,
    as_step,
    at_most,
    const,
    end_weights,
)

__all__ = ["OneCycle", "phased"]

Tensor = Any  # a backend tensor (Keras ships no type information)


def phased(step: int | Tensor, ends: Sequence[float], levels: Sequence[float],
           shape: str) -> Tensor:
    """Anneal `levels[i] -> levels[i + 1]` over phase `i`.

    Phase `i` covers the steps up to `ends[i]` (floats, increasing) not
    claimed by an earlier phase; the last phase also takes any later step.
    A phase of length <= 0 is at its end (PyTorch divides by zero there).
    The phase's constants are selected first, so the position in the phase,
    `(t - begin) / span`, and the annealing are computed once.
    """
    t = as_float(step)
    begin = finish = span = start = end = None
    for i in reversed(range(len(ends))):
        first = ends[i - 1] if i else 0.0
        length = ends[i] - first
        # A phase of length <= 0 holds at most its own end step: there pct = 1.
        here = ((first, ends[i], length) if length > 0 else (ends[i] - 1.0, ends[i], 1.0)) \
            + tuple(levels[i: i + 2])
        if begin is None:
            begin, finish, span, start, end = here
            continue
        inside = t <= ends[i]
        begin, finish, span, start, end = (
            ops.where(inside, new, old)
            for new, old in zip(here, (begin, finish, span, start, end), strict=True)
        )
    # `t - begin` and `finish - t` are exact for integer steps below 2**24 where the
    # phase ends are whole, and each weight comes from its own distance: the first
    # step of a phase is at its start level and its last step at exactly its end level.
    pct = ops.clip((t - begin) / span, 0.0, 1.0)  # later steps of a last phase hold its end
    rest = ops.clip((finish - t) / span, 0.0, 1.0)
    to_start, to_end = end_weights(pct, rest, shape)
    return start * to_start + end * to_end


@keras.saving.register_keras_serializable(package="keras_lr")
class OneCycle(ScheduleBase):
    """The 1-cycle learning rate policy.

    The rate warms up from `max_learning_rate / div_factor` to
    `max_learning_rate` over the first `pct_start` of `total_steps`, then
    anneals to `max_learning_rate / div_factor / final_div_factor` at step
    `total_steps - 1`, and holds that value afterwards (training a few steps
    longer than planned is not an error). With `three_phase=True` it comes
    back down to the initial rate symmetrically, then anneals to the final
    rate. The values are those of PyTorch's `OneCycleLR` (step `t` here is the
    rate after `t` calls of its `step()`). To cycle momentum as well, use the
    1-cycle callback.

    Args:
        max_learning_rate: The peak learning rate, > 0.
        total_steps: The number of updates of the cycle, an integer > 0.
        pct_start: The fraction of the cycle spent warming up, in (0, 1).
        div_factor: `initial = max_learning_rate / div_factor`, >= 1.
        final_div_factor: `final = initial / final_div_factor`, >= 1.
        anneal_strategy: `"cosine"` or `"linear"`; PyTorch's `"cos"` is
            accepted for `"cosine"`.
        three_phase: Whether to come back to the initial rate before the
            final annealing (`pct_start` must then be < 0.5).
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If an argument is out of range or a mode is unknown.
        TypeError: If an argument has the wrong type.

    Example:

    >>> sched = keras_lr.OneCycle(1.0, total_steps=6, pct_start=0.5,
    ...                           div_factor=10.0, final_div_factor=10.0,
    ...                           anneal_strategy="linear")
    >>> keras_lr.schedule_values(sched, 8).round(4).tolist()
    [0.1, 0.55, 1.0, 0.67, 0.34, 0.01, 0.01, 0.01]
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal_strategy: Literal["cosine", "cos", "linear"] = "cosine",
        three_phase: bool = False,
        name: str | None = None,
    ):
        super().__init__()
        self.max_learning_rate = check.rate("max_learning_rate", max_learning_rate)
        self.total_steps = check.steps("total_steps", total_steps, 1)
        self.three_phase = check.boolean("three_phase", three_phase)
        high = 0.5 if three_phase else 1.0
        self.pct_start = check.in_range("pct_start", pct_start, 0.0, high, (False, False))
        self.div_factor = check.at_least("div_factor", div_factor, 1.0)
        self.final_div_factor = check.at_least("final_div_factor", final_div_factor, 1.0)
        self.anneal_strategy = check.one_of(
            "anneal_strategy", anneal_strategy, SHAPES, SHAPE_ALIASES
        )
        self.name = name

    def _ends(self) -> list[float]:
        warm_end = self.pct_start * self.total_steps - 1.0
        last = self.total_steps - 1.0
        return [warm_end, 2 * warm_end, last] if self.three_phase else [warm_end, last]

    def _curve(self, step: int | Tensor, levels: list[float]) -> Tensor:
        step = at_most(as_step(step), const(self.total_steps - 1))
        return phased(step, self._ends(), levels, self.anneal_strategy)

    def __call__(self, step: int | Tensor) -> Tensor:
        peak = self.max_learning_rate
        initial = peak / self.div_factor
        final = initial / self.final_div_factor
        if self.three_phase:
            return self._curve(step, [initial, peak, initial, final])
        return self._curve(step, [initial, peak, final])

    def momentum(self, step: int | Tensor, base_momentum: float = 0.85,
                 max_momentum: float = 0.95) -> Tensor:
        """The momentum that 1-cycle pairs with this rate at `step`.

        It moves inversely to the rate, as in PyTorch's `OneCycleLR`: from
        `max_momentum` down to `base_momentum` while the rate warms up, and
        back to `max_momentum` while it anneals (held there in the third
        phase of `three_phase`).
        """
        low, high = float(base_momentum), float(max_momentum)
        levels = [high, low, high, high] if self.three_phase else [high, low, high]
        return self._curve(step, levels)
