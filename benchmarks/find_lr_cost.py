"""What the range test costs: `find_lr()` with its defaults against `fit` of 100 updates.

Both on a fresh compiled model (so both include their traces), the digits MLP
of `benchmarks/range_test.py` (SGD with momentum, batch 32), interleaved over
repeats; medians and the ratio, one row per backend. Single-threaded (one
intra-op and one inter-op thread, `OMP_NUM_THREADS=1`): on a shared machine,
multi-threaded timings are mostly contention. Each backend runs in its own
process; `--python BACKEND=PATH` picks the interpreter that has it (default:
this one).

    python benchmarks/find_lr_cost.py [--quick] [--repeats 5] [--backends tensorflow,jax,torch]
        [--python jax=/path/to/venv/bin/python ...]
"""

import argparse
import json
import os
import subprocess
import sys

THREADS = {"OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
           "MKL_NUM_THREADS": "1", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
           "intra_op_parallelism_threads=1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def measure(repeats):
    """{"find_lr": [s...], "fit": [s...], "updates": n} on this process's backend."""
    import statistics  # noqa: F401 - imported here: the parent needs no Keras
    import time

    import keras
    import numpy as np
    from sklearn import datasets

    import keras_lr

    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    x, y = datasets.load_digits(return_X_y=True)
    x, y = (x[:1347] / 16.0).astype("float32"), y[:1347]  # the suite's training split size

    def model():
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                                keras.layers.Dense(10, activation="softmax")])
        net.compile(keras.optimizers.SGD(0.01, momentum=0.9),
                    loss="sparse_categorical_crossentropy")
        return net

    x100, y100 = np.resize(x, (3200, 64)), np.resize(y, 3200)  # exactly 100 batches of 32
    times: dict = {"find_lr": [], "fit": []}
    for _ in range(repeats + 1):  # the first round warms up imports and caches, not counted
        net = model()
        start = time.perf_counter()
        result = keras_lr.find_lr(net, x, y, batch_size=32)
        times["find_lr"].append(time.perf_counter() - start)
        net = model()
        start = time.perf_counter()
        net.fit(x100, y100, batch_size=32, epochs=1, verbose=0, shuffle=False)
        times["fit"].append(time.perf_counter() - start)
    return {"find_lr": times["find_lr"][1:], "fit": times["fit"][1:],
            "updates": result.updates, "sweep": len(result.lrs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--python", action="append", default=[],
                        help="BACKEND=PATH: the interpreter for that backend")
    parser.add_argument("--quick", action="store_true",
                        help="one repeat, this interpreter's backend only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
        args.backends = os.environ.get("KERAS_BACKEND", "tensorflow")
    if args.child:
        print(json.dumps(measure(args.repeats)))
        return
    pythons = dict(item.split("=", 1) for item in args.python)
    print(f"find_lr() defaults against fit of 100 updates (digits MLP, batch 32, fresh "
          f"compiled models, single-threaded, {args.repeats} repeats interleaved)")
    print("| backend | find_lr s (median) | fit 100 updates s (median) | ratio (median) | "
          "ratio min-max | find_lr updates (sweep) |")
    print("|---|---:|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        env = {**os.environ, **THREADS, "KERAS_BACKEND": backend}
        out = subprocess.run([pythons.get(backend, sys.executable), __file__, "--child",
                              "--repeats", str(args.repeats)], env=env, check=True,
                             capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        ratios = sorted(a / b for a, b in zip(got["find_lr"], got["fit"], strict=True))
        median = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
        print(f"| {backend} | {median(got['find_lr']):.2f} | {median(got['fit']):.2f} | "
              f"{median(ratios):.2f} | {ratios[0]:.2f}-{ratios[-1]:.2f} | "
              f"{got['updates']} ({got['sweep']}) |", flush=True)


if __name__ == "__main__":
    main()
