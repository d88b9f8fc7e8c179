"""Reduce the learning rate when a metric stops improving, on top of any schedule."""

import math
import warnings
from typing import Any, Literal

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from keras_lr import _checks as check
from keras_lr import _instep, _keras
from keras_lr.callbacks._optim import (
    applied_learning_rate,
    begin_scaling,
    get_learning_rate,
    log_names,
    optimizers_of,
    scale_factors,
)

__all__ = ["ReduceLROnPlateau"]

MODES = ("auto", "min", "max")
THRESHOLD_MODES = ("rel", "abs")


class ReduceLROnPlateau(keras.callbacks.Callback):
    """Reduce the learning rate when a metric has stopped improving.

    Works whether the optimizer holds a float learning rate or *any*
    `LearningRateSchedule` (keras-lr's or Keras's). With a schedule, the
    callback wraps it once in `keras_lr.Scaled` and multiplies the scale
    factor, a variable the compiled train step reads: the rate becomes
    `factor × schedule(step)` from the next update on, and the schedule keeps
    its shape. With a float rate it assigns the optimizer's rate variable.
    Either way the reduced rate is saved with the model (the factor in the
    optimizer's config, the float in its variables). `LossScaleOptimizer`s
    are looked through, and every optimizer of the model is reduced.

    Patience and cooldown count as Keras's callback does: the rate is reduced
    after `patience` epochs in a row without improvement; after a reduction
    the next `cooldown - 1` epochs are not counted, the last epoch of the
    cooldown already is. PyTorch's `ReduceLROnPlateau(patience=p,
    cooldown=c)` is `patience=p + 1, cooldown=c + 1` here (PyTorch also
    ignores the last cooldown epoch; for `c = 0` both `cooldown=0` and
    `cooldown=1` match it). An epoch improves on the best value when it
    beats it by more than `min_delta`: absolutely (`threshold_mode="abs"`, Keras's convention) or
    relative to the best's magnitude (`"rel"`, PyTorch's default). A NaN or
    infinite value counts as no improvement and never becomes the best.

    `min_lr` bounds each reduction: no reduction takes the rate (at that
    step) below `min_lr`, and none happens once it is there. A schedule may
    still go lower by itself afterwards.

    `mode="auto"` decides the direction as Keras 3 does: `"min"` for `loss`
    and `val_loss`, otherwise the direction of the model's compiled metric of
    that name (`accuracy`, `auc`, `precision`, `f1_score`: max; errors and
    cross-entropies: min). When it cannot tell (a metric another callback
    puts in the logs, a custom metric without a direction), the first epoch
    end raises a `ValueError`: pass `mode="min"` or `"max"`.

    `logs["learning_rate"]` (`learning_rate_<name>` for several optimizers)
    holds the rate of the epoch's last update (before that epoch's
    reduction), as with Keras's callbacks. Each `fit` starts with fresh counters (`best`,
    `wait`, `cooldown_counter`), as Keras's callbacks do since Keras 3.15;
    the rate already reduced stays reduced. To resume an interrupted run,
    `set_state(state)` with the dict `get_state()` returned: the next `fit`
    then continues from those counters (once), and reduces at the same
    epochs as an uninterrupted run.

    Args:
        monitor: The quantity to watch in the epoch logs.
        factor: The factor a reduction multiplies the rate by, in (0, 1).
        patience: Epochs without improvement before a reduction, >= 0.
        verbose: 0 quiet, 1 print a message at each reduction.
        mode: `"min"`, `"max"` or `"auto"` (from the metric, as Keras 3).
        min_delta: The margin that counts as improvement, >= 0.
        cooldown: Epochs after a reduction until bad epochs count again (the
            last of them counts).
        min_lr: The lower bound of a reduction, >= 0.
        threshold_mode: `"abs"` or `"rel"`, how `min_delta` is applied (after
            Keras's arguments, which keep Keras's order).
        start_from_epoch: Epochs to ignore at the start (e.g. warmup).
        restore_best_weights: Whether a reduction first restores the model's
            weights from the best epoch.

    Raises:
        ValueError: If an argument is out of range or a mode is unknown.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, 10_000)))
    model.fit(x, y, validation_split=0.2, epochs=50,
              callbacks=[keras_lr.ReduceLROnPlateau("val_loss", factor=0.5, patience=3)])
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: Literal["auto", "min", "max"] = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        threshold_mode: Literal["abs", "rel"] = "abs",
        start_from_epoch: int = 0,
        restore_best_weights: bool = False,
    ):
        super().__init__()
        if not isinstance(monitor, str):
            check.fail("monitor", "a string", monitor, TypeError)
        self.monitor = monitor
        self.factor = check.in_range("factor", factor, 0.0, 1.0, closed=(False, False))
        self.patience = check.integer("patience", patience)
        self.verbose = check.integer("verbose", verbose)
        self.mode = check.one_of("mode", mode, MODES)
        self.min_delta = abs(check.number("min_delta", min_delta))
        self.threshold_mode = check.one_of("threshold_mode", threshold_mode, THRESHOLD_MODES)
        self.cooldown = check.integer("cooldown", cooldown)
        self.min_lr = check.at_least("min_lr", min_lr, 0.0)
        self.start_from_epoch = check.integer("start_from_epoch", start_from_epoch)
        self.restore_best_weights = check.boolean("restore_best_weights", restore_best_weights)
        self.reset()

    def reset(self) -> None:
        """Forget the best value and the counters (each `fit` begins with this)."""
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0
        self.best_weights: list[npt.NDArray[Any]] | None = None
        self._resumed: dict[str, Any] | None = None  # the state `set_state` gave for the next fit

    def get_state(self) -> dict[str, Any]:
        """The counters, and the scale factors set on schedules, as a JSON-serializable dict
        (weights are not included)."""
        state = {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}
        if self.model is not None:
            state["scale_factors"] = scale_factors(self.model)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore counters saved by `get_state()`; the next `fit` continues from them."""
        best = state["best"]
        self.best = None if best is None else float(best)
        self.wait = check.integer("wait", state["wait"])
        self.cooldown_counter = check.integer("cooldown_counter", state["cooldown_counter"])
        self._resumed = dict(state)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Fresh counters for a new fit, unless `set_state` restored some for it. A
        # weights-only checkpoint (BackupAndRestore) stores no scale factor: the factors
        # of the saved state are put back now.
        resumed, self._resumed = self._resumed, None
        if resumed is None:
            self.reset()
        begin_scaling(self.model, type(self).__name__, (resumed or {}).get("scale_factors"))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        _instep.end(self.model)

    def _direction(self) -> str:
        """`"min"` or `"max"`: `mode`, or for `"auto"` what Keras 3 decides.

        Keras's rule (`MonitorCallback._set_monitor_op`): `loss` is minimized;
        otherwise a compiled metric named as the monitor without `val_`
        gives its direction; if neither, it is an error.
        """
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        direction = "min" if name == "loss" else _keras.metric_direction(self.model, name)
        if direction is None:
            check.fail("mode", f"'min' or 'max' for monitor={self.monitor!r}, whose direction "
                       "is not known from the model's compiled metrics", self.mode)
        return direction

    def _improved(self, current: float, direction: str) -> bool:
        if not math.isfinite(current):
            return False
        if self.best is None:
            return True
        margin = self.min_delta * (abs(self.best) if self.threshold_mode == "rel" else 1.0)
        if direction == "min":
            return current < self.best - margin
        return current > self.best + margin

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizers = optimizers_of(self.model)
        for key, optimizer in zip(log_names(optimizers), optimizers, strict=True):
            logs[key] = applied_learning_rate(optimizer)
        if epoch < self.start_from_epoch:
            return
        if self.monitor not in logs:
            warnings.warn(
                f"ReduceLROnPlateau watches `{self.monitor}`, which is not in the logs "
                f"(available: {', '.join(logs)}).",
                stacklevel=2,
            )
            return
        current = float(np.asarray(ops.convert_to_numpy(logs[self.monitor])))
        direction = self._direction()
        # Keras's counting: the epoch that ends the cooldown already counts as bad.
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current, direction):
            self.best, self.wait = current, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience and self._reduce(epoch):
            self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, epoch: int) -> bool:
        reduced = False
        for optimizer in optimizers_of(self.model):
            old = get_learning_rate(optimizer)
            if old <= self.min_lr * (1 + 1e-6):
                continue
            _instep.attached(optimizer).scale(max(old * self.factor, self.min_lr) / old)
            reduced = True
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate of "
                      f"{optimizer.name} to {get_learning_rate(optimizer):.4g}.")
        if reduced and self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        return reduced

