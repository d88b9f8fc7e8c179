"""Fit throughput with each LR schedule or callback, relative to a constant float LR.

A tiny MLP (where the schedule's share of the train step is largest), SGD with
momentum, batch 32. Every variant is compiled once and traced by a warm-up
fit; then the variants take turns in rounds (interleaved, so machine noise
hits all of them alike), each timed over the epochs after the first of a fit
(steady state: the one trace that a callback's install costs per `fit` is
excluded, and the first epoch's time is shown separately). For each variant:
the median over rounds of its rate divided by the constant-LR rate of the
same round, with the interquartile range, in wall time and in process CPU
time (which other tenants of a shared machine do not inflate).

Every timed fit starts at update 0, as a user's fit does: the optimizer's
step counter is set back to 0 before each one (the model is compiled once, so
the variants' weights keep training; only the step matters to a schedule).

Single-threaded by default (`--threads 1`): on a shared machine,
multi-threaded timings are mostly contention between the tenants. `--threads 0`
leaves the backend's own thread pools.

    python benchmarks/overhead.py [--quick] [--spe 1 16] [--jit off on] [--rounds 15]
        [--threads 1] [--backend tensorflow|jax|torch]

`--backend` and `--threads` act before Keras is imported (PyTorch runs
`steps_per_execution=1` only).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if "--backend" in sys.argv[:-1]:  # before Keras is imported
    os.environ["KERAS_BACKEND"] = sys.argv[sys.argv.index("--backend") + 1]
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv[:-1] else 1
if THREADS:  # before the backend is imported: its thread pools are sized then
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                 "MKL_NUM_THREADS"):
        os.environ[name] = str(THREADS)
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                               f"{'false' if THREADS == 1 else 'true'} "
                               f"intra_op_parallelism_threads={THREADS}").strip()

import keras  # noqa: E402 (after the thread settings)
import numpy as np  # noqa: E402

import keras_lr  # noqa: E402

KS = keras.optimizers.schedules


class EpochClock(keras.callbacks.Callback):
    """Wall and process-CPU time at each epoch end (CPU time is not inflated by other
    tenants of a shared machine taking the cores)."""

    def on_train_begin(self, logs=None):
        self.ends = [(time.perf_counter(), time.process_time())]

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append((time.perf_counter(), time.process_time()))


class PythonPerBatchLR(keras.callbacks.Callback):
    """How earlier add-ons work: set a float LR from Python before every batch."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule, self.step = schedule, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = float(self.schedule(self.step))
        self.step += 1


