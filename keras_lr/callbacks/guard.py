"""Survive a loss spike: skip a non-finite update in the step, roll a spike back, cool the rate."""

import collections
import math
import threading
import warnings
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr import _instep, _keras
from keras_lr._snapshot import Snapshot
from keras_lr._trial import HostCopy
from keras_lr.callbacks._optim import begin_scaling, scale_factors
from keras_lr.suggest import diverged

__all__ = ["SpikeGuard"]


class SpikeGuard(keras.callbacks.Callback):
    """Skip non-finite updates, roll back loss spikes, multiply the rate by `factor`, go on.

    Three lines of defence, cheapest first:

    1. **Inside the train step**, an update whose gradients hold NaN/Inf is
       skipped (as Keras's `LossScaleOptimizer` does): the weights and the
       optimizer's slots keep their values, nothing is read back to the host,
       and the update is counted (`logs["skipped_updates"]` at each epoch's
       end). The schedule does not advance for a skipped update.
    2. **A loss spike**: after each batch (each `steps_per_execution` chunk)
       the guard reads the batch's mean loss. When, after `warmup` updates,
       it exceeds the mean of the last `window` healthy losses by the factor
       `threshold` (for a positive mean `loss > threshold * mean`; in general
       `loss - mean > (threshold - 1) * |mean|`), or when `skip_limit`
       batches in a row had a non-finite loss, the guard puts its last
       snapshot back, bit for bit, and multiplies the rate of every later
       update by `factor`. The snapshot is the state when training began
       (after `BackupAndRestore` has restored a run, the optimizer built) and
       every `snapshot_freq` healthy updates after that; a snapshot whose
       weights or slots are not finite is a spike too.
    3. After `max_rollbacks` rollbacks the guard stops training, with a
       warning that says so.

    The rate is cooled through the optimizer's one scale factor, the one
    `ReduceLROnPlateau` multiplies, so the guard composes with any schedule,
    with `OneCycleScheduler`/`CyclicalScheduler` and with plateau reduction.
    The running metrics are put back as they were at the snapshot (or reset,
    if it was taken in an earlier epoch), so the epoch's logs cover the
    batches that were kept. The update counter goes on counting, so a
    schedule continues where it was. Non-trainable variables that are not
    finite when training begins (a `-inf` floor, a mask) are restored but
    never judged. The guard keeps one host copy of the state: a new snapshot
    is checked on the device, then written over the old one, one variable at
    a time.

    Where Keras dispatches batch-end hooks asynchronously (PyTorch, Keras 3.6
    and later, when no other callback needs them synchronous), the guard
    keeps that dispatch: it judges a batch at the next batch's start,
    before the next update, and the epoch's last batch before validation or
    at the epoch's end (mending the epoch's training logs there if it rolled
    back). The guard computes the same; only when it stops training
    (`max_rollbacks`) has the batch already started run.

    To resume from a weights-only checkpoint (`BackupAndRestore`,
    `ModelCheckpoint(save_weights_only=True)`), save `get_state()` with it
    and call `set_state(state)` before `fit`: the count and the cooled rate
    come back.

    Inside a `tf.distribute` strategy, Keras's update cannot be made
    conditional: non-finite updates are then applied, and the guard rolls
    them back as spikes (the loss is NaN).

    Args:
        threshold: The spike factor over the recent mean loss, > 1.
        factor: What a rollback multiplies the rate by, in (0, 1].
        snapshot_freq: Updates between snapshots, an integer > 0
            (`snapshot_every`: its deprecated name, until keras-lr 0.4).
        warmup: Updates before spikes (not NaN) are looked for, >= 0.
        window: Healthy batch losses in the running mean, an integer > 0.
        max_rollbacks: Rollbacks allowed before training stops, >= 0.
        skip_limit: Batches in a row with a non-finite loss (their updates
            skipped) that make a rollback, an integer > 0.
        verbose: 0 quiet, 1 a line per rollback.

    Raises:
        ValueError: If an argument is out of range, or if the model's
            trainable state is not finite when training begins.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    guard = keras_lr.SpikeGuard(threshold=5.0, factor=0.5, snapshot_freq=50)
    model.fit(x, y, epochs=10, callbacks=[guard])
    print(guard.rollbacks, keras_lr.get_learning_rate(model.optimizer))
    ```
    """

    @property
    def async_safe(self) -> bool:  # Keras 3.6+: the batch-end hook may run on Keras's worker thread
        # (it does nothing there: judged at the next batch's start). Not on JAX: reading the
        # loss between steps there writes the whole state back.
        return keras.backend.backend() != "jax"

    def __init__(self, threshold: float = 4.0, factor: float = 0.5, snapshot_freq: int = 100,
                 warmup: int = 0, window: int = 50, max_rollbacks: int = 5, skip_limit: int = 3,
                 verbose: int = 1, **kwargs: Any) -> None:
        super().__init__()
        snapshot_freq = check.renamed(type(self).__name__, kwargs,
                                      {"snapshot_every": "snapshot_freq"},
                                      {"snapshot_freq": snapshot_freq})["snapshot_freq"]
        self.threshold = check.number("threshold", threshold)
        if self.threshold <= 1.0:
            check.fail("threshold", "> 1", threshold)
        self.factor = check.in_range("factor", factor, 0.0, 1.0, closed=(False, True))
        self.snapshot_freq = check.steps("snapshot_freq", snapshot_freq, 1)
        self.warmup = check.steps("warmup", warmup)
        self.window = check.integer("window", window, 1, 10**6)
        self.max_rollbacks = check.steps("max_rollbacks", max_rollbacks)
        self.skip_limit = check.integer("skip_limit", skip_limit, 1, 10**6)
        self.verbose = check.integer("verbose", verbose, 0, 2)
        self.rollbacks = 0
        self.snapshot: Any = None  # a Snapshot from the first batch on
        self._resumed: dict[str, Any] | None = None
        self._metrics: tuple[Any, ...] = ()
        self._epoch: int | None = None
        self._seen, self._mean, self._offset, self._nonfinite = 0, 0.0, 0, 0
        self._pending: int | None = None  # the first step of a batch not judged yet
        self._thread: int | None = None  # the fit loop's
        self._relog: dict[str, Any] | None = None  # the epoch's logs, after a rollback at its end
        self._restores, self._stopped = 0, False
        self._recent: collections.deque[float] = collections.deque(maxlen=self.window)

    def get_state(self) -> dict[str, Any]:
        """The rollback count and each optimizer's scale factor, JSON-serializable."""
        state: dict[str, Any] = {"rollbacks": self.rollbacks}
        if self.model is not None:
            state["scale_factors"] = scale_factors(self.model)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state()` returned, before `fit` resumes."""
        self.rollbacks = check.integer("rollbacks", state["rollbacks"])
        self._resumed = dict(state)

    # --- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        resumed, self._resumed = self._resumed, None
        begin_scaling(self.model, type(self).__name__, (resumed or {}).get("scale_factors"),
                      skip_nonfinite=True)
        self._updates, self._since_snapshot, self._nonfinite = 0, 0, 0
        self._recent.clear()
        self._epoch, self._seen, self._mean = None, 0, 0.0
        self.snapshot = None  # taken at the first batch: after every on_train_begin
        self._pending, self._stopped = None, False
        self._loss = next((m for m in self.model.metrics if m.name == "loss"), None)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch
        self._seen, self._mean, self._offset = 0, 0.0, 0  # Keras resets the running loss
        self._relog = None

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._thread = threading.get_ident()
        if self._pending is not None:  # its batch-end hook ran on Keras's worker thread
            self._judge_pending(batch - 1)
        self._pending = None if self._stopped else batch  # a batch run after it gave up
        if self.snapshot is None:
            optimizer = self.model.optimizer
            if not optimizer.built:  # TensorFlow builds it in the first step: its slots now
                optimizer.build(self.model.trainable_variables)
            self.snapshot = Snapshot(self.model)
            if not self._take_snapshot():
                raise ValueError(
                    "SpikeGuard: the model's trainable variables or optimizer slots hold "
                    "NaN/Inf when training begins, so there is no finite snapshot to roll "
                    "back to.")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if threading.get_ident() != self._thread:
            return  # Keras's asynchronous dispatch: judged at the next batch's start
        self._pending = None
        self._judge(batch, logs)

    def _judge_pending(self, end: int) -> None:
        """Judge the batch that ended at step `end` from the running loss, read now."""
        self._pending = None
        if self._loss is not None:
            _keras.sync_state(self.model)
            total, count = (np.asarray(ops.convert_to_numpy(v))
                            for v in (self._loss.total, self._loss.count))  # Keras's Mean
            self._judge(end, {"loss": total / count.astype(total.dtype) if count else 0.0})

    def _finish_epoch(self) -> None:
        """Judge the epoch's last batch if its batch-end hook was asynchronous; after a
        rollback, the epoch's training logs are the metrics put back."""
        if self._pending is None:
            return
        restores = self._restores
        self._judge_pending(self._pending + (self.model.steps_per_execution or 1) - 1)
        if self._restores != restores:
            self._relog = {name: float(np.asarray(ops.convert_to_numpy(value)))
                           for name, value in self.model.get_metrics_result().items()}

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._finish_epoch()  # validation inside `fit`: before it sees the weights

    def _judge(self, batch: int, logs: dict[str, Any] | None) -> None:
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
        if not math.isfinite(loss):  # the step skipped the update (or a loss went NaN)
            self._nonfinite += 1
            if self._nonfinite < self.skip_limit:
                self._restore_metrics(batch)
                return
            self._spike(batch, f"{self._nonfinite} non-finite losses in a row")
            return
        self._nonfinite = 0
        self._since_snapshot += max(new, 1)
        judged = self._updates > self.warmup and self._recent
        if judged and diverged(loss, max(self._recent), self.threshold):
            self._spike(batch, f"loss {loss:.4g}")
            return
        if judged and len(self._recent) == 1 and diverged(self._recent[0], loss, self.threshold):
            # The fit's first loss had nothing to be judged against: so far above the
            # next one, it was the spike (the snapshot is still the state before it).
            self._spike(batch, f"loss {self._recent.pop():.4g} at the first batch")
            return
        if self._since_snapshot >= self.snapshot_freq and not self._take_snapshot():
            self._spike(batch, "NaN/Inf in the weights")
            return
        self._recent.append(loss)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._finish_epoch()
        if logs is not None:
            logs.update({k: v for k, v in (self._relog or {}).items() if k in logs})
            logs["rollbacks"] = self.rollbacks
            skipped = [s.skipped for s in _instep.states(self.model) if s.skipped is not None]
            logs["skipped_updates"] = sum(int(ops.convert_to_numpy(v)) for v in skipped)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        _instep.end(self.model)

    # --- state ---------------------------------------------------------------------------------
    def _take_snapshot(self) -> bool:
        """Check the state on the device, then copy it over the last snapshot; False (the
        last one kept) if it is not finite."""
        _keras.sync_state(self.model)
        self._since_snapshot = 0
        if not self.snapshot.finite():
            return False
        self.snapshot.take()
        # The running metrics as they were, to resume the epoch's means from there.
        self._metrics = (HostCopy(self.model.metrics_variables), self._epoch, self._seen,
                         self._mean)
        return True

    def _spike(self, batch: int, reason: str) -> None:
        if self.rollbacks >= self.max_rollbacks:
            warnings.warn(f"SpikeGuard: {reason} after {self.rollbacks} rollbacks "
                          f"(max_rollbacks={self.max_rollbacks}); training stops.",
                          stacklevel=3)
            self.model.stop_training = self._stopped = True
            return
        _keras.sync_state(self.model)
        self.snapshot.restore()
        for state in _instep.states(self.model):
            state.scale(self.factor)
        self._restore_metrics(batch)
        self._nonfinite = 0
        self.rollbacks += 1
        if self.verbose:
            print(f"\nSpikeGuard: {reason} at batch {batch + 1}; rolled back "
                  f"({self.rollbacks} so far) and multiplied the rate by {self.factor:g}.")

    def _restore_metrics(self, batch: int) -> None:
        """The epoch's running metrics as at the snapshot (reset if it is older)."""
        _keras.sync_state(self.model)
        self._restores += 1
        metrics, epoch, seen, mean = self._metrics
        if epoch == self._epoch:
            metrics.restore()
            self._seen, self._mean = seen, mean
        else:
            self.model.reset_metrics()
            self._seen, self._mean = 0, 0.0
        self._offset = batch + 1 - self._seen
