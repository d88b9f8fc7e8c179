"""What one `SpikeGuard` snapshot costs: time per MiB of state and peak extra host memory.

The guard's snapshot is what `SpikeGuard` does every `snapshot_freq` healthy
updates: `Snapshot.finite()` checks the weights and slots on the device, then
`Snapshot.take()` copies every variable over the one host copy, in place. The
model is four `Dense(u, u)` layers trained by Adam (weights and two slots per
weight, float32), `u` chosen for each state size. Per size: the first
snapshot (it allocates the host copy), then the median over repeats of the
later ones (the steady state); peak extra host memory is the process's peak
resident set (VmHWM, reset before each snapshot through /proc/self/clear_refs)
over its resident set before, and Python's own allocations (tracemalloc),
from separate untimed snapshots. Single-threaded (the settings of
`find_lr_cost.py`, unless already set); one backend per run (`KERAS_BACKEND`).
Linux only (/proc).

    KERAS_BACKEND=jax python benchmarks/snapshot_cost.py [--quick] [--sizes 16 64 256]
        [--repeats 5]
"""

import argparse
import os

from find_lr_cost import THREADS  # the same single-threaded settings

MIB = 2**20
LAYERS = 4


def _status(field):
    """A /proc/self/status field (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(sizes, repeats):
    """One row per state size, in this process's backend."""
    import statistics
    import time
    import tracemalloc

    import keras
    import numpy as np

    from keras_lr._snapshot import Snapshot

    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)

    def snap(snapshot):
        start = time.perf_counter()
        assert snapshot.finite()
        checked = time.perf_counter()
        snapshot.take()
        return checked - start, time.perf_counter() - checked

    def memory(snapshot):  # (peak resident set over the one before, peak traced), bytes
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak resident set starts again from the current one
        before = _status("VmRSS")
        tracemalloc.start()
        snapshot.take()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return _status("VmHWM") - before, traced

    rows = []
    for mib in sizes:
        units = int((mib * MIB / (LAYERS * 3 * 4)) ** 0.5)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((units,)), *[
            keras.layers.Dense(units, use_bias=False) for _ in range(LAYERS)]])
        model.compile(keras.optimizers.Adam(1e-3), loss="mse")
        model.optimizer.build(model.trainable_variables)
        snapshot = Snapshot(model)
        state = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in snapshot.variables)
        first = memory(snapshot)  # the first take allocates the host copy
        check, copy = zip(*[snap(snapshot) for _ in range(repeats)], strict=True)
        steady = [memory(snapshot) for _ in range(2)]
        rows.append({"state": state / MIB, "largest": max(
            int(np.prod(v.shape)) * 4 for v in snapshot.variables) / MIB,
            "check": statistics.median(check), "copy": statistics.median(copy),
            "first_rss": first[0] / MIB, "first_traced": first[1] / MIB,
            "rss": max(s[0] for s in steady) / MIB, "traced": max(s[1] for s in steady) / MIB})
        del model, snapshot
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[16, 64, 256],
                        help="state sizes, MiB")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="4 MiB, two repeats")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats = [4.0], 2
    for name, value in THREADS.items():  # before the backend is imported (in `measure`)
        os.environ.setdefault(name, value)
    rows = measure(args.sizes, args.repeats)
    import keras  # imported by `measure`

    print(f"SpikeGuard snapshot: device check + copy over the host copy (Adam, {LAYERS} "
          f"Dense layers; single-threaded; median of {args.repeats}); memory in MiB")
    print("| backend | state MiB | check ms | copy ms | ms per MiB | first: peak RSS extra "
          "(traced) | later: peak RSS extra (traced) | largest variable MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        per_mib = (r["check"] + r["copy"]) * 1e3 / r["state"]
        print(f"| {keras.backend.backend()} | {r['state']:.1f} | {r['check'] * 1e3:.2f} | "
              f"{r['copy'] * 1e3:.2f} | {per_mib:.3f} | {r['first_rss']:.1f} "
              f"({r['first_traced']:.1f}) | {r['rss']:.1f} ({r['traced']:.2f}) | "
              f"{r['largest']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
