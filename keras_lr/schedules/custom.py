"""Custom schedules without writing a class: through given points, or from a function."""

import itertools
from collections.abc import Callable, Sequence
from typing import Literal

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import (
    SHAPE_ALIASES,
    SHAPES,
    anneal,
    as_float,
    as_step,
    at_most,
    const,
    step_dtype,
)

MAX_TABLE = 1_000_000  # entries of a tabulated schedule


def _table(values, dtype):
    return ops.convert_to_tensor(np.asarray(values, dtype=dtype))


@keras.saving.register_keras_serializable(package="keras_lr")
class Interpolated(ScheduleBase):
    """A schedule through given `(step, rate)` points, linear or cosine between them.

    Before the first point the rate is the first point's, after the last the
    last point's. With `steps_per_epoch`, the points' positions are epochs
    (fractions allowed), converted to updates as `round(epoch * steps_per_epoch)`.
    The points are the config, so the schedule saves and reloads with a model.

    Args:
        points: A list of `(step, rate)` pairs, steps (or epochs) strictly
            increasing and >= 0, rates > 0.
        shape: `"linear"` or `"cosine"` between consecutive points
            (PyTorch's `"cos"` is accepted).
        steps_per_epoch: `None` (positions are updates) or updates per epoch.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If the points are not increasing or a rate is not > 0.
        TypeError: If `points` is not a list of pairs.

    Example:

    >>> sched = keras_lr.Interpolated([(0, 0.1), (4, 1.0), (8, 0.2)])
    >>> keras_lr.schedule_values(sched, 10).round(4).tolist()
    [0.1, 0.325, 0.55, 0.775, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]
    """

    def __init__(
        self,
        points: Sequence[Sequence[float]],
        shape: Literal["linear", "cosine", "cos"] = "linear",
        steps_per_epoch: int | None = None,
        name: str | None = None,
    ):
        super().__init__()
        if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or not points:
            check.fail("points", "a non-empty list of (step, rate) pairs", points, TypeError)
        pairs = []
        for pair in points:
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                check.fail("points", "a list of (step, rate) pairs", points, TypeError)
            position = check.in_range("points", pair[0], 0.0, float(check.MAX_STEPS))
            pairs.append((position, check.rate("points", pair[1])))
        self.points = [list(p) for p in pairs]
        self.shape = check.one_of("shape", shape, SHAPES, SHAPE_ALIASES)
        if steps_per_epoch is not None:
            steps_per_epoch = check.steps("steps_per_epoch", steps_per_epoch, 1)
        self.steps_per_epoch = steps_per_epoch
        steps = [round(p[0] * (steps_per_epoch or 1)) for p in pairs]
        if steps_per_epoch is None and any(p[0] != int(p[0]) for p in pairs):
            check.fail("points", "at whole steps (or give steps_per_epoch)", points)
        if any(b <= a for a, b in itertools.pairwise(steps)):
            check.fail("points", "at strictly increasing steps", points)
        if steps[-1] > check.MAX_STEPS:
            check.fail("points", f"at steps <= {check.MAX_STEPS}", points)
        self._steps = steps
        self._rates = [p[1] for p in pairs]
        self.name = name

    def __call__(self, step):
        step = as_step(step)
        steps, rates = self._steps, self._rates
        if len(steps) == 1:
            return ops.full_like(as_float(step), rates[0])
        starts = _table(steps[:-1], step_dtype())
        flat = ops.searchsorted(starts, ops.reshape(step, [-1]), side="right")  # 1-D for TF
        index = ops.clip(ops.reshape(flat, ops.shape(step)) - 1, 0, len(steps) - 2)
        begin = ops.take(_table(steps[:-1], "float32"), index)
        span = ops.take(_table(np.diff(steps), "float32"), index)
        pct = ops.clip((as_float(step) - begin) / span, 0.0, 1.0)
        return anneal(ops.take(_table(rates[:-1], "float32"), index),
                      ops.take(_table(rates[1:], "float32"), index), pct, self.shape)


