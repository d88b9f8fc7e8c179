"""Fit throughput with each LR schedule or callback, relative to a constant float LR.

A tiny MLP (where the schedule's share of the train step is largest), SGD with
momentum, batch 32. Every variant is compiled once and run by a warm-up fit;
then the variants take turns in rounds (interleaved, so machine noise hits all
of them alike), each fit right after a fit of the constant rate (paired: the
ratio compares two fits a second apart), each timed over the epochs after the
first of a fit (steady state: the trace that a callback's install costs per
`fit` is excluded, and the first epoch's time is shown separately). For each
variant: the median over rounds of its rate divided by the rate of its paired
constant-LR fit, with the interquartile range, in wall time and in process CPU
time (which other tenants of a shared machine inflate less).

Every timed fit starts at update 0, as a user's fit does: the optimizer's step
counter is set back to 0 before each one (the model is compiled once, so the
variants' weights keep training; only the step matters to a schedule).

One run prints the tables of all three backends: the script runs itself once
per backend in a new process with `KERAS_BACKEND` set (each with the Python
given by `--python BACKEND=PATH` or the `OVERHEAD_PYTHON` environment variable,
`"torch=/venv/bin/python,jax=..."`; else this one). A backend whose package
that Python cannot import is reported as skipped, in one line.

Single-threaded by default (`--threads 1`): on a shared machine, multi-threaded
timings are mostly contention between the tenants. `--threads 0` leaves the
backend's own thread pools.

    python benchmarks/overhead.py [--backend tensorflow jax torch] [--python torch=PATH]
        [--spe 1 16] [--jit auto|off|on ...] [--rounds 15] [--threads 1]
        [--variants TEXT ...] [--quick]

`--jit auto` is off on TensorFlow and PyTorch, on for JAX (its uncompiled
step is not what users run); PyTorch runs `steps_per_execution=1` only.
`--quick` runs a few seconds on the current backend, in this process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
CHILD = "KERAS_LR_OVERHEAD_CHILD"  # set in the per-backend processes


def _option(name):  # a single-valued option, read before Keras is imported
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else None


THREADS = int(_option("--threads") or 1)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if THREADS:  # before the backend is imported: its thread pools are sized then
    for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                  "MKL_NUM_THREADS"):
        os.environ[_name] = str(THREADS)
    if "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
            f"{'false' if THREADS == 1 else 'true'} "
            f"intra_op_parallelism_threads={THREADS}").strip()


def _classes():
    """The timing callbacks (Keras is imported only where a backend is measured)."""
    import keras

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

    return EpochClock, PythonPerBatchLR


def variants(total):
    """Every keras-lr schedule and callback, Keras's built-ins, and a Python per-batch LR."""
    import keras

    import keras_lr

    ks = keras.optimizers.schedules
    per_batch = _classes()[1]
    cosine = ks.CosineDecay(0.05, total)
    plain = lambda schedule: (schedule, None)  # noqa: E731
    return {
        "constant LR (float)": plain(0.05),
        "Keras ExponentialDecay": plain(ks.ExponentialDecay(0.05, 100, 0.9)),
        "Keras PiecewiseConstantDecay (3)": plain(
            ks.PiecewiseConstantDecay([100, 200, 300], [0.05, 0.02, 0.01, 0.005])),
        "Keras PolynomialDecay": plain(ks.PolynomialDecay(0.05, total)),
        "Keras InverseTimeDecay": plain(ks.InverseTimeDecay(0.05, 100, 0.5)),
        "Keras CosineDecay": plain(cosine),
        "Keras CosineDecay with warmup": plain(
            ks.CosineDecay(0.0, total, warmup_steps=total // 10, warmup_target=0.05)),
        "Keras CosineDecayRestarts": plain(ks.CosineDecayRestarts(0.05, 100)),
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
            0.05, lambda: [per_batch(keras_lr.OneCycle(0.05, total))]),
    }


def build(learning_rate, spe, jit):
    import keras

    import keras_lr

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
    clock = _classes()[0]()
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False,
              callbacks=[*callbacks, clock])
    steps = len(x) // 32 * (epochs - 1)
    (wall_1, cpu_1), (wall_n, cpu_n) = clock.ends[1], clock.ends[-1]
    return steps / (wall_n - wall_1), steps / (cpu_n - cpu_1), wall_1 - start


