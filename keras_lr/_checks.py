"""Argument validation: one helper, one message shape.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of value)
with the message ``Argument `name` must be <rule>. Received: name=<value>``.
"""

import itertools
import math
import numbers
import os
import warnings
from collections.abc import Sequence

import numpy as np

# The largest step count, offset or boundary: schedule arithmetic on steps (a period
# `up + down`, `step + offset`, ...) stays exact in int32 too, as on a JAX backend
# without x64 (where int64 is int32), and never wraps around in int64.
MAX_STEPS = 2**31 - 1
# A rate is a normal float32 (subnormals are flushed to zero by some CPU kernels).
RATE_MIN = float(np.finfo("float32").tiny)
RATE_MAX = float(np.finfo("float32").max)


def fail(name, rule, value, error=ValueError):
    """Raise `error` with keras-lr's one message shape."""
    raise error(f"Argument `{name}` must be {rule}. Received: {name}={value!r}")


def number(name, value):
    """A finite real number (not a bool); returned as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "a number", value, TypeError)
    if not math.isfinite(value):
        fail(name, "finite", value)
    return float(value)


def positive(name, value):
    """A finite number > 0."""
    value = number(name, value)
    if value <= 0:
        fail(name, "> 0", value)
    return value


def rate(name, value):
    """A learning rate (or a factor on one): a positive, normal float32.

    Rejects values that become inf or 0 when the optimizer casts them to
    float32.
    """
    value = positive(name, value)
    if not RATE_MIN <= value <= RATE_MAX:
        fail(name, f"a positive float32, in [{RATE_MIN:.8g}, {RATE_MAX:.8g}]", value)
    return value


def at_least(name, value, low):
    """A finite number >= `low`."""
    value = number(name, value)
    if value < low:
        fail(name, f">= {low:g}", value)
    return value


def in_range(name, value, low, high, closed=(True, True)):
    """A finite number in the interval from `low` to `high`.

    `closed` says whether each end belongs to the interval.
    """
    value = number(name, value)
    above = value >= low if closed[0] else value > low
    below = value <= high if closed[1] else value < high
    if not (above and below):
        left, right = "[(" [not closed[0]], "])"[not closed[1]]
        fail(name, f"in {left}{low}, {high}{right}", value)
    return value


def integer(name, value, minimum=0, maximum=None):
    """An integer in [`minimum`, `maximum`] (an integral float such as 1e4 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "an integer", value, TypeError)
    if not math.isfinite(value) or value != int(value):
        fail(name, "an integer", value)
    if value < minimum:
        fail(name, "> 0" if minimum == 1 else f">= {minimum}", value)
    if maximum is not None and value > maximum:
        fail(name, f"<= {maximum}", value)
    return int(value)


def steps(name, value, minimum=0):
    """A step count or step: an integer in [`minimum`, `MAX_STEPS`]."""
    return integer(name, value, minimum, MAX_STEPS)


def steps_total(names, values):
    """Step counts whose sum is a step too (a period, the end of a phase)."""
    if sum(values) > MAX_STEPS:
        joined = " + ".join(names)
        fail(names[-1], f"such that {joined} <= {MAX_STEPS}", values[-1])


def boolean(name, value):
    """A bool (not 0/1, not a string)."""
    if not isinstance(value, bool):
        fail(name, "a bool", value, TypeError)
    return value


def one_of(name, value, choices, aliases=None):
    """One of the strings in `choices`, or a key of `aliases` (returned as its value)."""
    aliases = aliases or {}
    if isinstance(value, str) and value in aliases:
        return aliases[value]
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in (*choices, *aliases))
        fail(name, f"one of {listed}", value)
    return value


def renamed(caller, deprecated, renames, values):
    """Move keyword arguments given under a deprecated name to their new name.

    `deprecated` is the caller's `**kwargs`, `renames` maps each old name to its
    new one, `values` the new names' current values; each old name found warns
    once (`DeprecationWarning`, at the user's line) and its value is returned
    under the new name. An unknown keyword is the `TypeError` Python raises.
    """
    values = dict(values)
    for old, value in deprecated.items():
        if old not in renames:
            raise TypeError(f"{caller}() got an unexpected keyword argument {old!r}")
        new = renames[old]
        deprecated_name(f"`{caller}({old}=...)`", f"`{new}=`")
        values[new] = value
    return values


def deprecated_name(old, new, stacklevel=4):
    """Warn that `old` is deprecated in favour of `new` (removed in keras-lr 0.4)."""
    warnings.warn(f"{old} is deprecated and will be removed in keras-lr 0.4: use {new} "
                  "instead.", DeprecationWarning, stacklevel=stacklevel)


def one_of_renamed(name, value, choices, renames):
    """`one_of`, where the keys of `renames` are deprecated spellings of a choice."""
    if isinstance(value, str) and value in renames:
        deprecated_name(f"`{name}={value!r}`", f"`{name}={renames[value]!r}`")
        return renames[value]
    return one_of(name, value, choices)


def increasing(name, values, minimum=0):
    """A list of strictly increasing steps, each in [`minimum`, `MAX_STEPS`]."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail(name, "a list of integers", values, TypeError)
    values = [steps(name, v, minimum) for v in values]
    if any(b <= a for a, b in itertools.pairwise(values)):
        fail(name, "strictly increasing", values)
    return values


def log_dir(name, value, caller):
    """`None`, or a non-empty path (str or os.PathLike) for TensorBoard event files; the
    `tensorboard` package must then be installed."""
    if value is None:
        return None
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        fail(name, "a path (a str or os.PathLike) or None", value, TypeError)
    if not os.fspath(value):
        fail(name, "a non-empty path", value)
    try:
        import tensorboard  # noqa: F401 - writes the event files
    except ImportError as error:
        raise ImportError(f"{caller}({name}=...) needs TensorBoard: "
                          "pip install 'keras-lr[tensorboard]'") from error
    return os.fspath(value)


def rate_or_zero(name, value, shown=None):
    """0, or a learning rate (`rate`): what a custom schedule may return at a step
    (Hugging Face's lambdas give 0 at step 0). `shown` is the value to print
    (a whole point, say), `value` by default."""
    shown = value if shown is None else shown
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "a number", shown, TypeError)
    value = float(value)
    if value == 0.0:
        return 0.0
    if not (math.isfinite(value) and RATE_MIN <= value <= RATE_MAX):
        fail(name, f"0 or a positive float32, in [{RATE_MIN:.8g}, {RATE_MAX:.8g}]", shown)
    return value
