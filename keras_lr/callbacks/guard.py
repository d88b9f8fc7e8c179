"""Survive a loss spike: roll back to the last good state, cool the rate, carry on."""

import collections
import math
import warnings

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr import _keras
from keras_lr._trial import HostCopy
from keras_lr.callbacks._optim import make_scalable, optimizers_of, scale_rate
from keras_lr.suggest import diverged

__all__ = ["SpikeGuard"]


class SpikeGuard(keras.callbacks.Callback):
    """Roll back a loss spike or a NaN, multiply the rate by `factor`, and go on training.

    Every `snapshot_every` updates whose loss looked healthy, the guard copies
    the model's variables and the optimizer's state (slots, not its update
    counter) to host memory; a copy that holds NaN/Inf (a NaN can reach the
    weights while the loss stays finite: ReLU maps NaN to 0) is a spike too.
    After each batch (each `steps_per_execution` chunk: that is the
    granularity then) it reads the batch's mean loss; when
    it is NaN/Inf, or when, after `warmup` updates, it exceeds the mean of
    the last `window` healthy losses by the factor `threshold` (for a
    positive mean: `loss > threshold * mean`; in general
    `loss - mean > (threshold - 1) * |mean|`), the guard

    1. puts the snapshot back, bit for bit,
    2. multiplies the rate of every later update by `factor`, through the same
       `Scaled` factor as `ReduceLROnPlateau` (so it composes with any
       schedule and with plateau reduction; a float rate's variable is
       multiplied instead),
    3. puts the running metrics back as they were at the snapshot (or resets
       them if it was taken in an earlier epoch): the epoch's logs cover the
       batches that were kept; counts the event (`rollbacks`, and
       `logs["rollbacks"]` at each epoch end), prints a line if `verbose`,
    4. and training continues with the next batches. The update counter goes
       on counting, so a schedule continues where it was.

    After `max_rollbacks` rollbacks the guard stops training (with a warning
    that says so) rather than roll back again. Works on every backend, with
    mixed precision (`LossScaleOptimizer` is looked through) and any
    `steps_per_execution`. Its cost when nothing goes wrong is a Python
    batch hook and a host copy of the state every `snapshot_every` updates
    (benchmarks/overhead.py).

    Args:
        threshold: The spike factor over the recent mean loss, > 1.
        factor: What a rollback multiplies the rate by, in (0, 1].
        snapshot_every: Updates between snapshots, an integer > 0.
        warmup: Updates before spikes (not NaN) are looked for, >= 0.
        window: Healthy batch losses in the running mean, an integer > 0.
        max_rollbacks: Rollbacks allowed before training stops, >= 0.
        verbose: 0 quiet, 1 a line per rollback.

    Raises:
        ValueError: If an argument is out of range.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    guard = keras_lr.SpikeGuard(threshold=5.0, factor=0.5, snapshot_every=50)
    model.fit(x, y, epochs=10, callbacks=[guard])
    print(guard.rollbacks, keras_lr.get_learning_rate(model.optimizer))
    ```
    """

    def __init__(
        self,
        threshold: float = 4.0,
        factor: float = 0.5,
        snapshot_every: int = 100,
        warmup: int = 20,
        window: int = 50,
        max_rollbacks: int = 5,
        verbose: int = 1,
    ):
        super().__init__()
        self.threshold = check.number("threshold", threshold)
        if self.threshold <= 1.0:
            check.fail("threshold", "> 1", threshold)
        self.factor = check.in_range("factor", factor, 0.0, 1.0, closed=(False, True))
        self.snapshot_every = check.steps("snapshot_every", snapshot_every, 1)
        self.warmup = check.steps("warmup", warmup)
        self.window = check.integer("window", window, 1, 10**6)
        self.max_rollbacks = check.steps("max_rollbacks", max_rollbacks)
        self.verbose = check.integer("verbose", verbose, 0, 2)
        self.rollbacks = 0
        self.snapshot: HostCopy | None = None
        self._metrics: tuple = ()
        self._epoch: int | None = None
        self._seen, self._mean, self._offset = 0, 0.0, 0
        self._recent: collections.deque[float] = collections.deque(maxlen=self.window)

    def get_state(self) -> dict:
        """The rollback count, JSON-serializable (the reduced rate is saved with the model)."""
        return {"rollbacks": self.rollbacks}

    def set_state(self, state: dict) -> None:
        """Restore what `get_state()` returned, before `fit` resumes."""
        self.rollbacks = check.integer("rollbacks", state["rollbacks"])

    # --- state ---------------------------------------------------------------------------------
    def _variables(self):
        """The model's variables and the optimizers' slots: what a rollback puts back."""
        skip = set()
        for optimizer in optimizers_of(self.model):
            skip.add(id(_keras.iterations_of(optimizer)))
            lr = _keras.learning_rate_of(optimizer)
            if _keras.is_variable(lr):
                skip.add(id(lr))
            state = _keras.attached(optimizer)
            skip.update(id(v) for v in (state.extra if state else []))
        found = {id(v): v for v in self.model.variables}
        for optimizer in optimizers_of(self.model):
            found.update({id(v): v for v in optimizer.variables if id(v) not in skip})
        return list(found.values())

    def _take_snapshot(self):
        """Copy the state to the host; False (the last snapshot kept) if it is not finite."""
        _keras.sync_state(self.model)
        copy = HostCopy(self._variables())
        self._since_snapshot = 0
        if not copy.finite():
            return False
        self.snapshot = copy
        # The running metrics as they were, to resume the epoch's means from there.
        self._metrics = (HostCopy(self.model.metrics_variables), self._epoch, self._seen,
                         self._mean)
        return True

    def _roll_back(self, batch, reason):
        _keras.sync_state(self.model)
        if self.snapshot is not None:
            self.snapshot.restore()
        for optimizer in optimizers_of(self.model):
            scale_rate(optimizer, self.factor)
        metrics, epoch, seen, mean = self._metrics
        if epoch == self._epoch:  # the epoch's means continue from the snapshot
            metrics.restore()
            self._seen, self._mean = seen, mean
        else:
            self.model.reset_metrics()
            self._seen, self._mean = 0, 0.0
        self._offset = batch + 1 - self._seen
        self.rollbacks += 1
        if self.verbose:
            print(f"\nSpikeGuard: {reason} at batch {batch + 1}; rolled back "
                  f"({self.rollbacks} so far) and multiplied the rate by {self.factor:g}.")

    # --- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        make_scalable(self.model, type(self).__name__)
        self._updates = 0
        self._recent.clear()
        self._epoch, self._seen, self._mean = None, 0, 0.0
        self._take_snapshot()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._seen, self._mean, self._offset = 0, 0.0, 0  # Keras resets the running loss

    def on_train_batch_end(self, batch, logs=None):
        if not logs or "loss" not in logs:
            return
        # `logs["loss"]` is the mean since the metrics were last reset: recover this
        # chunk's mean from it (batches of one size; the last one may be smaller).
        seen = batch + 1 - self._offset
        mean = float(np.asarray(ops.convert_to_numpy(logs["loss"])))
        new = seen - self._seen
        loss = (seen * mean - self._seen * self._mean) / new if new > 0 else mean
        self._seen, self._mean = seen, mean
        self._updates += max(new, 1)
        self._since_snapshot += max(new, 1)
        spike = f"loss {loss:.4g}" if self._is_spike(loss) else None
        if not spike and self._since_snapshot >= self.snapshot_every and not self._take_snapshot():
            spike = "NaN/Inf in the weights"  # ReLU maps NaN to 0: the loss can stay finite
        if spike:
            if self.rollbacks >= self.max_rollbacks:
                warnings.warn(f"SpikeGuard: {spike} after {self.rollbacks} rollbacks "
                              f"(max_rollbacks={self.max_rollbacks}); training stops.",
                              stacklevel=2)
                self.model.stop_training = True
                return
            self._roll_back(batch, spike)
            return
        self._recent.append(loss)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["rollbacks"] = self.rollbacks

    def _is_spike(self, loss):
        if not math.isfinite(loss):
            return True
        if self._updates <= self.warmup or not self._recent:
            return False
        return diverged(loss, sum(self._recent) / len(self._recent), self.threshold)