def run(spe, jit, repeats, epochs, steps_per_epoch, only=None):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * steps_per_epoch, 16)).astype("float32")
    y = rng.normal(size=(32 * steps_per_epoch, 1)).astype("float32")
    table = variants(epochs * steps_per_epoch)
    base_name = "constant LR (float)"
    if only:
        table = {k: v for k, v in table.items()
                 if k == base_name or any(o.lower() in k.lower() for o in only)}
    models = {}
    for name, (lr, make_callbacks) in table.items():
        models[name] = build(lr, spe, jit)
        fit_rate(models[name], x, y, 2, make_callbacks() if make_callbacks else [])
    runs: dict = {name: [] for name in table}
    pairs: dict = {name: [] for name in table}  # the constant-rate fit just before each one
    for _ in range(repeats):
        for name, (_, make_callbacks) in table.items():
            if name == base_name:
                continue
            pairs[name].append(fit_rate(models[base_name], x, y, epochs, []))
            runs[base_name].append(pairs[name][-1])
            runs[name].append(fit_rate(models[name], x, y, epochs,
                                       make_callbacks() if make_callbacks else []))
    pairs[base_name] = runs[base_name]
    print(f"\nsteps_per_execution={spe}, jit_compile={jit}: {repeats} rounds x {epochs} epochs"
          f" x {steps_per_epoch} updates, timed after the first epoch of each fit")
    print("| variant | updates/s wall | ratio wall (median, IQR) | updates/CPU-s "
          "| ratio CPU (median, IQR) | first epoch s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in table:
        cells = []
        for k in (0, 1):
            ratios = [r[k] / b[k] for r, b in zip(runs[name], pairs[name], strict=True)]
            q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
            cells += [f"{statistics.median(r[k] for r in runs[name]):.0f}",
                      f"{statistics.median(ratios):.3f} ({q1:.2f}-{q3:.2f})"]
        first = statistics.median(r[2] for r in runs[name])
        print(f"| {name} | {' | '.join(cells)} | {first:.2f} |", flush=True)


def measure(args):
    """The tables of the current backend (`KERAS_BACKEND`), in this process."""
    import keras

    backend = keras.backend.backend()
    if backend == "torch" and THREADS:
        import torch

        torch.set_num_threads(THREADS)
    spes = [1] if backend == "torch" else args.spe
    jits = sorted({(j == "on") if j != "auto" else backend == "jax" for j in args.jit})
    if backend == "torch":
        jits = [False]
    repeats, epochs, steps = (1, 2, 8) if args.quick else (args.rounds, 3, 100)
    if args.quick:
        spes, jits = spes[:1], jits[:1]
    threads = f"{THREADS} thread(s) per pool" if THREADS else "the backend's default threads"
    print(f"Keras {keras.__version__}, backend {backend}, {os.cpu_count()} CPUs, {threads}; "
          "every timed fit starts at update 0", flush=True)
    for spe in spes:
        for jit in jits:
            run(spe, jit, repeats, epochs, steps, args.variants)


def interpreters(pairs):
    """backend -> Python, from `OVERHEAD_PYTHON` then `--python` (this Python by default)."""
    found = dict.fromkeys(BACKENDS, sys.executable)
    for pair in [*os.environ.get("OVERHEAD_PYTHON", "").split(","), *(pairs or [])]:
        if pair.strip():
            backend, _, path = pair.partition("=")
            if backend.strip() not in found or not path:
                raise SystemExit(f"--python takes BACKEND=PATH with BACKEND in {BACKENDS}; "
                                 f"got {pair!r}")
            found[backend.strip()] = path.strip()
    return found


def orchestrate(args, argv):
    """Run this script once per backend, each in a new process; print each one's tables."""
    pythons = interpreters(args.python)
    passed, i = [], 0
    while i < len(argv):  # the options every backend shares: all but --backend and --python
        item = argv[i]
        i += 1
        if item == "--python":
            i += 1
        elif item == "--backend":
            while i < len(argv) and not argv[i].startswith("-"):
                i += 1
        elif not item.startswith(("--python=", "--backend=")):
            passed.append(item)
    for backend in args.backend:
        python = pythons[backend]
        probe = subprocess.run(
            [python, "-c", f"import {MODULES[backend]}, keras"], capture_output=True, text=True,
            env={**os.environ, "KERAS_BACKEND": backend})
        if probe.returncode:
            reason = (probe.stderr.strip().splitlines() or ["?"])[-1]
            print(f"\n{backend}: skipped ({python} cannot import it: {reason})", flush=True)
            continue
        print(f"\n## {backend} ({python})", flush=True)
        done = subprocess.run([python, __file__, *passed],
                              env={**os.environ, "KERAS_BACKEND": backend, CHILD: "1"})
        if done.returncode:
            print(f"{backend}: failed (exit status {done.returncode})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds, the current backend, in this process")
    parser.add_argument("--backend", choices=BACKENDS, nargs="+",
                        help="backends, each run in a new process (default: all three)")
    parser.add_argument("--python", action="append", metavar="BACKEND=PATH",
                        help="the Python to run BACKEND with (repeatable)")
    parser.add_argument("--spe", type=int, nargs="+", default=[1])
    parser.add_argument("--jit", choices=["auto", "off", "on"], nargs="+", default=["auto"])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--variants", nargs="+", metavar="TEXT",
                        help="only the variants whose name contains one of these (and the "
                             "constant rate)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per pool, set before the backend is imported "
                             "(default 1; 0: the backend's own default)")
    args = parser.parse_args()
    if os.environ.get(CHILD) or (args.quick and not args.backend):
        return measure(args)  # the per-backend process, or a quick look at this backend
    args.backend = args.backend or list(BACKENDS)
    return orchestrate(args, sys.argv[1:])


if __name__ == "__main__":
    main()
