"""Do schedules reach a target accuracy sooner than the best constant rate?

Two tasks that need no download: scikit-learn's bundled handwritten digits,
and a harder 10-class problem generated in code (`make_classification`). A
fixed MLP (64-64, ReLU) trained with SGD (momentum 0.9) and with Adam (batch
64) for a fixed budget of epochs, per schedule and seed. Every rate is tuned
the way the library recommends: the range test (`find_lr` with its defaults,
once per optimizer and task) gives `lr`; the schedules peak at `lr`, the
constant rates are `lr / 3`, `lr` and `3 lr`, and the best constant rate is the
one fastest to the target. Reported per schedule: the epoch at which
validation accuracy first reaches the task's target (median and mean over the
seeds; a seed that never does counts as budget + 1, "-" if the median never
does), the seconds to get there, and the final and best validation accuracy
(medians); then whether 1-cycle got there in fewer epochs than the best
constant rate.

1-cycle is budget-aware (it anneals to the end of its budget), so it is also
run with shorter budgets: the shortest budget whose final accuracy reaches
the target is the fairest "epochs to target" for it.

    python benchmarks/time_to_accuracy.py [--quick]
"""

import argparse
import functools
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import keras_lr
from keras_lr import recipes

BATCH = 64
OPTIMIZERS = {"SGD": functools.partial(recipes.optimizer, "sgd"),
              "Adam": functools.partial(recipes.optimizer, "adam")}


def load(name):
    if name == "digits":
        x, y = datasets.load_digits(return_X_y=True)
    else:
        x, y = datasets.make_classification(
            n_samples=6000, n_features=40, n_informative=20, n_classes=10,
            n_clusters_per_class=2, class_sep=1.0, flip_y=0.02, random_state=0)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return (scaler.transform(x_tr).astype("float32"), y_tr,
            scaler.transform(x_va).astype("float32"), y_va)


class Clock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.start, self.seconds = time.perf_counter(), []

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def schedules(peak, steps_per_epoch):
    """name -> (learning rate for the optimizer, callbacks factory)."""
    spe = steps_per_epoch
    out = {f"constant {f * peak:.3g}": (f * peak, list) for f in (1 / 3, 1, 3)}
    out.update({
        "exponential (x0.9 per epoch)": (
            keras.optimizers.schedules.ExponentialDecay(peak, spe, 0.9), list),
        "plateau (x0.3, patience 3)": (
            peak, lambda: [keras_lr.ReduceLROnPlateau("val_loss", 0.3, patience=3)]),
        "cosine warm restarts (5 epochs, x2)": (
            keras_lr.CosineWarmRestarts(peak, 5 * spe, t_mul=2.0), list),
        "cyclical triangular2 (2+2 epochs)": (
            peak, lambda: [keras_lr.CyclicalScheduler(peak / 10, peak, 2, unit="epochs",
                                                      mode="triangular2")]),
        "1-cycle (+momentum)": (peak, lambda: [keras_lr.OneCycleScheduler(peak)]),
    })
    return out


def model_for(data, seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((data[0].shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(int(data[1].max()) + 1, activation="softmax"),
    ])


def tuned_rate(data, optimizer):
    """The range test's suggestion (find_lr's defaults) on the seed-0 model."""
    model = model_for(data, 0)
    model.compile(OPTIMIZERS[optimizer](0.01), loss="sparse_categorical_crossentropy")
    return keras_lr.find_lr(model, data[0], data[1], batch_size=BATCH).suggestion


def train(data, optimizer, learning_rate, callbacks, epochs, seed):
    x_tr, y_tr, x_va, y_va = data
    model = model_for(data, seed)
    model.compile(OPTIMIZERS[optimizer](learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    clock = Clock()
    history = model.fit(x_tr, y_tr, batch_size=BATCH, epochs=epochs, verbose=0,
                        validation_data=(x_va, y_va), callbacks=[*callbacks, clock])
    return np.array(history.history["val_accuracy"]), clock.seconds


def first_at(acc, target):
    hits = np.nonzero(acc >= target)[0]
    return int(hits[0]) + 1 if len(hits) else None


def run_task(name, target, epochs, seeds, budgets, optimizers=tuple(OPTIMIZERS)):
    data = load(name)
    spe = -(-len(data[0]) // BATCH)
    for optimizer in optimizers:
        peak = tuned_rate(data, optimizer)
        print(f"\n{name}: {len(data[0])} training samples, target val accuracy {target}, "
              f"{epochs} epochs, seeds {list(seeds)}; {optimizer}, batch {BATCH}, "
              f"range test's rate {peak:.3g}")
        print("| schedule | epochs to target (median) | mean | seconds to target | final acc "
              "| best acc |")
        print("|---|---:|---:|---:|---:|---:|")
        rows = {}
        for label, (lr, make_callbacks) in schedules(peak, spe).items():
            reach, secs, final, best = [], [], [], []
            for seed in seeds:
                acc, seconds = train(data, optimizer, lr, make_callbacks(), epochs, seed)
                at = first_at(acc, target)
                reach.append(at if at else epochs + 1)
                secs.append(seconds[at - 1] if at else float("inf"))
                final.append(acc[-1])
                best.append(acc.max())
            rows[label] = statistics.mean(reach)
            median = statistics.median(reach)
            shown = f"{median:g}" if median <= epochs else "-"
            sec = statistics.median(secs)
            print(f"| {label} | {shown} | {statistics.mean(reach):.1f} | "
                  f"{f'{sec:.1f}' if np.isfinite(sec) else '-'} | "
                  f"{statistics.median(final):.4f} | {statistics.median(best):.4f} |")
        constants = {k: v for k, v in rows.items() if k.startswith("constant")}
        best_constant = min(constants, key=constants.get)
        cycle = rows["1-cycle (+momentum)"]
        print(f"\nBest constant rate: {best_constant} ({constants[best_constant]:.1f} epochs, "
              f"mean). 1-cycle: {cycle:.1f}. 1-cycle in fewer epochs: "
              f"{'yes' if cycle < constants[best_constant] else 'no'}.")
        print("1-cycle with shorter budgets (final accuracy, median over seeds):")
        print("| 1-cycle budget (epochs) | final acc | reaches target at the end |")
        print("|---:|---:|---|")
        for budget in budgets:
            finals = [train(data, optimizer, peak, [keras_lr.OneCycleScheduler(peak)], budget,
                            seed)[0][-1] for seed in seeds]
            final = statistics.median(finals)
            print(f"| {budget} | {final:.4f} | {'yes' if final >= target else 'no'} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits, SGD, 1 seed, 3 epochs")
    parser.add_argument("--task", choices=["digits", "synthetic", "both"], default="both")
    args = parser.parse_args()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs")
    if args.quick:
        run_task("digits", 0.9, epochs=3, seeds=[0], budgets=[2], optimizers=["SGD"])
        return
    # Targets: reachable by the best constant rate within the budget, so that the
    # question is how much sooner a schedule gets there.
    if args.task in ("digits", "both"):
        run_task("digits", 0.97, epochs=20, seeds=[0, 1, 2], budgets=[5, 10])
    if args.task in ("synthetic", "both"):
        run_task("synthetic 10-class", 0.62, epochs=20, seeds=[0, 1, 2], budgets=[5, 10])


if __name__ == "__main__":
    main()
