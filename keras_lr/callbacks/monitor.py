"""Put the learning rate, momentum and weight decay into the logs."""

import time
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from keras_lr import _checks as check
from keras_lr import _keras
from keras_lr.callbacks._optim import (
    Schedule,
    applied_learning_rate,
    get_learning_rate,
    get_momentum,
    log_names,
    momentum_name,
    optimizers_of,
)

__all__ = ["LearningRateMonitor"]

Rates = float | dict[int, float]  # an epoch's rates: one float, or {update: rate}


class LearningRateMonitor(keras.callbacks.Callback):
    """Write the learning rate (and momentum, weight decay) into the epoch logs.

    At the end of each epoch `logs` gets `learning_rate` and, where the
    optimizer has them, `momentum` or `beta_1` and `weight_decay`
    (`<key>_<optimizer name>` for several optimizers), so History, CSVLogger,
    TensorBoard and the progress bar show them. Place it before those
    callbacks in the list. The values are those of the epoch's last update
    (as Keras's `LearningRateScheduler` logs the rate used during the
    epoch; `keras_lr.get_learning_rate` gives the next update's); wrapped
    optimizers (`LossScaleOptimizer`) are looked through.

    With `log_dir`, it also writes the rate of every `update_freq`-th update
    to TensorBoard (tag `batch_learning_rate`, step = optimizer update, in
    `log_dir/train` like Keras's `TensorBoard`), for the model's first
    optimizer. They are computed from the schedule over the epoch's updates
    when the epoch begins (callbacks change rates only at epoch ends) and
    written when it ends, so no batch hook runs and `steps_per_execution`
    cannot coarsen them; a float rate is constant within an epoch.

    Args:
        update_freq: With `log_dir`, log every this many updates (> 0).
        log_dir: Where to write per-update TensorBoard scalars, a path
            (`str` or `os.PathLike`; `None`: none).

    Raises:
        ValueError: If `update_freq` is not an integer > 0 or `log_dir` is
            an empty path.
        TypeError: If `log_dir` is not a path (e.g. `True`).

    Example:

    ```python
    model.fit(x, y, epochs=5, callbacks=[keras_lr.LearningRateMonitor(),
                                         keras.callbacks.CSVLogger("log.csv")])
    ```
    """

    def __init__(self, update_freq: int = 1, log_dir: str | None = None):
        super().__init__()
        self.update_freq = check.steps("update_freq", update_freq, 1)
        self.log_dir = check.log_dir("log_dir", log_dir, type(self).__name__)
        self._writer: ScalarWriter | None = None
        self._pending: tuple[int, Rates] = (0, 0.0)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # The rates of this epoch's updates are fixed now: callbacks change the rate (a
        # plateau factor, a float) only at epoch ends, possibly before ours runs there.
        optimizers = optimizers_of(self.model)
        if self.log_dir is not None and optimizers:
            self._pending = self._rates_ahead(optimizers[0])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizers = optimizers_of(self.model)
        for optimizer, lr_key in zip(optimizers, log_names(optimizers), strict=True):
            suffix = lr_key[len("learning_rate"):]
            # A plateau callback before this one has logged the rate before its reduction.
            logs.setdefault(lr_key, applied_learning_rate(optimizer))
            name = momentum_name(optimizer)
            if name is not None:
                logs[name + suffix] = get_momentum(optimizer, last=True)
            decay = getattr(optimizer, "weight_decay", None)
            if decay is not None:
                logs["weight_decay" + suffix] = float(decay)
        if self.log_dir is not None and optimizers:
            self._write_updates(optimizers[0])

    def _rates_ahead(self, optimizer: keras.optimizers.Optimizer) -> tuple[int, Rates]:
        """(first update, this epoch's rates: a float, or {update: rate} from the schedule)."""
        start = int(ops.convert_to_numpy(optimizer.iterations))
        if not isinstance(_keras.learning_rate_of(optimizer), Schedule):
            return start, get_learning_rate(optimizer)
        per_update = getattr(optimizer, "gradient_accumulation_steps", None) or 1
        updates = np.arange(start, start + (self.params.get("steps") or 0) // per_update + 1)
        return start, dict(zip(updates.tolist(), _schedule_rates(optimizer, updates), strict=True))

    def _write_updates(self, optimizer: keras.optimizers.Optimizer) -> None:
        if self._writer is None:
            self._writer = ScalarWriter(f"{self.log_dir}/train")
        start, rates = self._pending
        now = int(ops.convert_to_numpy(optimizer.iterations))
        updates = [u for u in range(start, now) if u % self.update_freq == 0]
        if isinstance(rates, float):
            values: list[float] | npt.NDArray[np.float64] = [rates] * len(updates)
        elif all(u in rates for u in updates):
            values = [rates[u] for u in updates]
        else:  # fit did not know the epoch's length: read the schedule now
            values = _schedule_rates(optimizer, np.array(updates, dtype="int64"))
        for update, value in zip(updates, values, strict=True):
            self._writer.scalar("batch_learning_rate", float(value), update)
        self._writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _schedule_rates(optimizer: keras.optimizers.Optimizer,
                    updates: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.float64]:
    """The rate of each update: the schedule at the micro-batch that applies it."""
    from keras_lr.plotting import schedule_values

    per_update = getattr(optimizer, "gradient_accumulation_steps", None) or 1
    return schedule_values(_keras.learning_rate_of(optimizer), (updates + 1) * per_update - 1)


class ScalarWriter:
    """TensorBoard event files through the `tensorboard` package: no TensorFlow needed,
    so the same files come from every backend."""

    def __init__(self, folder: str) -> None:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._file = EventFileWriter(folder)

    def scalar(self, tag: str, value: float, step: int) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        self._file.add_event(Event(wall_time=time.time(), step=step, summary=summary))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()