def variants(total):
    """Every keras-lr schedule and callback, Keras's built-ins, and a Python per-batch LR."""
    cosine = KS.CosineDecay(0.05, total)
    plain = lambda schedule: (schedule, None)  # noqa: E731
    return {
        "constant LR (float)": plain(0.05),
        "Keras ExponentialDecay": plain(KS.ExponentialDecay(0.05, 100, 0.9)),
        "Keras PiecewiseConstantDecay (3)": plain(
            KS.PiecewiseConstantDecay([100, 200, 300], [0.05, 0.02, 0.01, 0.005])),
        "Keras PolynomialDecay": plain(KS.PolynomialDecay(0.05, total)),
        "Keras InverseTimeDecay": plain(KS.InverseTimeDecay(0.05, 100, 0.5)),
        "Keras CosineDecay": plain(cosine),
        "Keras CosineDecay with warmup": plain(
            KS.CosineDecay(0.0, total, warmup_steps=total // 10, warmup_target=0.05)),
        "Keras CosineDecayRestarts": plain(KS.CosineDecayRestarts(0.05, 100)),
        "keras_lr.Constant": plain(keras_lr.Constant(0.05)),
        "keras_lr.StepDecay": plain(keras_lr.StepDecay(0.05, 100, 0.5)),
        "keras_lr.MultiStepDecay (3)": plain(keras_lr.MultiStepDecay(0.05, [100, 200, 300])),
        "keras_lr.InverseSqrtDecay": plain(keras_lr.InverseSqrtDecay(0.05, 100)),
        "keras_lr.Cyclical": plain(keras_lr.Cyclical(0.005, 0.05, 50)),
        "keras_lr.OneCycle": plain(keras_lr.OneCycle(0.05, total)),
        "keras_lr.CosineWarmRestarts": plain(keras_lr.CosineWarmRestarts(0.05, 100)),
        "keras_lr.Warmup(CosineDecay)": plain(keras_lr.Warmup(cosine, total // 10)),
        "keras_lr.WarmupStableDecay": plain(
            keras_lr.WarmupStableDecay(0.05, total // 10, total // 2, total // 2)),
        "keras_lr.SequentialSchedule": plain(
            keras_lr.SequentialSchedule([keras_lr.Constant(0.05), cosine], [total // 10])),
        "keras_lr.Scaled(CosineDecay)": plain(keras_lr.Scaled(cosine)),
        "keras_lr.Shifted(CosineDecay)": plain(keras_lr.Shifted(cosine, -10)),
        "keras_lr.PerEpoch(StepDecay)": plain(keras_lr.PerEpoch(keras_lr.StepDecay(0.05, 1), 100)),
        "keras_lr.PerUpdate(CosineDecay)": plain(keras_lr.PerUpdate(cosine, 1)),
        "OneCycleScheduler callback (+momentum)": (
            0.05, lambda: [keras_lr.OneCycleScheduler(0.05)]),
        "CyclicalScheduler callback": (
            0.05, lambda: [keras_lr.CyclicalScheduler(0.005, 0.05, 50)]),
        "ReduceLROnPlateau on CosineDecay": (
            cosine, lambda: [keras_lr.ReduceLROnPlateau("loss", patience=100)]),
        "LearningRateMonitor": (cosine, lambda: [keras_lr.LearningRateMonitor()]),
        "SpikeGuard (snapshot every 100)": (
            cosine, lambda: [keras_lr.SpikeGuard(snapshot_freq=100, verbose=0)]),
        "UpdateMonitor (every 100 updates)": (
            cosine, lambda: [keras_lr.UpdateMonitor(update_freq=100)]),
        "Python per-batch LR callback": (
            0.05, lambda: [PythonPerBatchLR(keras_lr.OneCycle(0.05, total))]),
    }


def build(learning_rate, spe, jit):
    model = keras.Sequential([
        keras.Input((16,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(keras.optimizers.SGD(learning_rate, momentum=0.9), loss="mse",
                  steps_per_execution=spe, jit_compile=jit)
    if isinstance(learning_rate, keras_lr.Scaled):  # JAX's step must carry its factor
        keras_lr.attach(model.optimizer)
    return model


def fit_rate(model, x, y, epochs, callbacks):
    """Updates per wall second and per CPU second after the first epoch; first epoch's time."""
    model.optimizer.iterations.assign(0)  # a fresh fit, as users' fits start
    clock = EpochClock()
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False,
              callbacks=[*callbacks, clock])
    steps = len(x) // 32 * (epochs - 1)
    (wall_1, cpu_1), (wall_n, cpu_n) = clock.ends[1], clock.ends[-1]
    return steps / (wall_n - wall_1), steps / (cpu_n - cpu_1), wall_1 - start


def run(spe, jit, repeats, epochs, steps_per_epoch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * steps_per_epoch, 16)).astype("float32")
    y = rng.normal(size=(32 * steps_per_epoch, 1)).astype("float32")
    total = epochs * steps_per_epoch
    table = variants(total)
    models = {}
    for name, (lr, make_callbacks) in table.items():
        models[name] = build(lr, spe, jit)
        fit_rate(models[name], x, y, 2, make_callbacks() if make_callbacks else [])
    runs = {name: [] for name in table}
    for _ in range(repeats):
        for name, (_, make_callbacks) in table.items():
            runs[name].append(fit_rate(models[name], x, y, epochs,
                                       make_callbacks() if make_callbacks else []))
    base = runs["constant LR (float)"]
    print(f"\nsteps_per_execution={spe}, jit_compile={jit}: {repeats} rounds x {epochs} epochs"
          f" x {steps_per_epoch} updates, timed after the first epoch of each fit")
    print("| variant | updates/s wall | ratio wall (median, IQR) | updates/CPU-s "
          "| ratio CPU (median, IQR) | first epoch s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in table:
        cells = []
        for k in (0, 1):
            ratios = [r[k] / b[k] for r, b in zip(runs[name], base, strict=True)]
            q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
            cells += [f"{statistics.median(r[k] for r in runs[name]):.0f}",
                      f"{statistics.median(ratios):.3f} ({q1:.2f}-{q3:.2f})"]
        first = statistics.median(r[2] for r in runs[name])
        print(f"| {name} | {' | '.join(cells)} | {first:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per setting")
    parser.add_argument("--spe", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--jit", choices=["off", "on"], nargs="+", default=["off", "on"])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per pool, set before the backend is imported "
                             "(default 1; 0: the backend's own default)")
    parser.add_argument("--backend", choices=["tensorflow", "jax", "torch"],
                        help="the Keras backend (default: KERAS_BACKEND or tensorflow)")
    args = parser.parse_args()
    if keras.backend.backend() == "torch":
        args.spe = [1]
        if THREADS:
            import torch

            torch.set_num_threads(THREADS)
    repeats, epochs, steps = (1, 2, 16) if args.quick else (args.rounds, 3, 100)
    if args.quick:
        args.spe, args.jit = args.spe[:1], args.jit[:1]
    threads = f"{THREADS} thread(s) per pool" if THREADS else "the backend's default threads"
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{os.cpu_count()} CPUs, {threads}; every timed fit starts at update 0")
    for spe in args.spe:
        for jit in args.jit:
            run(spe, jit == "on", repeats, epochs, steps)


if __name__ == "__main__":
    main()
