"""Pure helpers shared by the schedule modules: steps, annealing curves.

Everything here takes and returns tensors built with `keras.ops` only, works on
a scalar step or a vector of steps, and has no state.
"""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check

SHAPES = ("linear", "cosine")
DECAY_SHAPES = ("linear", "cosine", "1-sqrt")
SHAPE_ALIASES = {"cos": "cosine"}  # PyTorch's spelling (OneCycleLR's anneal_strategy)


INT64_LIMIT = 2**63


def checked_step(step):
    """`step` itself, after checking a Python or NumPy value (not a tensor) in Python.

    Steps are integers (or floats, truncated) that int64 can hold; a NumPy
    array of them is returned for a list. Tensors and variables pass as they
    are: nothing is added to a traced graph.
    """
    if isinstance(step, (bool, np.bool_)) or step is None or isinstance(step, (str, bytes)):
        check.fail("step", "an integer or an array of integers", step, TypeError)
    if isinstance(step, numbers.Number):
        if not isinstance(step, numbers.Real):
            check.fail("step", "an integer or an array of integers", step, TypeError)
        value = float(step)  # type: ignore[arg-type]  # a numbers.Real here
        if not (math.isfinite(value) and -INT64_LIMIT < value < INT64_LIMIT):
            check.fail("step", "finite and within int64 (|step| < 2**63)", step)
        return step
    if not isinstance(step, (list, tuple, np.ndarray)):
        if hasattr(step, "dtype") and hasattr(step, "shape"):
            return step  # a tensor or a variable
        check.fail("step", "an integer or an array of integers", step, TypeError)
    try:
        array = np.asarray(step)
    except (ValueError, TypeError, OverflowError):
        array = np.asarray(step, dtype=object)
    if array.dtype.kind in "iu":
        if array.dtype.kind == "u" and array.size and array.max() >= INT64_LIMIT:
            check.fail("step", "within int64 (< 2**63)", step)
        return array
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array) & (np.abs(array) < INT64_LIMIT)):
            check.fail("step", "finite and within int64 (|step| < 2**63)", step)
        return array
    if array.dtype.kind == "O" and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in array.flat
    ):
        check.fail("step", "within int64 (|step| < 2**63)", step)
    check.fail("step", "an integer or an array of integers", step, TypeError)


def step_dtype():
    """The integer type of step arithmetic: int64, or uint32 on JAX without x64.

    JAX's integers are 32-bit unless `jax_enable_x64` is set (its optimizers
    count updates in int32). Steps are clamped at 0, so the unsigned type holds
    any such step plus an offset below 2**31 without overflow.
    """
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return "uint32"
    return "int64"


def step_max():
    """The largest step the step type holds."""
    return int(np.iinfo(step_dtype()).max)


def const(n):
    """`n` as a typed step constant (no extra Cast op), saturated at `step_max()`."""
    return np.array(min(int(n), step_max()), dtype=step_dtype())[()]


def at_least(x, n):
    """`maximum(x, n)` for an integer tensor and a typed scalar, keeping the tensor's type
    (Keras's torch `maximum`/`minimum` return int32 there)."""
    if keras.backend.backend() == "torch":
        return ops.where(x < n, n, x)
    return ops.maximum(x, n)


def at_most(x, n):
    """`minimum(x, n)`, as `at_least`."""
    if keras.backend.backend() == "torch":
        return ops.where(x > n, n, x)
    return ops.minimum(x, n)


def floor64(x):
    """`floor` of a non-negative float64 tensor, kept in float64 (Keras's torch `floor`
    returns float32, which misplaces large cycle indices)."""
    if keras.backend.backend() == "torch":
        return ops.cast(ops.cast(x, "int64"), "float64")
    return ops.floor(x)


def as_step(step):
    """The update count as a non-negative integer tensor (floats are truncated)."""
    step = checked_step(step)
    dtype = step_dtype()
    if dtype == "uint32":
        if isinstance(step, (int, float, np.ndarray, np.generic, list, tuple)):
            step = np.clip(np.asarray(step, dtype="float64"), 0, step_max()).astype(dtype)
            return ops.convert_to_tensor(step)
        if keras.backend.standardize_dtype(step.dtype) == dtype:
            return step
        return ops.cast(ops.maximum(ops.cast(step, "int32"), 0), dtype)
    return at_least(ops.cast(step, dtype), np.int64(0))  # typed: no extra Cast op


def shift(step, offset):
    """`max(step + offset, 0)` for any Python integer `offset`."""
    step = as_step(step)
    return step + const(offset) if offset >= 0 else minus(step, -offset)


def minus(step, n):
    """`max(step - n, 0)` for a step tensor and a Python integer `n >= 0`, without
    going below 0 on the way (the step type may be unsigned)."""
    n = const(n)
    return at_least(step, n) - n


def as_float(x):
    return ops.cast(x, "float32")


def weights(pct, shape):
    """(weight of the start level, weight of the end level) as `pct` goes 0 -> 1.

    The two weights add up to 1 and are each computed without cancellation
    (the cosine pair is cos² and sin² of `pi * pct / 2`), so a curve near
    either end stays accurate to float32 relative precision.
    """
    if shape == "linear":
        return 1.0 - pct, pct
    if shape == "cosine":
        half = (0.5 * math.pi) * pct
        return ops.square(ops.cos(half)), ops.square(ops.sin(half))
    root = ops.sqrt(pct)  # "1-sqrt"
    return 1.0 - root, root


def anneal(start, end, pct, shape):
    """Move from `start` (pct = 0) to `end` (pct = 1) along `shape`.

    With tensor levels both weighted terms are computed. With Python-number
    levels the curve is written from its lower level, `low + (high - low) *
    weight of high`, which is as accurate and takes fewer ops.
    """
    to_start, to_end = weights(pct, shape)
    if isinstance(start, (int, float)) and isinstance(end, (int, float)):
        if start <= end:
            return start + (end - start) * to_end if start else end * to_end
        return end + (start - end) * to_start if end else start * to_start
    return start * to_start + end * to_end


def power(base, count):
    """`base ** count` for a Python `base` in (0, 1] and a tensor of counts (steps,
    cycles), computed as `exp(count * log(base))` in float64 where the backend has
    it, so a base such as 0.9999 is not first rounded to float32 (which would put
    `0.9999 ** 30000` 5e-4 off); on JAX without x64, in float32 (relative error
    about `1.2e-7 * |count * log(base)|`). Returns float32."""
    if base == 1.0:
        return ops.ones_like(as_float(count))
    log = math.log(base)
    if step_dtype() != "uint32":
        return as_float(ops.exp(ops.cast(count, "float64") * log))
    return ops.exp(as_float(count) * log)


def end_weights(pct, rest, shape):
    """(weight of the start level, weight of the end level) from the fraction done
    `pct` and the fraction left `rest` (each computed directly, `rest` not as
    `1 - pct`), so both weights are accurate near either end of the segment."""
    near = pct <= 0.5  # each weight from the nearer end: exactly 0 and 1 at the ends
    if shape == "linear":
        return ops.where(near, 1.0 - pct, rest), ops.where(near, pct, 1.0 - rest)
    first, second = weights(pct, shape), weights(rest, shape)
    return ops.where(near, first[0], second[1]), ops.where(near, first[1], second[0])
