"""The LR range test: its cost against plain training, and the quality of its suggestion.

Cost: a sweep of N updates against `fit` of N updates on the same data and
model (both on fresh, compiled models, so both include one trace), interleaved
over repeats; medians and the ratio.

Quality: on four small real tasks bundled with scikit-learn (no download) a
fixed model is trained for a fixed budget at a constant rate: at the default
suggestion of `find_lr` (valley), and at each rate of a log-spaced grid. The
validation loss reported is the lowest over the budget's epochs. Target: the
suggestion's loss within 1.5x (+0.01) of the grid's best on every task.

    python benchmarks/range_test.py [--quick]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import keras_lr  # noqa: E402


def task(name):
    """(x_train, y_train, x_val, y_val, outputs, loss) for a bundled data set."""
    loader = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine, "diabetes (regression)": datasets.load_diabetes}[name]
    x, y = loader(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_va = scaler.transform(x_tr).astype("float32"), scaler.transform(x_va).astype("float32")
    if name.startswith("diabetes"):
        mean, std = y_tr.mean(), y_tr.std()
        return (x_tr, ((y_tr - mean) / std).astype("float32"), x_va,
                ((y_va - mean) / std).astype("float32"), 1, "mse")
    return x_tr, y_tr, x_va, y_va, int(y.max()) + 1, "sparse_categorical_crossentropy"


def model_for(inputs, outputs, loss, learning_rate, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(outputs, activation=None if outputs == 1 else "softmax"),
    ])
    model.compile(keras.optimizers.SGD(learning_rate, momentum=0.9), loss=loss)
    return model


def best_val_loss(data, learning_rate, epochs):
    x_tr, y_tr, x_va, y_va, outputs, loss = data
    model = model_for(x_tr.shape[1], outputs, loss, learning_rate)
    history = model.fit(x_tr, y_tr, batch_size=32, epochs=epochs, verbose=0,
                        validation_data=(x_va, y_va))
    losses = np.array(history.history["val_loss"])
    return float(np.nanmin(losses)) if np.isfinite(losses).any() else float("inf")


def quality(names, epochs, grid):
    print(f"\nQuality: SGD(momentum 0.9), batch 32, {epochs} epochs, lowest validation loss; "
          f"grid {grid[0]:g} .. {grid[-1]:g} ({len(grid)} rates, log-spaced); "
          "find_lr(start_lr=1e-5, end_lr=10, num_steps=100)")
    print("| task | valley (default): rate, val loss | steepest | minimum | grid's best "
          "| default within 1.5x + 0.01 |")
    print("|---|---:|---:|---:|---:|---|")
    for name in names:
        data = task(name)
        x_tr, y_tr, _, _, outputs, loss = data
        model = model_for(x_tr.shape[1], outputs, loss, 0.01)
        result = keras_lr.find_lr(model, x_tr, y_tr, batch_size=32, num_steps=100,
                                  start_lr=1e-5, end_lr=10.0)
        found = {m: (lr, best_val_loss(data, lr, epochs)) for m, lr in result.suggestions.items()}
        scores = {lr: best_val_loss(data, lr, epochs) for lr in grid}
        best_lr = min(scores, key=scores.get)
        ok = found[result.method][1] <= 1.5 * scores[best_lr] + 0.01
        cells = [f"{lr:.3g}, {v:.4f}" for lr, v in
                 (found["valley"], found["steepest"], found["minimum"], (best_lr, scores[best_lr]))]
        print(f"| {name} | {' | '.join(cells)} | {'yes' if ok else 'NO'} |")


def cost(repeats, steps):
    data = task("digits")
    x_tr, y_tr, _, _, outputs, loss = data
    batches = len(x_tr) // 32 + (len(x_tr) % 32 > 0)
    epochs = max(1, steps // batches)
    updates = epochs * batches
    sweep_s, fit_s = [], []
    for _ in range(repeats):
        model = model_for(x_tr.shape[1], outputs, loss, 0.01)
        start = time.perf_counter()
        keras_lr.find_lr(model, x_tr, y_tr, batch_size=32, num_steps=updates, start_lr=1e-6,
                         end_lr=1e-3, stop_factor=1e9)
        sweep_s.append(time.perf_counter() - start)
        model = model_for(x_tr.shape[1], outputs, loss, 0.01)
        start = time.perf_counter()
        model.fit(x_tr, y_tr, batch_size=32, epochs=epochs, verbose=0, shuffle=False)
        fit_s.append(time.perf_counter() - start)
    ratios = [s / f for s, f in zip(sweep_s, fit_s)]
    print(f"\nCost: digits, {updates} updates of batch 32, fresh compiled model each time "
          f"(one trace included), {repeats} repeats interleaved")
    print("| run | seconds (median) | ratio to fit (median) | ratio min-max |")
    print("|---|---:|---:|---:|")
    print(f"| model.fit | {statistics.median(fit_s):.2f} | 1.000 | - |")
    print(f"| find_lr | {statistics.median(sweep_s):.2f} | {statistics.median(ratios):.3f} | "
          f"{min(ratios):.3f}-{max(ratios):.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one task, a short budget")
    args = parser.parse_args()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs")
    if args.quick:
        cost(repeats=1, steps=50)
        quality(["wine"], epochs=3, grid=list(np.logspace(-3, 0, 8)))
    else:
        cost(repeats=5, steps=500)
        quality(["digits", "breast_cancer", "wine", "diabetes (regression)"], epochs=20,
                grid=list(np.logspace(-4, 0.5, 10)))


if __name__ == "__main__":
    main()
