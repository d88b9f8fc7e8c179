"""What keras-lr's callbacks share: the model's optimizers, the logged rate, scaling.

What keras-lr changes inside an optimizer goes through `keras_lr._instep`.
"""

from keras import ops

from keras_lr import _instep, _keras
from keras_lr._keras import Schedule, momentum_name, optimizers_of, unwrap
from keras_lr.rates import _float, get_learning_rate, get_momentum

__all__ = ["Schedule", "applied_learning_rate", "begin_scaling", "get_learning_rate",
           "get_momentum", "log_names", "momentum_name", "optimizers_of", "scale_factors",
           "unwrap"]


def log_names(optimizers, key="learning_rate"):
    """`key` for one optimizer; `key_<name>` for several (as Keras's callbacks)."""
    if len(optimizers) == 1:
        return [key]
    names = [f"{key}_{opt.name}" for opt in optimizers]
    return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]


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


def begin_scaling(model, caller, factors=None, skip_nonfinite=False):
    """Start a fit in which `caller` scales every optimizer's rate (and skips non-finite
    updates); `factors` (one per optimizer, None to keep) from a saved state."""
    changed = False
    states = _instep.begin(model)
    for state, factor in zip(states, [*(factors or []), *[None] * len(states)], strict=False):
        changed |= state.make_scalable(caller)
        if factor is not None:
            changed |= state.set_factor(factor)
        if skip_nonfinite:
            changed |= state.enable_skipping()
    if changed:
        _keras.rebuild(model)


def scale_factors(model):
    """The scale factor of each optimizer of `model` (its state for weights-only resumes)."""
    states = [_instep.attached(optimizer) for optimizer in optimizers_of(model)]
    return [state.factor_now() if state is not None else 1.0 for state in states]
