"""Which schedule reaches a target accuracy in the fewest epochs, each at its best peak rate?

Fair by construction:

- every schedule and the constant rate choose their peak rate from the same
  grid (five values over 50x), per task;
- a budget-aware schedule (cosine, 1-cycle) is trained once per budget it is
  scored at, annealing to the end of that budget; the constant rate is not
  budget-aware, so its accuracy at budget `b` is its accuracy after epoch `b`;
- "epochs to target" is the smallest budget whose final validation accuracy
  reaches the task's target; several seeds, mean and standard deviation.

The best peak of a schedule is the grid value with the most seeds reaching the
target, then the fewest mean epochs, then the best final accuracy at the
largest budget. To fit a small compute budget, a budget-aware run at a shorter
budget is trained only if the same peak and seed reached the target at the
next longer budget (a shorter anneal of the same peak is assumed not to win
where the longer one failed).

Tasks (no download):

- `blobs`: `keras_lr.datasets.blobs` (10 classes of 16x16 images; 3000
  training, 1000 validation samples), a batch-norm conv net of 29k weights,
  SGD with momentum 0.9 and weight decay 5e-4, batch 128; target 0.75,
  budgets of 4 and 8 epochs;
- `digits`: scikit-learn's bundled digits (1347 training, 450 validation),
  a 64-64 MLP, AdamW (Keras defaults, weight decay 4e-3), batch 64; target
  0.96 (below the 0.97 where it saturates), budgets of 2, 4 and 8 epochs.

The sizes, budgets and seeds fit about half an hour of one CPU core.

Schedules: constant; cosine (Keras `CosineDecay` to 0 over the budget); 1-cycle
(`keras_lr.OneCycleScheduler` defaults: pct_start 0.3, div 25, final div 1e4,
momentum cycled 0.95-0.85); 1-cycle without momentum cycling; fastai's
`fit_one_cycle` (pct_start 0.25, start max/25, end max/1e5, i.e. final div
4e3, momentum cycled 0.95-0.85).

    python benchmarks/time_to_accuracy.py [--quick] [--task blobs digits] [--seeds 3]

Run it single-threaded (OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1
TF_NUM_INTEROP_THREADS=1) on a shared machine.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import keras_lr
from keras_lr import datasets


def blobs_data(quick):
    return datasets.blobs(400 if quick else 3000, 200 if quick else 1000, seed=0)


def digits_data(quick):
    x, y = sk_datasets.load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return (scaler.transform(x_tr).astype("float32"), y_tr,
            scaler.transform(x_va).astype("float32"), y_va)


def mlp():
    return keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


TASKS = {
    "blobs": dict(
        data=blobs_data, model=datasets.blobs_model, batch=128, target=0.75, budgets=(4, 8),
        optimizer=lambda lr: keras.optimizers.SGD(lr, momentum=0.9, weight_decay=5e-4),
        label="SGD momentum 0.9, weight decay 5e-4", grid=(0.05, 0.15, 0.4, 1.0, 2.5)),
    "digits": dict(
        data=digits_data, model=mlp, batch=64, target=0.96, budgets=(2, 4, 8),
        optimizer=lambda lr: keras.optimizers.AdamW(lr),
        label="AdamW (weight decay 4e-3)", grid=(0.001, 0.003, 0.008, 0.02, 0.05)),
}


def schedules():
    """name -> (budget-aware, make(peak, budget steps) -> (optimizer rate, callbacks))."""
    return {
        "constant": (False, lambda p, n: (p, [])),
        "cosine": (True, lambda p, n: (keras.optimizers.schedules.CosineDecay(p, n), [])),
        "1-cycle (momentum cycled)": (True, lambda p, n: (p, [keras_lr.OneCycleScheduler(p)])),
        "1-cycle (no momentum cycling)": (
            True, lambda p, n: (p, [keras_lr.OneCycleScheduler(p, cycle_momentum=False)])),
        "fastai 1-cycle (pct 0.25, end max/1e5)": (True, lambda p, n: (p, [
            keras_lr.OneCycleScheduler(p, pct_start=0.25, div_factor=25.0,
                                       final_div_factor=1e5 / 25.0)])),
    }


def train(task, data, make, peak, epochs, seed):
    """Validation accuracy after each epoch of one fit of `epochs` epochs."""
    x_tr, y_tr, x_va, y_va = data
    keras.utils.set_random_seed(seed)
    model = task["model"]()
    steps = epochs * -(-len(x_tr) // task["batch"])
    rate, callbacks = make(peak, steps)
    model.compile(task["optimizer"](rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_tr, y_tr, batch_size=task["batch"], epochs=epochs, verbose=0,
                        validation_data=(x_va, y_va), callbacks=callbacks)
    return np.array(history.history["val_accuracy"])


def scores(task, data, aware, make, peak, seed):
    """(epochs to target or None, final accuracy at the largest budget)."""
    budgets, target = task["budgets"], task["target"]
    if not aware:  # one run; its accuracy after epoch b is a b-epoch run's final
        acc = train(task, data, make, peak, budgets[-1], seed)
        reached = [b for b in budgets if acc[b - 1] >= target]
        return (reached[0] if reached else None), acc[-1]
    final, at = None, None
    for budget in reversed(budgets):
        acc = train(task, data, make, peak, budget, seed)[-1]
        final = acc if final is None else final
        if acc < target:
            break
        at = budget
    return at, final


def mean_std(values, fmt):
    if not values:
        return "-"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):{fmt}} ± {std:{fmt}}"


def run_task(name, seeds, quick):
    task = dict(TASKS[name])
    if quick:
        task.update(budgets=(1,), grid=task["grid"][1:2])  # every row runs: rot, not results
    data = task["data"](quick)
    start = time.perf_counter()
    print(f"\n{name}: {len(data[0])} training / {len(data[2])} validation samples, "
          f"{task['label']}, batch {task['batch']}; target val accuracy {task['target']}; "
          f"budgets {list(task['budgets'])} epochs; peak grid {list(task['grid'])}; "
          f"seeds {list(seeds)}")
    print("| schedule | best peak | seeds reaching | epochs to target (mean ± std) "
          f"| final acc at {task['budgets'][-1]} epochs (mean ± std) |")
    print("|---|---:|---:|---:|---:|")
    rows = {}
    for label, (aware, make) in schedules().items():
        per_peak = {}
        for peak in task["grid"]:
            runs = [scores(task, data, aware, make, peak, seed) for seed in seeds]
            hit = [e for e, _ in runs if e is not None]
            final = [float(f) for _, f in runs]
            per_peak[peak] = (hit, final)
        best = min(per_peak, key=lambda p: (-len(per_peak[p][0]),
                                            statistics.mean(per_peak[p][0] or [np.inf]),
                                            -statistics.mean(per_peak[p][1])))
        hit, final = per_peak[best]
        rows[label] = (len(hit), statistics.mean(hit) if hit else np.inf,
                       statistics.mean(final))
        print(f"| {label} | {best:g} | {len(hit)}/{len(seeds)} | {mean_std(hit, '.1f')} "
              f"| {mean_std(final, '.3f')} |", flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")
    return rows


def verdict(name, rows, seeds):
    def reach(row):
        return (f"{row[1]:.1f} epochs" if row[0] == len(seeds) else
                f"{row[0]}/{len(seeds)} seeds reaching" + (f" (in {row[1]:.1f})" if row[0] else ""))

    order = sorted(rows, key=lambda k: (-rows[k][0], rows[k][1], -rows[k][2]))
    fastest, const = order[0], rows["constant"]
    cyc, nocyc = rows["1-cycle (momentum cycled)"], rows["1-cycle (no momentum cycling)"]
    cyc_key, nocyc_key = (-cyc[0], cyc[1]), (-nocyc[0], nocyc[1])
    mom = ("helped" if cyc_key < nocyc_key else "hurt" if cyc_key > nocyc_key
           else "made no difference in epochs")
    return (f"{name}: fastest to target {fastest} ({reach(rows[fastest])}, final "
            f"{rows[fastest][2]:.3f}); best constant rate {reach(const)}, final {const[2]:.3f}; "
            f"momentum cycling in 1-cycle {mom} ({reach(cyc)} vs {reach(nocyc)}, final "
            f"{cyc[2]:.3f} vs {nocyc[2]:.3f}).")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small data, 2 peaks, budgets 1 and 2, 1 seed")
    parser.add_argument("--task", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seeds = range(1 if args.quick else args.seeds)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    results = {name: run_task(name, seeds, args.quick) for name in args.task}
    print("\nVerdict (computed from the tables above):")
    for name, rows in results.items():
        print("- " + verdict(name, rows, seeds))


if __name__ == "__main__":
    main()
