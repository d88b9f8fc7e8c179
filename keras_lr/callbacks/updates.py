"""Watch the step a parameter takes, not only the learning rate."""

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr import _keras
from keras_lr.callbacks._optim import get_learning_rate, get_momentum
from keras_lr.callbacks.monitor import ScalarWriter

__all__ = ["UpdateMonitor"]


def _host(variable: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(variable), dtype="float64")


class UpdateMonitor(keras.callbacks.Callback):
    """The update-to-weight ratio of each layer and Adam's effective step, every n updates.

    With Adam-family optimizers the step a parameter takes differs from the
    learning rate, so practitioners watch the ratio ‖Δw‖ / ‖w‖ of each layer
    (healthy around 1e-3). At every `update_freq`-th update this callback
    copies the weights before the update and measures, after it:

    - per layer (its trainable variables together): `‖w_after - w_before‖ /
      ‖w_before‖`; the median and maximum over layers go into the epoch's
      logs as `update_ratio_median` and `update_ratio_max` (the last
      measurement of the epoch), each layer's into TensorBoard with
      `log_dir` (tag `update_ratio/<layer>`, step = the update);
    - for Adam and AdamW, the median over all parameters of
      `lr · |m̂| / (√v̂ + ε)`, with `m̂ = m / (1 - β₁ᵗ)` and
      `v̂ = v / (1 - β₂ᵗ)` read from the slots after the update
      (`effective_step_median`).

    Updates are the optimizer's real ones: under gradient accumulation a
    micro-batch that only accumulates is not measured, nor is a step that
    `LossScaleOptimizer` or `SpikeGuard` skipped (the next update is). It
    reads an update at the next batch's start (the last one at the epoch's
    end), with no batch-end hook, so Keras keeps its asynchronous batch-end
    dispatch (JAX, PyTorch); with `steps_per_execution = k` a measurement
    spans the `k` updates of a chunk (use 1 for per-update values). Cost when
    not in the callbacks: nothing; when there, a host copy of the weights
    every `update_freq` updates (benchmarks/overhead.py).

    Args:
        update_freq: Measure every this many updates, an integer > 0
            (`every_n_updates`: its deprecated name, until keras-lr 0.4).
        log_dir: Where to write per-layer TensorBoard scalars (`None`: none).

    Raises:
        ValueError: If `update_freq` is not an integer > 0.
        TypeError: If `log_dir` is not a path.

    Example:

    ```python
    monitor = keras_lr.UpdateMonitor(update_freq=50, log_dir="logs")
    history = model.fit(x, y, epochs=5, callbacks=[monitor])
    history.history["update_ratio_median"]
    ```
    """

    def __init__(self, update_freq: int = 100, log_dir: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__()
        update_freq = check.renamed(type(self).__name__, kwargs,
                                    {"every_n_updates": "update_freq"},
                                    {"update_freq": update_freq})["update_freq"]
        self.update_freq = check.steps("update_freq", update_freq, 1)
        self.log_dir = check.log_dir("log_dir", log_dir, type(self).__name__)
        self.last: dict[str, float] = {}
        self._writer: ScalarWriter | None = None
        self._before: tuple[Any, ...] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = _keras.unwrap(self.model.optimizer)
        self._per_update = getattr(optimizer, "gradient_accumulation_steps", None) or 1

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # The micro-batches done so far (Keras has written JAX's state back between epochs);
        # batch `b` of this epoch is then micro-batch `self._micro + b`.
        _keras.sync_state(self.model)
        self._micro = int(ops.convert_to_numpy(_keras.iterations_of(self.model.optimizer)))

    def _updates_done(self) -> int:
        return int(ops.convert_to_numpy(_keras.unwrap(self.model.optimizer).iterations))

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._measure()  # the previous batch's update is done: measure it if it was due
        # Due when this batch completes a real update (not a micro-batch that only
        # accumulates its gradient) whose index is a multiple of `update_freq`.
        update, completes = divmod(self._micro + batch, self._per_update)
        due = completes == self._per_update - 1 and update % self.update_freq == 0
        if self._before is None and due:
            _keras.sync_state(self.model)
            optimizer = _keras.unwrap(self.model.optimizer)
            self._before = (self._updates_done(), {
                name: [_host(v) for v in variables] for name, variables in self._layers().items()
            }, get_learning_rate(optimizer), get_momentum(optimizer))

    def _measure(self) -> None:
        """Measure the update that a batch marked due, once it is done (at the next batch's
        start or the epoch's end: no batch-end hook, so Keras keeps its asynchronous
        batch-end dispatch)."""
        if self._before is None:
            return
        _keras.sync_state(self.model)
        if self._updates_done() == self._before[0]:
            return  # no update applied (a skipped step): measure the next one
        update, before, lr, beta_1 = self._before
        self._before = None
        ratios = {}
        for name, variables in self._layers().items():
            old = before[name]
            new = [_host(v) for v in variables]
            moved = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(new, old, strict=True)))
            size = np.sqrt(sum(np.sum(b**2) for b in old))
            ratios[name] = float(moved / size) if size > 0 else float("inf")
        values = list(ratios.values())
        self.last = {"update_ratio_median": float(np.median(values)),
                     "update_ratio_max": float(np.max(values))}
        step = self._effective_step(lr, beta_1)
        if step is not None:
            self.last["effective_step_median"] = step
        if self.log_dir is not None:
            self._write(update, ratios, step)

    def _layers(self) -> dict[str, list[Any]]:
        """The model's trainable variables grouped by the layer that owns them (its path)."""
        layers: dict[str, list[Any]] = {}
        for variable in self.model.trainable_variables:
            layers.setdefault(variable.path.rsplit("/", 1)[0], []).append(variable)
        return layers

    def _effective_step(self, lr: float, beta_1: float | None) -> float | None:
        optimizer = _keras.unwrap(self.model.optimizer)
        slots = _keras.moment_slots(optimizer)
        if slots is None or beta_1 is None or not isinstance(optimizer, keras.optimizers.Adam):
            return None  # Adam's formula: not the step of Nadam, Lamb, Adamax
        t = int(ops.convert_to_numpy(optimizer.iterations))  # updates done, this one included
        beta_2, epsilon = float(optimizer.beta_2), float(optimizer.epsilon)
        steps = []
        for m, v in zip(*slots, strict=True):
            m_hat = np.abs(_host(m)) / (1.0 - beta_1**t)
            v_hat = _host(v) / (1.0 - beta_2**t)
            steps.append((lr * m_hat / (np.sqrt(v_hat) + epsilon)).ravel())
        return float(np.median(np.concatenate(steps)))

    def _write(self, update: int, ratios: dict[str, float], step: float | None) -> None:
        if self._writer is None:
            self._writer = ScalarWriter(f"{self.log_dir}/train")
        for name, ratio in ratios.items():
            self._writer.scalar(f"update_ratio/{name}", ratio, update)
        if step is not None:
            self._writer.scalar("effective_step_median", step, update)
        self._writer.flush()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._measure()  # the epoch's last update
        if logs is not None:
            logs.update(self.last)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
