"""Shared test helpers: probe models, weight recorders, scripted logs, subprocess runners and
the TensorBoard reader. Imports no TensorFlow (tests/test_backends.py, test_custom.py and
test_guard.py run on JAX and PyTorch too).

Training runs whose applied learning rates can be read off the weights:

`rates_per_update` trains a linear model on one-hot inputs with plain SGD
(no momentum) and mean absolute error far below the target: the gradient of
row `r` of the kernel is `1 / batch_size` when sample `r` is in the batch and
0 otherwise, so after an epoch each row has moved by exactly the rate of the
update that used it, divided by the batch size. Reading the kernel at each
epoch's end (not per batch) gives the rate of every update, whatever
`steps_per_execution`, `jit_compile` or distribution strategy.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np

import keras_lr

KS = keras.optimizers.schedules
ROOT = pathlib.Path(__file__).resolve().parents[1]
STEPS = 12  # updates per epoch
EPOCHS = 3


class Inject(keras.callbacks.Callback):
    """Put a scripted value of `name` into each epoch's logs (a forced plateau)."""

    def __init__(self, values, name="val_score"):
        super().__init__()
        self.values, self.name = list(values), name

    def on_epoch_end(self, epoch, logs=None):
        logs[self.name] = self.values[epoch]


class KernelPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.kernels = []

    def on_train_begin(self, logs=None):
        if not self.kernels:
            self.kernels.append(self.model.get_weights()[0][:, 0].copy())

    def on_epoch_end(self, epoch, logs=None):
        self.kernels.append(self.model.get_weights()[0][:, 0].copy())


class WeightPerBatch(keras.callbacks.Callback):
    """The first weight of the model after each batch (one-weight probes)."""

    def __init__(self):
        super().__init__()
        self.trace = []

    def on_train_batch_end(self, batch, logs=None):
        self.trace.append(float(self.model.get_weights()[0][0, 0]))

    def moves(self):
        """How far each batch moved the weight, from its start at 0."""
        return -np.diff([0.0, *self.trace])


class WeightsPerUpdate(keras.callbacks.Callback):
    """The first entry of every trainable variable after each update (read back from JAX's
    in-flight state): one row per update."""

    def __init__(self):
        super().__init__()
        self.trace = []

    def on_train_batch_end(self, batch, logs=None):
        keras_lr._keras.sync_state(self.model)  # noqa: SLF001 - the tests' own probe
        self.trace.append([float(keras.ops.convert_to_numpy(v).flat[0])
                           for v in self.model.trainable_variables])


def adam_rates(moves):
    """The rates of Adam updates that each moved a weight whose gradient is exactly 1.

    Adam's step is then lr * root / (root + epsilon) with root = sqrt(1 - beta_2**t).
    """
    root = np.sqrt(1 - 0.999 ** np.arange(1, len(moves) + 1))
    return np.asarray(moves) * (root + 1e-7) / root


def one_weight_model(optimizer):
    """One weight, gradient exactly 1 (MAE far below the target): each update moves it by the
    step the optimizer takes."""
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(optimizer, loss="mae")
    return model


def regression(seed=0):
    """A Dense(2) model with weights of ones, and 16 samples of a linear target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 2)) + 0.1).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
    return model, x, y


def onehot_model(learning_rate, batch_size=1, **compile_kw):
    rows = STEPS * batch_size
    model = keras.Sequential(
        [keras.Input((rows,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.SGD(learning_rate), loss="mae", **compile_kw)
    return model


def rates_per_update(model, callbacks, epochs=EPOCHS, batch_size=1, initial_epoch=0):
    rows = STEPS * batch_size
    x = np.eye(rows, dtype="float32")
    y = np.full((rows, 1), -1e4, "float32")
    probe = KernelPerEpoch()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch,
              shuffle=False, verbose=0, callbacks=[*callbacks, probe])
    moves = -np.diff(np.array(probe.kernels), axis=0) * batch_size  # (epochs, rows)
    per_update = moves.reshape(len(moves), STEPS, batch_size)
    return per_update.mean(axis=-1).reshape(-1)


PLATEAU_SCORES = [1.0, 1.1, 0.5, 0.6, 0.7]  # min mode: epoch 1 does not improve


def plateau_scenario(batch_size=1, **compile_kw):
    """SGD(CosineDecay) with a forced plateau: halved after epoch 1 (patience 1)."""
    model = onehot_model(KS.CosineDecay(0.1, EPOCHS * STEPS, alpha=0.1), batch_size, **compile_kw)
    callbacks = [Inject(PLATEAU_SCORES),
                 keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)]
    return model, callbacks


def one_cycle_scenario(batch_size=1, **compile_kw):
    model = onehot_model(0.5, batch_size, **compile_kw)
    return model, [keras_lr.OneCycleScheduler(0.1, pct_start=0.25, cycle_momentum=False)]


def expected_plateau_rates():
    cosine = keras_lr.schedule_values(KS.CosineDecay(0.1, EPOCHS * STEPS, alpha=0.1),
                                      EPOCHS * STEPS)
    cosine[2 * STEPS:] *= 0.5  # reduced at the end of epoch 1
    return cosine


def expected_one_cycle_rates():
    return keras_lr.schedule_values(keras_lr.OneCycle(0.1, EPOCHS * STEPS, pct_start=0.25),
                                    EPOCHS * STEPS)


# --- Subprocesses and TensorBoard -----------------------------------------------------------------

def python(*argv, env=None, cwd=ROOT, timeout=600):
    """Run `python *argv` in a fresh process with this backend and this checkout importable."""
    env = {**os.environ, "KERAS_BACKEND": keras.backend.backend(), "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def run_python(code, *args, **kwargs):
    """Run `code` (dedented) with `args` as python's run does; it must succeed: its stdout."""
    done = python("-c", textwrap.dedent(code), *args, **kwargs)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def tensorboard_events(folder):
    """(tag, step, value) of every scalar in the event files of `folder`, in order."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util.tensor_util import make_ndarray

    events = []
    for path in sorted(pathlib.Path(folder).iterdir()):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                tensor = value.tensor if value.HasField("tensor") else None
                scalar = float(make_ndarray(tensor)) if tensor else value.simple_value
                events.append((value.tag, event.step, scalar))
    return events


def tensorboard_scalars(folder):
    """(steps, values) of every scalar in the event files of `folder`."""
    events = tensorboard_events(folder)
    return [step for _, step, _ in events], [value for _, _, value in events]
