"""Short trainings that leave the model exactly as it was: the sweep's and refinement's.

`HostCopy` is also the spike guard's snapshot: one way to copy variables to the host
and put them back bit for bit.
"""

import math
import random
import warnings

import keras
import numpy as np
from keras import ops

from keras_lr import _keras
from keras_lr.schedules.basic import Constant

__all__ = ["HostCopy", "Snapshot", "refine", "sweep_optimizer"]


class HostCopy:
    """The values of `variables` (duplicates dropped) copied to host memory.

    Iterating gives `(variable, value)` pairs; `restore()` assigns every value back.
    """

    def __init__(self, variables):
        self.variables = list({id(v): v for v in variables}.values())
        self.values = [np.array(ops.convert_to_numpy(v)) for v in self.variables]

    def __iter__(self):
        return iter(zip(self.variables, self.values, strict=True))

    def finite(self):
        """Whether every floating-point value is finite."""
        return all(np.isfinite(v).all() for v in self.values
                   if np.issubdtype(v.dtype, np.floating))

    def restore(self):
        for variable, value in self:
            variable.assign(value)


class Snapshot(HostCopy):
    """Every variable of the model (weights, metric states) and the host RNG states."""

    def __init__(self, model):
        super().__init__([*model.variables, *model.metrics_variables])
        self.numpy_rng = np.random.get_state()
        self.python_rng = random.getstate()

    def restore(self):
        super().restore()
        np.random.set_state(self.numpy_rng)
        random.setstate(self.python_rng)


def sweep_optimizer(optimizer, schedule):
    """A fresh copy of the model's optimizer (config, not state) driven by `schedule`."""
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    inner = _keras.unwrap(clone)
    inner.gradient_accumulation_steps = None  # one update per batch
    _keras.set_learning_rate(inner, schedule)
    return clone


def refine(model, batches, rates, num_steps):
    """The rate of `rates` whose constant-rate run of `num_steps` updates (fresh optimizer
    copy, same starting weights, same batches) ends with the lowest mean loss over its last
    quarter; everything restored afterwards, as after the sweep."""
    data = [batch for batch, _ in zip(batches, range(num_steps), strict=False)]
    if not data:
        warnings.warn("find_lr: no batch left to refine the suggestion (a generator cannot be "
                      "read again); result.suggestion is the 'balanced' rule's.", stacklevel=3)
        return None
    tail = max(1, len(data) // 4)
    snapshot = Snapshot(model)
    original = model.optimizer
    scores = []
    try:
        for rate in rates:
            model.optimizer = sweep_optimizer(original, Constant(rate))
            model.optimizer.build(model.trainable_variables)
            model.make_train_function(force=True)
            losses = [float(model.train_on_batch(*batch, return_dict=True)["loss"])
                      for batch in data]
            snapshot.restore()
            ends = losses[-tail:]
            scores.append(sum(ends) / tail if all(map(math.isfinite, losses)) else math.inf)
    finally:
        model.optimizer = original
        model.make_train_function(force=True)
        snapshot.restore()
    return float(rates[int(np.argmin(scores))])
