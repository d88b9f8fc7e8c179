"""Reading an optimizer's learning rate and momentum, and letting it carry keras-lr's state."""

import keras
import numpy as np
from keras import ops

from keras_lr import _instep
from keras_lr._keras import momentum_name, unwrap

__all__ = ["attach", "get_learning_rate", "get_momentum"]


def get_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate `optimizer` applies at its next update, as a float.

    Works for a float learning rate, any `LearningRateSchedule` (evaluated at
    the optimizer's current step) and wrapped optimizers such as
    `LossScaleOptimizer`.

    Args:
        optimizer: A Keras optimizer.

    Returns:
        The learning rate as a Python float.

    Example:

    >>> opt = keras.optimizers.SGD(keras_lr.StepDecay(0.1, 10, 0.5))
    >>> keras_lr.get_learning_rate(opt)
    0.1
    """
    return _float(unwrap(optimizer).learning_rate)


def get_momentum(optimizer: keras.optimizers.Optimizer, last: bool = False) -> float | None:
    """The momentum (`momentum` or `beta_1`) of the next update (or of the `last` one
    made), or None."""
    optimizer = unwrap(optimizer)
    name = momentum_name(optimizer)
    if name is None:
        return None
    state = _instep.attached(optimizer)
    scheduled = state.value(name, last) if state is not None else None
    return _float(scheduled) if scheduled is not None else float(getattr(optimizer, name))


def attach(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """Let `optimizer` carry the in-step state of its schedule now (optional).

    A `keras_lr.Scaled` factor is a variable that callbacks (or you) assign
    between updates; every backend reads its current value at every update.
    On JAX the compiled train step reads the variables the optimizer
    carries: keras-lr's callbacks make it carry the factor, and without them
    a step that was compiled with the factor as a constant is rebuilt when
    the factor is first assigned (an assignment during `fit` also reaches
    the in-flight state). `attach` makes the optimizer carry it from the
    start, which saves that one rebuild. Its saved variables keep Keras's
    layout; the factor is saved in the schedule's config.

    Args:
        optimizer: A Keras optimizer (or a `LossScaleOptimizer`).

    Returns:
        The same optimizer.

    Example:

    ```python
    schedule = keras_lr.Scaled(keras.optimizers.schedules.CosineDecay(0.1, 1000))
    model.compile(keras_lr.attach(keras.optimizers.SGD(schedule)), loss="mse")
    model.fit(x, y, epochs=1)
    schedule.factor.assign(0.5)  # the next update runs at half the rate
    ```
    """
    _instep.attach(optimizer).track()
    return optimizer


def _float(value: object) -> float:
    """A float32 value as the shortest Python float that prints the same (0.1, not
    0.10000000149011612)."""
    return float(str(np.asarray(ops.convert_to_numpy(value))[()]))
