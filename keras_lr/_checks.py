"""Argument validation: one helper, one message shape.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of value)
with the message ``Argument `name` must be <rule>. Received: name=<value>``.
"""

import math
import numbers
from collections.abc import Sequence

import keras


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


def integer(name, value, minimum=0):
    """An integer >= `minimum` (an integral float such as 1e4 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "an integer", value, TypeError)
    if not math.isfinite(value) or value != int(value):
        fail(name, "an integer", value)
    if value < minimum:
        fail(name, "> 0" if minimum == 1 else f">= {minimum}", value)
    return int(value)


def one_of(name, value, choices):
    """One of the strings in `choices`."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        fail(name, f"one of {listed}", value)
    return value


def increasing(name, values, minimum=0):
    """A list of strictly increasing integers, each >= `minimum`."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail(name, "a list of integers", values, TypeError)
    values = [integer(name, v, minimum) for v in values]
    if any(b <= a for a, b in zip(values, values[1:])):
        fail(name, "strictly increasing", values)
    return values


def schedule(name, value):
    """A `LearningRateSchedule`, or a positive number (made a `Constant`)."""
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        from keras_lr.schedules.basic import Constant

        return Constant(positive(name, value))
    fail(name, "a LearningRateSchedule or a number", value, TypeError)