@keras.saving.register_keras_serializable(package="keras_lr")
class Tabulated(ScheduleBase):
    """A rate per unit of time from a table: `values[min(step // steps_per_value, n - 1)]`.

    `from_function` builds one from a Python function of the epoch or the
    step (as Keras's `LearningRateScheduler` and PyTorch's `LambdaLR` take);
    the table, not the function, is the config, so the schedule runs inside
    the compiled step and reloads without the function.

    Args:
        values: The rates, each > 0 (at most 1,000,000 of them).
        steps_per_value: Updates each value lasts (an epoch's updates for a
            per-epoch table), an integer > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`; after the table the last value holds.

    Raises:
        ValueError: If a value is not > 0 or the table is empty or too long.
        TypeError: If `values` is not a list of numbers.

    Example:

    >>> sched = keras_lr.Tabulated([1.0, 0.5, 0.25], steps_per_value=2)
    >>> keras_lr.schedule_values(sched, 8).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    """

    def __init__(self, values: Sequence[float], steps_per_value: int = 1, name: str | None = None):
        super().__init__()
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            check.fail("values", "a non-empty list of rates", values, TypeError)
        if len(values) > MAX_TABLE:
            check.fail("values", f"at most {MAX_TABLE} rates", f"<{len(values)} rates>")
        self.values = [check.rate("values", v) for v in values]
        self.steps_per_value = check.steps("steps_per_value", steps_per_value, 1)
        self.name = name

    def __call__(self, step):
        index = at_most(as_step(step) // const(self.steps_per_value), const(len(self.values) - 1))
        return ops.take(_table(self.values, "float32"), ops.cast(index, "int32"))


def from_function(
    fn: Callable[[int], float],
    length: int,
    unit: Literal["epoch", "step"] = "epoch",
    steps_per_epoch: int | None = None,
) -> Tabulated:
    """A schedule from a Python function of the epoch (or the step), tabulated once.

    `fn(i)` is called for `i = 0 .. length - 1` (epochs or steps) and the
    rates are stored in a `Tabulated` schedule, which Keras evaluates inside
    the compiled train step (exact under `steps_per_execution`) and which
    saves and reloads with the model: no code is serialized. After `length`
    the last rate holds. For `unit="epoch"` the rate changes at epoch
    boundaries, as with Keras's `LearningRateScheduler`.

    Args:
        fn: A function of one integer (the epoch or step) returning a rate > 0.
        length: How many epochs (or steps) to tabulate, an integer > 0.
        unit: `"epoch"` or `"step"`.
        steps_per_epoch: Updates per epoch, needed for `unit="epoch"`.

    Returns:
        A `keras_lr.Tabulated` schedule.

    Raises:
        ValueError: If an argument is out of range or `fn` returns a rate
            that is not finite and > 0.
        TypeError: If `fn` is not callable.

    Example:

    >>> sched = keras_lr.from_function(lambda epoch: 0.1 * 0.5 ** (epoch // 2), 5,
    ...                                steps_per_epoch=3)
    >>> keras_lr.schedule_values(sched, 15).round(4).tolist()[::3]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    if not callable(fn):
        check.fail("fn", "a function of the epoch or step", fn, TypeError)
    length = check.steps("length", length, 1)
    if length > MAX_TABLE:
        check.fail("length", f"<= {MAX_TABLE}", length)
    unit = check.one_of("unit", unit, ("epoch", "step"))
    every = 1
    if unit == "epoch":
        if steps_per_epoch is None:
            check.fail("steps_per_epoch", "given for unit='epoch'", steps_per_epoch, TypeError)
        every = check.steps("steps_per_epoch", steps_per_epoch, 1)
    values = []
    for i in range(length):
        value = fn(i)
        try:
            values.append(check.rate("fn", value))
        except (ValueError, TypeError):
            name = getattr(fn, "__name__", "fn")
            check.fail("fn", "a function returning float32 rates > 0 "
                       f"({name}({i}) returned {value!r})", fn)
    return Tabulated(values, every)


__all__ = ["Interpolated", "Tabulated", "from_function"]
