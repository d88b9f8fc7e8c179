"""Short trainings that leave the model exactly as it was: the sweep's and refinement's.

`HostCopy` is also the spike guard's snapshot: one way to copy variables to the host
and put them back bit for bit.
"""

import math
import random
import sys
import warnings

import keras
import numpy as np
from keras import ops

from keras_lr import _instep, _keras
from keras_lr.schedules.compose import Scaled
from keras_lr.suggest import diverged

__all__ = ["HostCopy", "Snapshot", "Trainer", "refine"]


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
        torch = sys.modules.get("torch")  # Keras's PyTorch backend draws from torch's RNG
        self.torch_rng = torch.get_rng_state() if torch is not None else None

    def restore(self):
        super().restore()
        np.random.set_state(self.numpy_rng)
        random.setstate(self.python_rng)
        if self.torch_rng is not None:
            sys.modules["torch"].set_rng_state(self.torch_rng)


class Trainer:
    """The range test's one optimizer: a fresh copy of the model's (config, not state), whose
    rate is a `Scaled` factor set from the host before every update.

    Inside `with trainer:` the copy is the model's optimizer, so the sweep and every
    refinement candidate run through one train function, traced once (whole batches
    of one shape). `reset()` puts the copy's slots and update count back to zero.
    """

    def __init__(self, model):
        self.model = model
        self.original = model.optimizer
        # Keras's own serialization, not `keras.optimizers.deserialize`: that one returns the
        # string "Lamb" for a Lamb optimizer (Keras 3.15 lacks it in its table).
        clone = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(self.original))
        inner = _keras.unwrap(clone)
        inner.gradient_accumulation_steps = None  # one update per batch
        self.rate = Scaled(1.0)
        _keras.set_learning_rate(inner, self.rate)
        for sub in getattr(inner, "optimizers", None) or []:  # MultiOptimizer: per group
            group = _keras.learning_rate_of(sub)  # keras_lr.discriminative: Scaled(base, scale)
            scale = float(keras.ops.convert_to_numpy(group.factor)) \
                if isinstance(group, Scaled) else 1.0
            sub.gradient_accumulation_steps = None
            _keras.set_learning_rate(sub, Scaled(self.rate, factor=scale))
        clone.build(model.trainable_variables)
        _instep.attach(clone).track()  # JAX's compiled step reads the factor it carries
        self.optimizer = clone
        self.fresh = HostCopy(clone.variables)
        self.updates = 0

    def __enter__(self):
        self.model.optimizer = self.optimizer
        self.model.make_train_function(force=True)
        return self

    def __exit__(self, *exc_info):
        self.model.optimizer = self.original
        self.model.make_train_function(force=True)

    def step(self, rate, batch):
        """One update at `rate` on `batch`; its loss as a float."""
        self.rate.factor.assign(rate)
        self.updates += 1
        return float(self.model.train_on_batch(*batch, return_dict=True)["loss"])

    def reset(self):
        self.fresh.restore()


def sweep(trainer, first, stream, lrs, beta, stop_factor):
    """The range test's sweep: one update per rate of `lrs`, on `first` and then the batches
    of `stream`; stops on a NaN/Inf loss, on divergence of the smoothed loss (`diverged`) or
    when `stream` runs out (with a warning). Returns `(losses, stopped_early)`."""
    losses, best, avg, batch = [], math.inf, 0.0, first
    for step, rate in enumerate(lrs):
        loss = trainer.step(rate, batch)
        losses.append(loss)
        if not math.isfinite(loss):
            return losses, True
        avg = beta * avg + (1 - beta) * loss
        smoothed = avg / (1 - beta ** (step + 1))
        if diverged(smoothed, best, stop_factor):
            return losses, True
        best = min(best, smoothed)
        if step + 1 < len(lrs):
            batch = next(stream, None)
            if batch is None:  # a generator that cannot be read again ran out
                warnings.warn(f"find_lr: the input ran out after {step + 1} batches, "
                              f"before num_steps={len(lrs)}; the sweep stops there. "
                              "Pass a repeatable input (arrays, a Dataset, a PyDataset).",
                              stacklevel=3)
                return losses, True
    return losses, False


def refine(trainer, snapshot, batches, rates, num_steps, abort=4.0):
    """The rate of `rates` whose constant-rate run of `num_steps` updates (the trainer's
    fresh optimizer state, the weights of `snapshot`, the same batches each) ends with the
    lowest mean loss over its last quarter, or None without batches.

    A run whose loss is NaN/Inf or exceeds `abort` times its first loss stops there
    (a runaway rate, never picked). The model and trainer are reset after each run.
    """
    data = [batch for batch, _ in zip(batches, range(num_steps), strict=False)]
    if not data:
        warnings.warn("find_lr: no batch left to refine the suggestion (a generator cannot be "
                      "read again); result.suggestion is the 'balanced' rule's.", stacklevel=3)
        return None
    tail = max(1, len(data) // 4)
    scores = []
    for rate in rates:
        losses: list[float] = []
        for batch in data:
            loss = trainer.step(rate, batch)
            losses.append(loss)
            if not math.isfinite(loss) or loss - losses[0] > (abort - 1) * abs(losses[0]):
                losses = [math.inf]
                break
        snapshot.restore()
        trainer.reset()
        ends = losses[-tail:]
        scores.append(sum(ends) / len(ends))
    return float(rates[int(np.argmin(scores))])
