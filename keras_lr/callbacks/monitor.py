"""Put the learning rate, momentum and weight decay into the logs."""

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr.callbacks._optim import (
    Schedule,
    get_learning_rate,
    get_momentum,
    log_names,
    momentum_name,
    optimizers_of,
)


class LearningRateMonitor(keras.callbacks.Callback):
    """Write the learning rate (and momentum, weight decay) into the epoch logs.

    At the end of each epoch `logs` gets `learning_rate` and, where the
    optimizer has them, `momentum` or `beta_1` and `weight_decay`
    (`<key>_<optimizer name>` for several optimizers), so History, CSVLogger,
    TensorBoard and the progress bar show them. Place it before those
    callbacks in the list. The values are those of the optimizer's next
    update; wrapped optimizers (`LossScaleOptimizer`) are looked through.

    With `log_dir`, it also writes the rate of every `update_freq`-th update
    to TensorBoard (tag `batch_learning_rate`, step = optimizer update, in
    `log_dir/train` like Keras's `TensorBoard`). These are computed at the end
    of each epoch from the schedule over the epoch's updates, so no batch
    hook runs and `steps_per_execution` cannot coarsen them; a float rate is
    constant within an epoch.

    Args:
        update_freq: With `log_dir`, log every this many updates (> 0).
        log_dir: Where to write per-update TensorBoard scalars (`None`: none).

    Raises:
        ValueError: If `update_freq` is not an integer > 0.

    Example:

    ```python
    model.fit(x, y, epochs=5, callbacks=[keras_lr.LearningRateMonitor(),
                                         keras.callbacks.CSVLogger("log.csv")])
    ```
    """

    def __init__(self, update_freq: int = 1, log_dir: str | None = None):
        super().__init__()
        self.update_freq = check.integer("update_freq", update_freq, 1)
        if log_dir is not None:
            try:
                import tensorboard  # noqa: F401 - tf.summary needs it
            except ImportError as error:
                raise ImportError(
                    "LearningRateMonitor(log_dir=...) needs TensorBoard: "
                    "pip install 'keras-lr[tensorboard]'"
                ) from error
        self.log_dir = log_dir
        self._writer = None
        self._logged_until = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizers = optimizers_of(self.model)
        for optimizer, lr_key in zip(optimizers, log_names(optimizers)):
            suffix = lr_key[len("learning_rate"):]
            logs[lr_key] = get_learning_rate(optimizer)
            name = momentum_name(optimizer)
            if name is not None:
                logs[name + suffix] = get_momentum(optimizer)
            decay = getattr(optimizer, "weight_decay", None)
            if decay is not None:
                logs["weight_decay" + suffix] = float(decay)
        if self.log_dir is not None and optimizers:
            self._write_updates(optimizers[0])

    def _write_updates(self, optimizer):
        import tensorflow as tf  # TensorBoard summaries are TensorFlow's

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(f"{self.log_dir}/train")
        now = int(ops.convert_to_numpy(optimizer.iterations))
        start = 0 if self._logged_until is None else self._logged_until
        updates = np.arange(start - start % self.update_freq, now)
        updates = updates[(updates >= start) & (updates % self.update_freq == 0)]
        self._logged_until = now
        if not len(updates):
            return
        lr = optimizer._learning_rate
        if isinstance(lr, Schedule):
            from keras_lr.plotting import schedule_values

            per_update = getattr(optimizer, "gradient_accumulation_steps", None) or 1
            # The rate of update u is the schedule at the micro-batch that applies it.
            values = schedule_values(lr, (updates + 1) * per_update - 1)
        else:
            values = np.full(len(updates), get_learning_rate(optimizer))
        with self._writer.as_default():
            for update, value in zip(updates, values):
                tf.summary.scalar("batch_learning_rate", value, step=int(update))
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

