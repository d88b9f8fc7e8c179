"""Draw a real range test into docs/range_test.png (the picture in README.md).

The digits MLP of `keras-lr compare` with SGD (momentum 0.9), batch 64,
`find_lr`'s default arguments; every rule's suggestion is marked.

    python docs/range_test.py
"""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import keras_lr
from keras_lr import cli, recipes


def main():
    x, _, y, _ = recipes.digits(0)
    keras.utils.set_random_seed(0)
    model = cli.small_model(x.shape[1], 10)
    model.compile(recipes.optimizer("sgd", 0.01), loss="sparse_categorical_crossentropy")
    result = keras_lr.find_lr(model, x, y, batch_size=64)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    result.plot(ax=ax)
    others = {k: v for k, v in result.suggestions.items() if k != result.method}
    for i, (rule, lr) in enumerate(others.items()):
        at = int(np.argmin(np.abs(np.log(result.lrs) - np.log(lr))))
        ax.plot([lr], [result.smoothed[at]], "x", color=f"C{i + 2}", label=f"{rule}: {lr:.2e}")
    ax.legend(fontsize="small")
    finite = result.smoothed[np.isfinite(result.smoothed)]
    ax.set_ylim(0.8 * float(finite.min()), 1.5 * float(finite[:10].max()))
    ax.set_title("Range test: digits MLP, SGD (momentum 0.9), batch 64, find_lr defaults",
                 fontsize=9)
    fig.tight_layout()
    path = pathlib.Path(__file__).with_name("range_test.png")
    fig.savefig(path, dpi=80)
    print(f"Wrote {path}: " + ", ".join(f"{k} {v:.3g}" for k, v in result.suggestions.items()))


if __name__ == "__main__":
    main()
