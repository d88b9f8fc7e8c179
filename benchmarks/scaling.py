"""Scaling: evaluating schedules over many steps at once, and host memory over long fits.

1. Each keras-lr schedule evaluated on a vector of 1e3, 1e5 and 1e7 steps
   (what plotting does): best of 3 wall times, and nanoseconds per step.
2. Host memory (resident set size, from /proc) at each epoch end of a
   50-epoch fit with every keras-lr callback on (plateau, 1-cycle with
   momentum, monitor writing per-update TensorBoard scalars): it must not grow.

    python benchmarks/scaling.py [--quick]
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import keras_lr

KS = keras.optimizers.schedules


def schedules():
    return {
        "Constant": keras_lr.Constant(0.1),
        "StepDecay": keras_lr.StepDecay(0.1, 1000, 0.5),
        "MultiStepDecay": keras_lr.MultiStepDecay(0.1, [10**4, 10**5, 10**6]),
        "InverseSqrtDecay": keras_lr.InverseSqrtDecay(0.1, 1000),
        "Cyclical": keras_lr.Cyclical(0.01, 0.1, 2000, policy="triangular2"),
        "OneCycle": keras_lr.OneCycle(0.1, 10**6),
        "CosineWarmRestarts": keras_lr.CosineWarmRestarts(0.1, 1000, t_mul=2.0, m_mul=0.9),
        "Warmup(CosineDecay)": keras_lr.Warmup(KS.CosineDecay(0.1, 10**6), 1000),
        "WarmupStableDecay": keras_lr.WarmupStableDecay(0.1, 1000, 10**5, 10**5),
        "SequentialSchedule": keras_lr.SequentialSchedule(
            [keras_lr.Constant(0.1), keras_lr.OneCycle(0.1, 10**5)], [1000]),
        "Scaled(OneCycle)": keras_lr.Scaled(keras_lr.OneCycle(0.1, 10**6)),
        "PerEpoch(StepDecay)": keras_lr.PerEpoch(keras_lr.StepDecay(0.1, 10), 100),
        "Keras CosineDecay": KS.CosineDecay(0.1, 10**6),
        "Keras CosineDecayRestarts": KS.CosineDecayRestarts(0.1, 1000),
    }


def vector_cost(sizes):
    print("\nEvaluating a schedule on a vector of steps (keras_lr.schedule_values), best of 3")
    print("| schedule | " + " | ".join(f"{n:.0e} steps: ms (ns/step)" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, schedule in schedules().items():
        cells = []
        for n in sizes:
            steps = np.arange(int(n), dtype="int64")
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                values = keras_lr.schedule_values(schedule, steps)
                best = min(best, time.perf_counter() - start)
            assert values.shape == (int(n),)
            assert np.isfinite(values).all()
            cells.append(f"{best * 1e3:.2f} ({best / n * 1e9:.1f})")
        print(f"| {name} | " + " | ".join(cells) + " |")


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Memory(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.rss = []

    def on_epoch_end(self, epoch, logs=None):
        self.rss.append(rss_mb())


def memory(epochs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 16)).astype("float32")
    y = rng.normal(size=(2048, 1)).astype("float32")
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    probe = Memory()
    with tempfile.TemporaryDirectory() as logs:
        model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, validation_split=0.1,
                  callbacks=[keras_lr.OneCycleScheduler(0.05),
                             keras_lr.ReduceLROnPlateau("val_loss", patience=2),
                             keras_lr.LearningRateMonitor(update_freq=10, log_dir=logs),
                             probe])
    rss = np.array(probe.rss)
    marks = sorted({min(e, epochs) for e in (1, 5, epochs // 2, epochs)})
    print(f"\nHost memory (RSS, MiB) at epoch ends of a {epochs}-epoch fit, "
          f"{len(x) * 9 // 10 // 32} updates per epoch, all keras-lr callbacks on")
    print("| " + " | ".join(f"epoch {e}" for e in marks) + " | growth from epoch 5 to the end |")
    print("|" + "---:|" * (len(marks) + 1))
    base = rss[min(4, len(rss) - 1)]
    print("| " + " | ".join(f"{rss[e - 1]:.1f}" for e in marks) + f" | {rss[-1] - base:+.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 8 epochs")
    args = parser.parse_args()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs")
    vector_cost([1e3, 1e5] if args.quick else [1e3, 1e5, 1e7])
    memory(8 if args.quick else 50)


if __name__ == "__main__":
    main()
