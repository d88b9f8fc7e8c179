"""The rate slot during a fit (`Times`), and its values as Python numbers on PyTorch.

`Times` is the schedule `InStep` puts in the slot while a factor scales a base
(docs/design.md). PyTorch runs the train step eagerly, and Keras's torch kernels take Python
scalars: there the rate and each scheduled hyperparameter of an update are
looked up on the host, from the update count as a Python integer, instead of
being evaluated op by op on tensors and read back. The count mirrors the
optimizer's counter without reading it: the counter's tensor has an in-place
version number, which Keras's increment advances by one; any other write (a
user's `assign`, a load) is seen and read back once. A schedule that is a
function of the step alone is evaluated for a chunk of steps at a time, in one
vectorized call (the same float32 values, element by element, as a call per
step); a factor or a float rate (a variable) is read back only when it changed.
TensorFlow and JAX trace the step: there everything stays in the graph.
"""

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_lr import _keras
from keras_lr._keras import Schedule, is_variable

__all__ = ["Fixed", "HostValues", "Times", "eager"]

CHUNK = 256  # steps per vectorized evaluation


def eager():
    """Whether the train step runs eagerly, with Python scalars in Keras's kernels."""
    return keras.backend.backend() == "torch"


class Times(Schedule):
    """`factor × base(step)` during a fit (`base`: a schedule or a float-rate variable);
    never saved: the optimizer's config reports the rate at rest (`InStep.saved_rate`)."""

    def __init__(self, base, factor):
        self.base, self.factor = base, factor

    def __call__(self, step):
        base = self.base
        lr = base(step) if isinstance(base, Schedule) else ops.convert_to_tensor(base)
        return ops.cast(_keras.factor_value(self.factor), lr.dtype) * lr

    def in_step_variables(self):
        nested = getattr(self.base, "in_step_variables", None)
        return [self.factor, *(nested() if nested is not None else [])]

    def get_config(self):  # never called: see InStep.start
        raise NotImplementedError("keras-lr's in-fit rate is not saved")


def parts(rate):  # (base, factor or None) of a rate slot's schedule
    from keras_lr.schedules.compose import Scaled

    if isinstance(rate, Times):
        return rate.base, rate.factor
    return (rate.schedule, rate.factor) if isinstance(rate, Scaled) else (rate, None)


class Mirror:
    """A variable's value on the host, read back only when the variable changed."""

    def __init__(self, variable, cast):
        self.variable, self.cast = variable, cast
        self.seen: tuple = (None, None)
        self.current: Any = None

    def get(self):
        seen = _keras.torch_state(self.variable)
        if seen[0] is not self.seen[0] or seen[1] != self.seen[1]:
            self.current, self.seen = self.read_back(seen[0]), seen
        return self.current

    def read_back(self, tensor):  # the one device-to-host copy after a write
        return self.cast(tensor.item())

    def advanced(self):
        """After Keras's `apply`: one increment (one version) means one more, not read."""
        tensor, version = _keras.torch_state(self.variable)
        if tensor is self.seen[0] and version == self.seen[1] + 1:
            self.current, self.seen = self.current + 1, (tensor, version)


class Table:
    """A function of the step, evaluated a chunk of steps at a time (vectorized)."""

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, dtype
        self.chunks: dict = {}
        self.vectorizes = True

    def __call__(self, step):
        if not self.vectorizes:
            return float(ops.convert_to_numpy(self.fn(step)))
        first = step - step % CHUNK
        chunk = self.chunks.get(first)
        if chunk is None:
            chunk = self._chunk(first)
            if chunk is None:
                return self(step)
            if len(self.chunks) >= 4:
                self.chunks.clear()
            self.chunks[first] = chunk
        return chunk[step - first]

    def _chunk(self, first):
        try:
            values = ops.convert_to_numpy(self.fn(ops.arange(first, first + CHUNK,
                                                             dtype=self.dtype)))
        except (ValueError, TypeError, RuntimeError):  # e.g. `ops.cond` on a vector
            values = None
        if values is None or np.shape(values) != (CHUNK,):
            self.vectorizes = False
            return None
        return values.tolist()


def pure(schedule):
    """Whether `schedule`'s value depends on the step alone: keras-lr's schedules that read
    no variable, and Keras's built-in schedules, made of such schedules and Python numbers."""
    from keras_lr.schedules._base import ScheduleBase

    if isinstance(schedule, ScheduleBase):
        if schedule.in_step_variables():
            return False
        for key in getattr(type(schedule), "_nested", ()):
            value = getattr(schedule, key)
            children = value if isinstance(value, (list, tuple)) else [value]
            if not all(pure(c) for c in children if isinstance(c, Schedule)):
                return False
        return True
    if not type(schedule).__module__.startswith("keras.src.optimizers.schedules"):
        return False
    values = [v for value in vars(schedule).values()
              for v in (value if isinstance(value, (list, tuple)) else [value])]
    return all(v is None or isinstance(v, (bool, int, float, str)) for v in values)


class Fixed(Schedule):
    """The optimizer's rate slot during one update: this update's rate, as a Python float
    (a schedule, so that Keras treats it as the schedule it stands for)."""

    def __init__(self):
        self.value = 0.0

    def __call__(self, step):
        return self.value

    def get_config(self):  # never saved: it is in the slot only during `apply`
        raise NotImplementedError("keras-lr's per-update rate is not saved")


class HostValues:
    """One optimizer's rate and scheduled hyperparameters for the next update, on the host."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.counter = Mirror(_keras.iterations_of(optimizer), int)
        self.dtype = _keras.iterations_of(optimizer).dtype
        self.fixed = Fixed()
        self.rate_of: object = None  # the slot's rate object the function below is for
        self.rate = None  # its value as a function of the update count, or None
        self.curves_of: object = None
        self.curves: dict = {}

    def _rate_function(self, rate):
        base, factor = parts(rate)
        base_value: Any
        if isinstance(base, Schedule) and pure(base):
            base_value = Table(base, self.dtype)
        elif is_variable(base):
            mirror = Mirror(base, float)
            base_value = lambda _: mirror.get()  # noqa: E731
        else:
            return None
        if factor is None:
            return base_value
        factor_value = Mirror(factor, float)
        return lambda step: float(np.float32(factor_value.get() * base_value(step)))

    def values(self, rate, curves):
        """(the rate or None, {attribute: value}) for the next update; `curves` map
        attributes to (the user's value, a function of real updates)."""
        if rate is not self.rate_of:
            self.rate_of = rate
            self.rate = self._rate_function(rate) if isinstance(rate, Schedule) else None
        if curves is not self.curves_of:
            self.curves_of = curves
            self.curves = {name: Table(curve, self.dtype) for name, (_, curve) in curves.items()}
        step = self.counter.get()
        if self.rate is not None:
            self.fixed.value = self.rate(step)
        per_update = getattr(self.optimizer, "gradient_accumulation_steps", None) or 1
        update = step // per_update
        return (self.fixed if self.rate is not None else None,
                {name: table(update) for name, table in self.curves.items()})
