"""Pure helpers of the LR range test: smoothing, divergence, and the suggestion rules.

Every rule takes the sweep's rates and smoothed losses (NumPy arrays of the
same length, rates increasing) and returns one rate. `suggest_all` applies
each rule to the part of the curve it is meant for, as `find_lr` does.

>>> lrs = np.logspace(-4, 0, 9)
>>> losses = np.array([2.0, 2.0, 1.9, 1.5, 1.0, 0.6, 0.5, 0.9, 3.0])
>>> round(suggest_minimum(lrs, losses), 6)  # the lowest loss is at 0.1
0.01
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "candidates",
    "diverged",
    "fastai_window",
    "from_sweep",
    "rule_names",
    "smooth",
    "suggest_all",
    "suggest_balanced",
    "suggest_longest_fall",
    "suggest_minimum",
    "suggest_steepest",
    "suggest_valley",
    "valley_index",
]

Floats: TypeAlias = npt.NDArray[np.float64]
Curve: TypeAlias = Floats | Sequence[float]  # rates or losses: an array (or a list)

_METHODS = ("valley", "longest_fall", "steepest", "minimum", "balanced")


def rule_names() -> tuple[str, ...]:
    """The curve rules' names, in the order of `find_lr`'s `suggestions`."""
    return _METHODS


def smooth(losses: Iterable[float], beta: float = 0.98) -> Floats:
    """Bias-corrected exponential moving average of `losses` (Adam's correction).

    >>> keras_lr.suggest.smooth([1.0, 2.0, 3.0], beta=0.5).round(4).tolist()
    [1.0, 1.6667, 2.4286]
    """
    out, avg = [], 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out, dtype="float64")


def diverged(smoothed: float, best: float, stop_factor: float) -> bool:
    """Whether `smoothed` has left `best` by `stop_factor`.

    For a positive best this is `smoothed > stop_factor * best` (fastai's
    rule); in general `smoothed - best > (stop_factor - 1) * |best|`, which
    also works for negative losses.
    """
    return smoothed - best > (stop_factor - 1.0) * max(abs(best), 1e-12)


def suggest_minimum(lrs: Curve, smoothed: Curve) -> float:
    """The rate of the lowest smoothed loss, divided by 10 (fastai's `minimum`: the first
    lowest point, on the arrays given; `suggest_all` gives it fastai's window)."""
    return float(lrs[int(np.argmin(smoothed))] / 10.0)


def suggest_steepest(lrs: Curve, smoothed: Curve) -> float:
    """The rate where the smoothed loss falls fastest against log(rate).

    Searched from a tenth of the way in (the moving average is still
    settling before that) up to the lowest loss, with a central difference
    (`np.gradient`); fastai's `steep` differs (one-sided, whole window).
    """
    end = int(np.argmin(smoothed))
    begin = min(len(smoothed) // 10, max(end - 2, 0))
    if end - begin < 2:
        return float(lrs[end])
    slope = np.gradient(smoothed[begin: end + 1], np.log(lrs[begin: end + 1]))
    return float(lrs[begin + int(np.argmin(slope))])


def valley_index(smoothed: Curve) -> int:
    """The index fastai's `valley` picks in `smoothed` (fastai/callback/schedule.py).

    fastai finds where the longest strictly decreasing subsequence ends
    (`max_end`, the first such end) and its length `lds[max_end]`, counts back
    `max_start = max_end - lds[max_end]` (not the subsequence's true first
    point, which can lie far earlier on a flat start), and returns
    `max_start + int(s) + int(s / 2)` with `s = (max_end - max_start) / 3`.
    """
    n = len(smoothed)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if smoothed[i] < smoothed[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:  # inside the j loop, as in fastai
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def suggest_valley(lrs: Curve, smoothed: Curve) -> float:
    """fastai's `valley`: the rate at `valley_index(smoothed)`."""
    return float(lrs[valley_index(smoothed)])


def suggest_longest_fall(lrs: Curve, smoothed: Curve) -> float:
    """The rate halfway between the first and last points of the longest strictly
    decreasing subsequence of the smoothed losses (keras-lr 0.1's "valley";
    it starts the stretch at its true first point, fastai does not)."""
    n = len(smoothed)
    length = [1] * n  # longest decreasing run ending at i
    first = list(range(n))  # where that run starts
    for i in range(n):
        for j in range(i):
            if smoothed[j] > smoothed[i] and length[j] + 1 > length[i]:
                length[i], first[i] = length[j] + 1, first[j]
    end = int(np.argmax(length))
    return float(lrs[(first[end] + end) // 2])


def suggest_balanced(lrs: Curve, smoothed: Curve) -> float:
    """The geometric mean of the `valley` and `minimum` rates (on the same arrays: in
    `suggest_all`, fastai's window)."""
    return float(np.sqrt(suggest_valley(lrs, smoothed) * suggest_minimum(lrs, smoothed)))


WINDOWED = ("valley", "minimum", "balanced")  # the rules that see `fastai_window`
_SUGGESTERS = {"valley": suggest_valley, "longest_fall": suggest_longest_fall,
              "steepest": suggest_steepest, "minimum": suggest_minimum,
              "balanced": suggest_balanced}


def fastai_window(lrs: npt.ArrayLike, smoothed: npt.ArrayLike, num_steps: int,
                  recorded: int | None = None) -> tuple[Floats, Floats]:
    """The part of a sweep fastai's `lr_find` suggests from (fastai/callback/schedule.py).

    fastai's recorder holds `recorded` points; `lr_find` keeps
    `[num_steps // 10 : recorded - 5]` (the moving average still settling, the
    blow-up) and cuts that at its first NaN. After a NaN loss fastai's smoothed
    loss stays NaN and its sweep runs on to `num_steps` updates, so `recorded`
    defaults to `num_steps`: the window ends at the first NaN (or 5 before the
    end). A sweep that stopped on divergence or an Inf loss (which fastai's
    `4 * best` test stops on, the Inf point recorded) holds `recorded` =
    `len(smoothed)` points, the last one included. The window is cut at the first
    non-finite value of `smoothed` (fastai: NaN; an Inf can only lie past `recorded - 5`).
    """
    lrs, smoothed = np.asarray(lrs), np.asarray(smoothed)
    recorded = num_steps if recorded is None else recorded
    stop = max(int(recorded) - 5, 0)
    lrs, smoothed = lrs[num_steps // 10: stop], smoothed[num_steps // 10: stop]
    bad = np.flatnonzero(~np.isfinite(smoothed))
    stop = int(bad[0]) if len(bad) else len(smoothed)
    return lrs[:stop], smoothed[:stop]


def candidates(suggestions: Mapping[str, float], low: float = 0.0) -> list[float]:
    """The rates `find_lr(refine=True)` tries: fastai's `valley` and `minimum` and their
    geometric mean `balanced`, distinct, sorted; one below `low` (`find_lr`: the sweep's
    first rate, below which nothing was measured) is raised to `low`.

    >>> candidates({"valley": 0.001, "longest_fall": 1e-4, "steepest": 0.1, "minimum": 0.1,
    ...             "balanced": 0.01})
    [0.001, 0.01, 0.1]
    """
    return sorted({max(suggestions[name], low) for name in ("valley", "balanced", "minimum")})


def suggest_all(lrs: npt.ArrayLike, smoothed: npt.ArrayLike, num_steps: int,
                recorded: int | None = None) -> dict[str, float]:
    """`{rule: rate}` for every rule, as `find_lr` reports them.

    Args:
        lrs: The rate of each recorded update, increasing.
        smoothed: The smoothed loss of each, up to (or including) the first
            NaN/Inf; points after it are ignored.
        num_steps: The updates the sweep was asked for.
        recorded: What fastai's recorder would hold (see `fastai_window`): the
            default `num_steps` reads a short curve as one cut by a NaN loss;
            pass `len(smoothed)` for a sweep that stopped on divergence, an Inf
            loss or the end of the input.

    Returns:
        A dict. `valley`, `minimum` and `balanced` see fastai's window
        (`fastai_window`), exactly as fastai's `lr_find`; `steepest` and
        `longest_fall` every finite point. Where the window is empty (fastai
        then fails with an IndexError), they see every finite point too.

    Raises:
        ValueError: If the first loss is not finite (nothing to suggest from).
    """
    lrs, smoothed = np.asarray(lrs, "float64"), np.asarray(smoothed, "float64")
    finite = np.isfinite(smoothed)
    stop = int(np.argmin(finite)) if not finite.all() else len(smoothed)
    if not stop:
        raise ValueError("suggest_all needs a finite first loss: the curve is NaN/Inf from "
                         "its first point, so no rate can be suggested.")
    full = lrs[:stop], smoothed[:stop]
    window = fastai_window(lrs, smoothed, num_steps, recorded)
    if not len(window[1]):
        window = full
    return {name: fn(*(window if name in WINDOWED else full))
            for name, fn in _SUGGESTERS.items()}


def from_sweep(lrs: Curve, losses: npt.ArrayLike, num_steps: int,
               beta: float = 0.98) -> tuple[Floats, dict[str, float]]:
    """The smoothed curve and every rule's rate from a sweep's raw batch losses.

    `losses` may end in one NaN/Inf (where the sweep stopped); its smoothed value is NaN.
    As in fastai's `lr_find`, a sweep cut by a NaN keeps its points up to the NaN, one
    stopped by an Inf or by divergence drops its last 5 recorded points (see
    `fastai_window`).

    Returns:
        `(smoothed, suggestions)`.

    Raises:
        ValueError: If the first loss is NaN/Inf.
    """
    losses = np.asarray(losses, "float64")
    finite = len(losses) - int(len(losses) > 0 and not np.isfinite(losses[-1]))
    curve = np.concatenate([smooth(losses[:finite], beta), np.full(len(losses) - finite, np.nan)])
    nan_ended = finite < len(losses) and bool(np.isnan(losses[-1]))
    recorded = num_steps if nan_ended else len(losses)
    return curve, suggest_all(lrs[: len(losses)], curve, num_steps, recorded)
