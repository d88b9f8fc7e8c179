"""Do you still need a schedule? Schedule-free AdamW and Muon against AdamW with schedules.

Keras 3.15's `ScheduleFreeAdamW` (Defazio et al. 2024; with and without a
warmup) and `Muon`, built exactly as `keras-lr compare --optimizers ...` builds
them (`keras_lr.recipes.optimizer`), against AdamW with a constant rate, cosine
(Keras `CosineDecay` to 0) and keras-lr's 1-cycle (`OneCycleScheduler`
defaults). The protocol and the tasks are `time_to_accuracy.py`'s, reused:

- every optimizer-and-schedule row picks its peak from the **same grid** (the
  task's five values over 50x), its best by the most seeds reaching the
  target, then the fewest mean epochs, then the best final accuracy;
- budget-aware rows (cosine, 1-cycle) are trained once per budget they are
  scored at; the others (constant, schedule-free, Muon at a constant rate)
  once, at the longest budget, read after each epoch;
- 3 seeds, mean ± std.

The schedule-free warmup is 5 % of the longest budget's updates (`compare`'s
rule, `recipes.SCHEDULE_FREE_WARMUP`). Muon orthogonalizes 2-D kernels only; the output
layer takes its AdamW step (named "output", as `compare`'s model names it), so
Muon runs on the digits MLP only: on the conv net of `blobs` every kernel is
4-D or excluded, and Muon would be AdamW.

    python benchmarks/optimizers.py [--quick] [--task digits blobs] [--seeds 3]

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
import time_to_accuracy as tta  # this folder; the tasks, `scores` and `mean_std`

import keras_lr
from keras_lr import recipes

# blobs: AdamW's grid for the conv net (five values over 50x, centred on Adam's usual 3e-3)
GRIDS = {"digits": tta.TASKS["digits"]["grid"], "blobs": (0.0005, 0.0015, 0.004, 0.01, 0.025)}


def mlp():
    """time_to_accuracy's digits MLP 64-64, its output layer named as `compare`'s."""
    return keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax", name="output"),
    ])


def rows(task_name):
    """label -> (compare's optimizer name, budget-aware, make(peak, steps) -> (rate, callbacks))."""
    def constant(peak, steps):
        return peak, []

    table = {
        "AdamW, constant": ("adamw", False, constant),
        "AdamW, cosine": ("adamw", True, lambda p, n: (
            keras.optimizers.schedules.CosineDecay(p, n), [])),
        "AdamW, 1-cycle": ("adamw", True, lambda p, n: (p, [keras_lr.OneCycleScheduler(p)])),
        "ScheduleFreeAdamW": ("schedulefree", False, constant),
        "ScheduleFreeAdamW, warmup 5 %": ("schedulefree-warmup", False, constant),
        "Muon, constant": ("muon", False, constant),
        "Muon, cosine": ("muon", True, lambda p, n: (
            keras.optimizers.schedules.CosineDecay(p, n), [])),
    }
    if task_name != "digits":  # Muon would be AdamW on a conv net (see the docstring)
        table = {k: v for k, v in table.items() if not k.startswith("Muon")}
    missing = recipes.optimizer_problems([v[0] for v in table.values()])
    for name, reason in missing.items():
        print(f"note: skipping {name}: {reason}")
    return {k: v for k, v in table.items() if v[0] not in missing}


def run_task(name, seeds, quick):
    task = dict(tta.TASKS[name], grid=GRIDS[name])
    if name == "digits":
        task["model"] = mlp
    if quick:
        task.update(budgets=(1,), grid=task["grid"][2:4])
    data = task["data"](quick)
    longest = task["budgets"][-1] * -(-len(data[0]) // task["batch"])
    start = time.perf_counter()
    print(f"\n{name}: {len(data[0])} training / {len(data[2])} validation samples, batch "
          f"{task['batch']}; target val accuracy {task['target']}; budgets "
          f"{list(task['budgets'])} epochs; peak grid {list(task['grid'])}; seeds {list(seeds)}")
    head = f"final acc at {task['budgets'][-1]} epochs (mean ± std)"
    print(f"| optimizer, schedule | best peak | seeds reaching | epochs to target (mean ± std) "
          f"| {head} |")
    print("|---|---:|---:|---:|---:|")
    finals = {}
    for label, (opt, aware, make) in rows(name).items():
        task["optimizer"] = (lambda o: lambda lr: recipes.optimizer(o, lr, longest))(opt)
        per_peak = {}
        for peak in task["grid"]:
            runs = [tta.scores(task, data, aware, make, peak, seed) for seed in seeds]
            per_peak[peak] = ([e for e, _ in runs if e is not None], [float(f) for _, f in runs])
        best = min(per_peak, key=lambda p: (-len(per_peak[p][0]),
                                            statistics.mean(per_peak[p][0] or [np.inf]),
                                            -statistics.mean(per_peak[p][1])))
        hit, final = per_peak[best]
        edge = " (grid edge)" if best in (task["grid"][0], task["grid"][-1]) else ""
        finals[label] = {p: statistics.mean(f) for p, (_, f) in per_peak.items()}
        print(f"| {label} | {best:g}{edge} | {len(hit)}/{len(seeds)} | "
              f"{tta.mean_std(hit, '.1f')} | {tta.mean_std(final, '.3f')} |", flush=True)
    print(f"\nMean final accuracy at {task['budgets'][-1]} epochs per peak "
          "(how sensitive each row is to its rate):")
    print("| optimizer, schedule | " + " | ".join(f"{p:g}" for p in task["grid"]) + " |")
    print("|---|" + "---:|" * len(task["grid"]))
    for label, by_peak in finals.items():
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in by_peak.values()) + " |")
    print(f"({time.perf_counter() - start:.0f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small data, 2 peaks, a budget of 1 epoch, 1 seed")
    parser.add_argument("--task", nargs="+", choices=list(GRIDS), default=["digits"])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seeds = range(1 if args.quick else args.seeds)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    for name in args.task:
        run_task(name, seeds, args.quick)


if __name__ == "__main__":
    main()
