"""Custom schedules without writing a class: through given points, or from a function."""

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Literal

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from keras_lr import _checks as check
from keras_lr.schedules._base import ScheduleBase
from keras_lr.schedules._math import (
    SHAPE_ALIASES,
    SHAPES,
    as_float,
    as_step,
    at_least,
    at_most,
    const,
    end_weights,
    step_dtype,
)

MAX_TABLE = 1_000_000  # entries of a tabulated schedule
Tensor = Any  # a backend tensor (Keras ships no type information)


def _table(values: npt.ArrayLike, dtype: str) -> Tensor:
    return ops.convert_to_tensor(np.asarray(values, dtype=dtype))


@keras.saving.register_keras_serializable(package="keras_lr")
class Interpolated(ScheduleBase):
    """A schedule through given `(step, rate)` points, linear or cosine between them.

    Before the first point the rate is the first point's, after the last the
    last point's. With `steps_per_epoch`, the points' positions are epochs
    (fractions allowed), converted to updates as `round(epoch * steps_per_epoch)`.
    The position between two points is computed from the integer distance
    to the first, so the values are exact at every step up to 2**31 - 1. The
    points are the config, so the schedule saves and reloads with a model.

    Args:
        points: A list of `(step, rate)` pairs, steps (or epochs) strictly
            increasing and >= 0, rates >= 0 (a rate of 0 is allowed, as at
            the start of a warmup).
        shape: `"linear"` or `"cosine"` between consecutive points
            (PyTorch's `"cos"` is accepted).
        steps_per_epoch: `None` (positions are updates) or updates per epoch.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: If the points are not increasing or a rate is negative;
            the message names the point (`points[i]`).
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
        per = steps_per_epoch
        if per is not None:
            per = check.steps("steps_per_epoch", per, 1)
        pairs, steps = [], []
        for i, pair in enumerate(points):
            name = f"points[{i}]"
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                check.fail(name, "a (step, rate) pair", pair, TypeError)
            position = pair[0]
            if isinstance(position, bool) or not isinstance(position, numbers.Real):
                check.fail(name, "a (step, rate) pair with a numeric step", pair, TypeError)
            if not (math.isfinite(position) and 0 <= position <= check.MAX_STEPS):
                check.fail(name, f"a (step, rate) pair with a step in [0, {check.MAX_STEPS}]", pair)
            if per is None and position != int(position):
                check.fail(name, "at a whole step (or give steps_per_epoch)", pair)
            pairs.append((float(position), check.rate_or_zero(name, pair[1], pair)))
            steps.append(round(float(position) * (per or 1)))
            if i and steps[-1] <= steps[-2]:
                check.fail(name, f"at a step after points[{i - 1}]'s ({steps[-2]})", pair)
            if steps[-1] > check.MAX_STEPS:
                check.fail(name, f"at a step <= {check.MAX_STEPS}", pair)
        self.points = [list(p) for p in pairs]
        self.shape = check.one_of("shape", shape, SHAPES, SHAPE_ALIASES)
        self.steps_per_epoch = per
        self._steps = steps
        self._rates = [p[1] for p in pairs]
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        step = as_step(step)
        steps, rates = self._steps, self._rates
        if len(steps) == 1:
            return ops.full_like(as_float(step), rates[0])
        starts = _table(steps[:-1], step_dtype())
        flat = ops.searchsorted(starts, ops.reshape(step, [-1]), side="right")  # 1-D for TF
        index = ops.clip(ops.reshape(flat, ops.shape(step)) - 1, 0, len(steps) - 2)
        begin = ops.take(starts, index)
        span = ops.take(_table(np.diff(steps), "float32"), index)
        # The distance from the point before is an integer (exact at any step): only
        # the fraction is a float, and it is exactly 1 at the next point.
        done = as_float(at_least(step, begin) - begin)
        pct = ops.clip(done / span, 0.0, 1.0)
        rest = ops.clip((span - done) / span, 0.0, 1.0)  # 1 - pct, without cancellation
        to_start, to_end = end_weights(pct, rest, self.shape)
        return (ops.take(_table(rates[:-1], "float32"), index) * to_start
                + ops.take(_table(rates[1:], "float32"), index) * to_end)


@keras.saving.register_keras_serializable(package="keras_lr")
class Tabulated(ScheduleBase):
    """A rate per unit of time from a table: `values[min(step // steps_per_value, n - 1)]`.

    `from_function` builds one from a Python function of the epoch or the
    step (as Keras's `LearningRateScheduler` and PyTorch's `LambdaLR` take);
    the table, not the function, is the config, so the schedule runs inside
    the compiled step and reloads without the function.

    Args:
        values: The rates, each >= 0 (at most 1,000,000 of them).
        steps_per_value: Updates each value lasts (an epoch's updates for a
            per-epoch table), an integer > 0.
        name: Optional name of the schedule.

    Returns:
        A `LearningRateSchedule`; after the table the last value holds.

    Raises:
        ValueError: If a value is negative (the message names `values[i]`) or
            the table is empty or too long.
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
        self.values = [check.rate_or_zero(f"values[{i}]", v) for i, v in enumerate(values)]
        self.steps_per_value = check.steps("steps_per_value", steps_per_value, 1)
        self.name = name

    def __call__(self, step: int | Tensor) -> Tensor:
        index = at_most(as_step(step) // const(self.steps_per_value), const(len(self.values) - 1))
        return ops.take(_table(self.values, "float32"), ops.cast(index, "int32"))


def from_function(
    fn: Callable[..., float],
    length: int,
    unit: Literal["epoch", "step"] = "epoch",
    steps_per_epoch: int | None = None,
    learning_rate: float | None = None,
) -> Tabulated:
    """A schedule from a Python function of the epoch (or the step), tabulated once.

    `fn` is called for `i = 0 .. length - 1` (epochs or steps) and the rates
    are stored in a `Tabulated` schedule, which Keras evaluates inside the
    compiled train step (exact under `steps_per_execution`) and which saves
    and reloads with the model: no code is serialized. After `length` the
    last rate holds. For `unit="epoch"` the rate changes at epoch boundaries,
    as with Keras's `LearningRateScheduler`. Three kinds of `fn`:

    - `fn(i)` returning the rate (`learning_rate=None`).
    - `fn(i)` returning a *factor* of `learning_rate`: PyTorch's `LambdaLR`
      and Hugging Face's schedule lambdas, `rate = learning_rate * fn(i)`.
    - `fn(i, lr)`, Keras's `LearningRateScheduler` function: it gets the
      rate of the epoch before (`learning_rate` at epoch 0) and returns the
      new one.

    `fn` may return a Python or NumPy number or a scalar tensor; a rate of 0
    is allowed.

    Args:
        fn: A function of the epoch or step (or of it and the previous rate).
        length: How many epochs (or steps) to tabulate, an integer > 0.
        unit: `"epoch"` or `"step"`.
        steps_per_epoch: Updates per epoch, needed for `unit="epoch"`.
        learning_rate: The base rate `fn`'s factors multiply, or the rate a
            two-argument `fn` gets at epoch 0 (needed then); > 0.

    Returns:
        A `keras_lr.Tabulated` schedule.

    Raises:
        ValueError: If an argument is out of range or `fn` returns a rate
            that is negative or not finite.
        TypeError: If `fn` is not callable, or takes two arguments without
            `learning_rate`.

    Example:

    >>> sched = keras_lr.from_function(lambda epoch: 0.1 * 0.5 ** (epoch // 2), 5,
    ...                                steps_per_epoch=3)
    >>> keras_lr.schedule_values(sched, 15).round(4).tolist()[::3]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    >>> hf = lambda step: min(step / 2, 1.0)  # a Hugging Face warmup lambda
    >>> keras_lr.schedule_values(keras_lr.from_function(hf, 4, "step", learning_rate=0.1), 4
    ...                          ).round(4).tolist()
    [0.0, 0.05, 0.1, 0.1]
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
    if learning_rate is not None:
        learning_rate = check.rate("learning_rate", learning_rate)
    chained = _takes_two(fn)
    if chained and learning_rate is None:
        check.fail("fn", "a function of the epoch only, or given with `learning_rate` "
                   "(the rate a Keras LearningRateScheduler function fn(epoch, lr) starts "
                   "from)", fn, TypeError)
    name = getattr(fn, "__name__", "fn")
    values: list[float] = []
    for i in range(length):
        value: object = fn(i, values[-1] if values else learning_rate) if chained else fn(i)
        value = _scalar(value)
        if learning_rate is not None and not chained and isinstance(value, float):
            value *= learning_rate
        try:
            values.append(check.rate_or_zero("fn", value))
        except (ValueError, TypeError):
            check.fail("fn", "a function returning float32 rates >= 0 "
                       f"({name}({i}) returned {value!r})", fn)
    return Tabulated(values, every)


def _takes_two(fn: Callable[..., object]) -> bool:
    """Whether `fn` takes a second positional argument (Keras's `fn(epoch, lr)`)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    return len(required) >= 2


def _scalar(value: object) -> object:
    """A Python float from a number or a scalar array/tensor; `value` itself otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "shape") and tuple(value.shape) == ():
        try:
            return float(ops.convert_to_numpy(value))
        except (TypeError, ValueError):
            return value
    return value


__all__ = ["Interpolated", "Tabulated", "from_function"]
