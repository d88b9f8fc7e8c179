"""Finding a model's optimizers and reading their rates and momenta.

What keras-lr changes inside an optimizer goes through `keras_lr._keras`.
"""

import keras
import numpy as np
from keras import ops

from keras_lr import _keras
from keras_lr._keras import Schedule, momentum_name, unwrap
from keras_lr.schedules.compose import Scaled

__all__ = ["Schedule", "applied_learning_rate", "attach",
           "get_learning_rate", "get_momentum", "log_names",
           "make_scalable", "momentum_name", "optimizers_of", "scale_factor", "scale_rate",
           "unwrap"]


def optimizers_of(model):
    """Every optimizer of `model`: `model.optimizer` (or its `.optimizers`)
    and optimizers held as attributes of the model (GAN-style models)."""
    found: list = []
    first = getattr(model, "optimizer", None)
    candidates = list(getattr(unwrap(first), "optimizers", None) or [first])
    candidates += [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    for optimizer in candidates:
        if optimizer is not None and all(unwrap(optimizer) is not f for f in found):
            found.append(unwrap(optimizer))
    return found


def log_names(optimizers, key="learning_rate"):
    """`key` for one optimizer; `key_<name>` for several (as Keras's callbacks)."""
    if len(optimizers) == 1:
        return [key]
    names = [f"{key}_{opt.name}" for opt in optimizers]
    return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]


def get_learning_rate(optimizer) -> float:
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


def get_momentum(optimizer, last: bool = False):
    """The momentum (`momentum` or `beta_1`) of the next update (or of the `last` one
    made), or None."""
    optimizer = unwrap(optimizer)
    name = momentum_name(optimizer)
    if name is None:
        return None
    state = _keras.attached(optimizer)
    scheduled = state.value(name, last) if state is not None else None
    return _float(scheduled) if scheduled is not None else float(getattr(optimizer, name))


def applied_learning_rate(optimizer) -> float:
    """The rate of the optimizer's last update (of its first, before any), as a float.

    What the logs show for an epoch, as Keras's `LearningRateScheduler` logs
    the rate used during the epoch.
    """
    lr = _keras.learning_rate_of(optimizer)
    if not isinstance(lr, Schedule):
        return get_learning_rate(optimizer)
    done = int(ops.convert_to_numpy(_keras.iterations_of(optimizer)))  # micro-batches
    return _float(lr(max(done - 1, 0)))


def attach(optimizer) -> keras.optimizers.Optimizer:
    """Let `optimizer` carry the in-step state of its schedule, on every backend.

    A `keras_lr.Scaled` factor is a variable that callbacks (or you) assign
    between updates. TensorFlow and PyTorch read its current value at every
    update anyway; JAX's compiled train step reads only the variables the
    optimizer carries. `attach` makes the optimizer carry them (its saved
    variables keep Keras's layout; the factor is saved in the schedule's
    config). keras-lr's callbacks call it themselves; call it yourself on
    JAX if you assign `Scaled.factor` by hand, after `compile` and before
    `fit` (or rebuild the train function with
    `model.make_train_function(force=True)`). Without it, JAX raises a
    clear error rather than train at a stale factor.

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
    _keras.attach(optimizer).track()
    return optimizer


def _float(value):
    """A float32 value as the shortest Python float that prints the same (0.1, not
    0.10000000149011612)."""
    return float(str(np.asarray(ops.convert_to_numpy(value))[()]))


def make_scalable(model, caller, factors=None):
    """Let every optimizer of `model` be scaled between updates, on every backend.

    A schedule is wrapped once in `Scaled` (a float rate is a variable
    already) and the optimizer made to carry the factor; `factors` (one per
    optimizer, None to skip) are then set. The train step is rebuilt if
    anything changed. A callable rate cannot be scaled: `TypeError`.
    """
    changed = False
    for optimizer in optimizers_of(model):
        lr = _keras.learning_rate_of(optimizer)
        if _keras.is_variable(lr):
            continue
        if not isinstance(lr, Schedule):
            raise TypeError(
                f"{caller} can scale a float learning rate or a LearningRateSchedule; "
                f"{optimizer.name} holds {lr!r}. Wrap the callable in a "
                "`keras.optimizers.schedules.LearningRateSchedule` subclass."
            )
        if not isinstance(lr, Scaled):
            _keras.set_learning_rate(optimizer, Scaled(lr))
            changed = True
        changed |= _keras.attach(optimizer).track()
    for optimizer, factor in zip(optimizers_of(model), factors or [], strict=False):
        lr = _keras.learning_rate_of(optimizer)
        if factor is not None and isinstance(lr, Scaled):
            lr.factor.assign(factor)
    if changed:
        model.make_train_function(force=True)


def scale_rate(optimizer, ratio):
    """Multiply the rate of every later update by `ratio` (after `make_scalable`)."""
    lr = _keras.learning_rate_of(optimizer)
    if isinstance(lr, Scaled):
        lr.factor.assign(float(ops.convert_to_numpy(lr.factor)) * ratio)
    else:
        unwrap(optimizer).learning_rate = float(ops.convert_to_numpy(lr)) * ratio


def scale_factor(optimizer):
    """The factor of the optimizer's `Scaled` schedule, or None (a float rate)."""
    lr = _keras.learning_rate_of(optimizer)
    return float(ops.convert_to_numpy(lr.factor)) if isinstance(lr, Scaled) else None
