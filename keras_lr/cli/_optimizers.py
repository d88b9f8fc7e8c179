"""`compare`'s optimizers: `keras_lr.recipes`'s, and Keras 3.15's schedule-free AdamW and Muon.

- `"schedulefree"`: `keras.optimizers.ScheduleFreeAdamW` (Defazio et al. 2024) with no
  warmup; `"schedulefree-warmup"`: the same with a linear warmup over the first 5 % of the
  updates (the paper's recipe warms up; the optimizer does it itself, from `warmup_steps`).
- `"muon"`: `keras.optimizers.Muon`; its output layer (`small_model` names it "output") takes
  Muon's AdamW step, as Muon's authors advise for the last layer.

A Keras without them skips them, with a note.
"""

import keras

from keras_lr import recipes
from keras_lr.cli._common import RECIPE_OPTIMIZERS

CLASSES = {"schedulefree": "ScheduleFreeAdamW", "schedulefree-warmup": "ScheduleFreeAdamW",
           "muon": "Muon"}
WARMUP = 0.05  # of the updates, for "schedulefree-warmup"


def missing(names):
    """The names this Keras cannot build."""
    return [n for n in names if n in CLASSES and not hasattr(keras.optimizers, CLASSES[n])]


def optimizer(name, learning_rate, total_steps):
    """The optimizer `name` at `learning_rate` (a float or a schedule), for a run of
    `total_steps` updates."""
    if name in RECIPE_OPTIMIZERS:
        return recipes.optimizer(name, learning_rate)
    if name == "muon":
        return keras.optimizers.Muon(learning_rate, exclude_layers=["output"])
    warmup = max(1, round(WARMUP * total_steps)) if name == "schedulefree-warmup" else 0
    return keras.optimizers.ScheduleFreeAdamW(learning_rate, warmup_steps=warmup)
