"""The spike guard's one host copy of the state, checked on the device, overwritten in place."""

import numpy as np
from keras import ops

from keras_lr import _keras

__all__ = ["Snapshot", "all_finite"]


class Snapshot:
    """One host copy of the state a rollback puts back, overwritten in place.

    The model's variables and the optimizers' own (not the update counters, a
    float rate's variable or keras-lr's variables). `finite()` checks on the
    device the trainable variables, the optimizers' slots and the
    non-trainable variables that were finite at the first snapshot.
    """

    def __init__(self, model):
        skip = set()
        slots: dict = {}
        for optimizer in _keras.optimizers_of(model):
            skip.add(id(_keras.iterations_of(optimizer)))
            skip.add(id(_keras.learning_rate_of(optimizer)))
            slots.update({id(v): v for v in optimizer.variables if not _keras.is_extra(v)})
        for optimizer in {id(o): o for o in (model.optimizer,
                                             _keras.unwrap(model.optimizer))}.values():
            skip.add(id(getattr(optimizer, "iterations", None)))
        found = {id(v): v for v in model.variables}
        found.update({k: v for k, v in slots.items() if k not in skip})
        self.variables = [v for v in found.values() if not _keras.is_extra(v)]
        judged = [v for v in [*model.trainable_variables, *slots.values()] if id(v) not in skip]
        others = [v for v in model.non_trainable_variables if _float(v)]
        finite = [bool(ops.convert_to_numpy(all_finite([v]))) for v in others]
        self.judged = [v for v in judged if _float(v)]
        self.judged += [v for v, ok in zip(others, finite, strict=True) if ok]
        self.buffers: list | None = None

    def __iter__(self):
        return iter(zip(self.variables, self.buffers or [], strict=True))

    def finite(self):
        return bool(ops.convert_to_numpy(all_finite(self.judged)))

    def take(self):
        if self.buffers is None:
            self.buffers = [np.array(ops.convert_to_numpy(v)) for v in self.variables]
            return
        for variable, buffer in zip(self.variables, self.buffers, strict=True):
            np.copyto(buffer, np.asarray(variable))  # a view of the value where it can be

    def restore(self):
        for variable, buffer in zip(self.variables, self.buffers or [], strict=True):
            variable.assign(buffer)


def _float(variable):
    return "float" in str(variable.dtype)


def all_finite(variables):
    """One boolean tensor: whether every value of `variables` (tensors too) is finite."""
    variables = list(variables)
    if not variables:
        return ops.convert_to_tensor(True)
    return ops.all(ops.stack([ops.all(ops.isfinite(v)) for v in variables]))
