"""Schedule values as NumPy arrays, and plots (matplotlib is imported lazily)."""

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from keras_lr import _checks as check

__all__ = ["plot_schedule", "schedule_values"]

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Tensor = Any  # a backend tensor (Keras ships no type information)


def _steps(steps: npt.ArrayLike) -> npt.NDArray[Any]:
    """A count `n` (an integral float such as 1e3 too) as `0 .. n - 1`; else the steps."""
    if isinstance(steps, (numbers.Real, bool, np.bool_)) and not isinstance(steps, np.ndarray):
        return np.arange(check.integer("steps", steps), dtype="int64")
    return np.asarray(steps)


def schedule_values(
    schedule: keras.optimizers.schedules.LearningRateSchedule | Callable[[Tensor], Tensor],
    steps: npt.ArrayLike,
) -> np.ndarray:
    """The learning rates of `schedule` at `steps`, as a float64 NumPy array.

    The schedule is evaluated once on the whole vector of steps; schedules
    that do not vectorize (Keras's `CosineDecay` with warmup uses `ops.cond`)
    are mapped over the steps with `keras.ops.vectorized_map`.

    Args:
        schedule: A `LearningRateSchedule` (or any callable of the step).
        steps: An integer `n` for steps `0 .. n - 1` (an integral float such
            as `1e3` counts too), or an array of steps.

    Returns:
        A float64 array of the same length as the steps.

    Raises:
        ValueError: If a count is negative or not integral.
        TypeError: If a count is not a number.

    Example:

    >>> keras_lr.schedule_values(keras_lr.StepDecay(1.0, 2, 0.5), [0, 2, 4])
    array([1.  , 0.5 , 0.25])
    """
    from keras_lr.schedules._math import checked_step

    steps = cast("npt.NDArray[Any]", checked_step(_steps(steps)))  # an array in, an array out
    try:
        values = schedule(steps)
    except (ValueError, TypeError):
        values = ops.vectorized_map(schedule, ops.convert_to_tensor(steps))
    values = np.asarray(ops.convert_to_numpy(values), dtype="float64")
    return np.broadcast_to(values, steps.shape).copy()


def new_axes(ax: "Axes | None", caller: str) -> "Axes":
    """`ax`, or the axes of a new matplotlib figure (matplotlib imported here, lazily)."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(f"{caller} needs matplotlib: pip install 'keras-lr[plot]'") from error
    return plt.subplots()[1]


def plot_schedule(
    schedule: keras.optimizers.schedules.LearningRateSchedule | Callable[[Tensor], Tensor],
    steps: npt.ArrayLike,
    ax: "Axes | None" = None,
    **plot_kwargs: Any,
) -> "Axes":
    """Draw the learning rate of `schedule` against the step.

    Args:
        schedule: A `LearningRateSchedule`.
        steps: An integer `n` for steps `0 .. n - 1`, or an array of steps.
        ax: The matplotlib `Axes` to draw on (`None`: a new figure).
        **plot_kwargs: Passed on to `ax.plot` (`label`, `color`, ...).

    Returns:
        The `Axes`.

    Raises:
        ImportError: If matplotlib is not installed (`pip install keras-lr[plot]`).
    """
    ax = new_axes(ax, "plot_schedule")
    steps = _steps(steps)
    plot_kwargs.setdefault("label", getattr(schedule, "name", None) or type(schedule).__name__)
    ax.plot(steps, schedule_values(schedule, steps), **plot_kwargs)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    return ax
