"""Draw every keras-lr schedule into docs/schedules.png (the picture in README.md).

    python docs/gallery.py
"""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import keras_lr

N = 1000
GALLERY = {
    "Cyclical (triangular2)": keras_lr.Cyclical(0.1, 1.0, 100, policy="triangular2"),
    "OneCycle": keras_lr.OneCycle(1.0, N),
    "OneCycle (three_phase, linear)": keras_lr.OneCycle(1.0, N, 0.25, three_phase=True,
                                                        anneal_strategy="linear"),
    "CosineWarmRestarts (t_mul 2, m_mul 0.7)": keras_lr.CosineWarmRestarts(1.0, 70, 2.0, 0.7,
                                                                           0.05),
    "Warmup(Keras CosineDecay)": keras_lr.Warmup(keras.optimizers.schedules.CosineDecay(1.0, 900),
                                                 100),
    "WarmupStableDecay (1-sqrt)": keras_lr.WarmupStableDecay(1.0, 100, 600, 300, "1-sqrt"),
    "MultiStepDecay": keras_lr.MultiStepDecay(1.0, [300, 600, 800], 0.3),
    "Warmup(InverseSqrtDecay)": keras_lr.Warmup(keras_lr.InverseSqrtDecay(1.0, 100), 100),
    "SequentialSchedule": keras_lr.SequentialSchedule(
        [keras_lr.Constant(0.3), keras_lr.Cyclical(0.3, 1.0, 50), keras_lr.OneCycle(1.0, 400)],
        [200, 600]),
}


def main():
    fig, axes = plt.subplots(3, 3, figsize=(12, 8), sharex=True)
    for ax, (title, schedule) in zip(axes.flat, GALLERY.items(), strict=False):
        keras_lr.plot_schedule(schedule, N, ax=ax)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.suptitle("keras-lr schedules (learning rate against the update step)")
    fig.tight_layout()
    out = pathlib.Path(__file__).with_name("schedules.png")
    fig.savefig(out, dpi=80)
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
