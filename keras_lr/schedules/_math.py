"""Pure helpers shared by the schedule modules: steps, annealing curves.

Everything here takes and returns tensors built with `keras.ops` only, works on
a scalar step or a vector of steps, and has no state.
"""

import math

from keras import ops

SHAPES = ("linear", "cosine")
DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


def as_step(step):
    """The update count as a non-negative int64 tensor (floats are truncated)."""
    return ops.maximum(ops.cast(step, "int64"), 0)


def as_float(x):
    return ops.cast(x, "float32")


def decay_weight(pct, shape):
    """Weight of the start level as `pct` goes 0 -> 1: 1 at pct 0, 0 at pct 1."""
    if shape == "linear":
        return 1.0 - pct
    if shape == "cosine":
        return 0.5 + 0.5 * ops.cos(math.pi * pct)
    return 1.0 - ops.sqrt(pct)  # "1-sqrt"


def anneal(start, end, pct, shape):
    """Move from `start` (pct = 0) to `end` (pct = 1) along `shape`."""
    return end + (start - end) * decay_weight(pct, shape)
