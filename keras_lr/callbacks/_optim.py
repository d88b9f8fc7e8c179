"""Finding a model's optimizers, reading their rates, and swapping schedules in.

Keras facts this relies on (Keras 3): `optimizer._learning_rate` holds the
float-LR variable or the schedule, and the compiled step calls the schedule
with the update count; `LossScaleOptimizer` delegates to `inner_optimizer`;
SGD/RMSprop read `momentum` and the Adam family `beta_1` inside the step with
`ops.cast(...)` and `1 - beta_1`.
"""

import numbers
import warnings

import keras
import numpy as np
from keras import ops

Schedule = keras.optimizers.schedules.LearningRateSchedule


def unwrap(optimizer):
    """The optimizer that does the updates (through `LossScaleOptimizer`)."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def optimizers_of(model):
    """Every optimizer of `model`: `model.optimizer` (or its `.optimizers`)
    and optimizers held as attributes of the model (GAN-style models)."""
    found = []
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


def momentum_name(optimizer):
    """"beta_1" (Adam family), "momentum" (SGD, RMSprop) or None."""
    for name in ("beta_1", "momentum"):
        if isinstance(getattr(optimizer, name, None), numbers.Real):
            return name
    return None


def get_momentum(optimizer):
    """The momentum (`momentum` or `beta_1`) of the next update, or None."""
    optimizer = unwrap(optimizer)
    name = momentum_name(optimizer)
    if name is None:
        return None
    value = getattr(optimizer, name)
    return _float(value.value()) if isinstance(value, ScheduledHyperparameter) else float(value)


def _float(value):
    """A float32 value as the shortest Python float that prints the same (0.1, not
    0.10000000149011612)."""
    return float(str(np.asarray(ops.convert_to_numpy(value))[()]))


class ScheduledHyperparameter(float):
    """A float hyperparameter that the compiled step reads as `curve(step)`.

    To Python it is the float it replaced (so the optimizer's checks and
    `get_config` are unchanged); converted to a tensor, or in arithmetic, it
    is `curve(optimizer.iterations)`, computed inside the train step at
    every update. On TensorFlow the conversion goes through `__tf_tensor__`.
    Copies are plain floats. `dtype` lets Keras's type promotion (as in
    `variable * beta_1`, Nadam) treat it as a float32 scalar.
    """

    dtype = "float32"

    def __new__(cls, original, curve, optimizer):
        self = super().__new__(cls, original)
        self.curve, self.optimizer = curve, optimizer
        return self

    def value(self):
        return self.curve(self.optimizer.iterations)

    def __tf_tensor__(self, dtype=None, name=None):
        value = self.value()
        return value if dtype is None else ops.cast(value, dtype)

    def __jax_array__(self):
        return self.value()

    def __reduce__(self):
        return (float, (float(self),))

    def __add__(self, other):
        return self.value() + other

    def __radd__(self, other):
        return other + self.value()

    def __sub__(self, other):
        return self.value() - other

    def __rsub__(self, other):
        return other - self.value()

    def __mul__(self, other):
        return self.value() * other

    def __rmul__(self, other):
        return other * self.value()

    def __truediv__(self, other):
        return self.value() / other

    def __rtruediv__(self, other):
        return other / self.value()

    def __pow__(self, other):
        return self.value() ** other

    def __rpow__(self, other):
        return other**self.value()

    def __neg__(self):
        return -self.value()


class Swap:
    """Put a schedule (and a momentum curve) into an optimizer; put back the originals.

    The attribute is set directly rather than through the `learning_rate`
    setter, which would untrack a float-LR variable and change the list of
    optimizer variables that `.keras` files store.
    """

    def __init__(self, optimizer, schedule, momentum_curve=None):
        self.optimizer = optimizer
        self.learning_rate = lr = optimizer._learning_rate
        optimizer._learning_rate = schedule
        # A checkpoint saved mid-fit must describe the user's optimizer, whose variables
        # it stores (a float-LR variable included): report the original rate.
        saved_rate = (lambda: float(ops.convert_to_numpy(lr))) if isinstance(lr, keras.Variable) \
            else (lambda: keras.saving.serialize_keras_object(lr))
        optimizer.get_config = lambda: {
            **type(optimizer).get_config(optimizer), "learning_rate": saved_rate()}
        self.momentum = None
        if momentum_curve is None:
            return
        name = momentum_name(optimizer)
        original = getattr(optimizer, name, 0.0) if name else 0.0
        if not original:  # no attribute, or SGD built without momentum slots
            warnings.warn(
                f"{type(optimizer).__name__} has no momentum to cycle (SGD and RMSprop "
                "need momentum > 0 at construction); cycling the learning rate only.",
                stacklevel=3,
            )
            return
        self.momentum = (name, original)
        setattr(optimizer, name, ScheduledHyperparameter(original, momentum_curve, optimizer))

    def restore(self):
        self.optimizer._learning_rate = self.learning_rate
        self.optimizer.__dict__.pop("get_config", None)
        if self.momentum is not None:
            setattr(self.optimizer, *self.momentum)
