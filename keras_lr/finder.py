"""The learning rate range test (Smith 2017; fastai's `lr_find`).

Train for a short while with the rate growing from `start_lr` to `end_lr`,
record the loss of every batch, and suggest a rate where the loss still
falls fast. The model leaves the test exactly as it came in.
"""

import dataclasses
import math
from typing import Any, Literal

import keras
import numpy as np
from keras import ops

from keras_lr import _checks as check
from keras_lr import _data, _trial
from keras_lr.plotting import new_axes
from keras_lr.schedules.one_cycle import OneCycle
from keras_lr.schedules.warmup import Warmup
from keras_lr.suggest import (  # noqa: F401 - the pure helpers, importable from here too
    candidates,
    diverged,
    from_sweep,
    rule_names,
    smooth,
    suggest_all,
    suggest_balanced,
    suggest_longest_fall,
    suggest_minimum,
    suggest_steepest,
    suggest_valley,
)

__all__ = ["LRFinderResult", "find_lr"]


@dataclasses.dataclass
class LRFinderResult:
    """What a range test found: rates, losses and suggestions.

    Attributes:
        lrs: The rate of each update of the sweep.
        losses: The loss of each update's batch (not Keras's running mean).
        smoothed: `losses` through a bias-corrected moving average.
        suggestions: `{rule: lr}` for every rule (see `find_lr`).
        method: The suggestion method chosen by `find_lr`.
        stopped_early: Whether the sweep stopped on divergence, NaN/Inf or
            the end of the input.
        updates: The updates the range test ran: the sweep's and the
            refinement's (its cost; `len(lrs)` without refinement).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: dict[str, float]
    method: str
    stopped_early: bool
    updates: int = 0

    @property
    def suggestion(self) -> float:
        """The suggested rate of the chosen method."""
        return self.suggestions[self.method]

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, for logging or JSON."""
        return {
            "lrs": self.lrs.tolist(),
            "losses": self.losses.tolist(),
            "smoothed": self.smoothed.tolist(),
            "suggestions": dict(self.suggestions),
            "method": self.method,
            "suggestion": self.suggestion,
            "stopped_early": self.stopped_early,
            "updates": self.updates,
        }

    def one_cycle(self, total_steps: int, **kwargs: Any) -> OneCycle:
        """A `OneCycle` schedule that peaks at the suggested rate."""
        return OneCycle(self.suggestion, total_steps, **kwargs)

    def plot(self, ax: Any = None, raw: bool = True) -> Any:
        """Loss against rate on a log axis, with the suggestion marked.

        Returns:
            The matplotlib `Axes`.
        """
        ax = new_axes(ax, "LRFinderResult.plot")
        if raw:
            ax.plot(self.lrs, self.losses, alpha=0.3, label="loss per batch")
        ax.plot(self.lrs, self.smoothed, label="smoothed loss")
        at = int(np.argmin(np.abs(np.log(self.lrs) - math.log(self.suggestion))))
        ax.plot([self.suggestion], [self.smoothed[at]], "o", color="red",
                label=f"{self.method}: {self.suggestion:.2e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        return ax


def check_arguments(*, start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100,
                    step_mode: str = "exponential", beta: float = 0.98, stop_factor: float = 4.0,
                    method: str | None = None, refine: bool = True, batch_size: int | None = None,
                    ) -> tuple[float, float, int, float, float, str, int | None]:
    """`find_lr`'s arguments, checked (without a model or data, as the CLI does first).

    Returns:
        `(start_lr, end_lr, num_steps, beta, stop_factor, method, batch_size)`, with
        `method` resolved (`None`: `"refined"`, or `"balanced"` without `refine`).

    Raises:
        ValueError: If an argument is out of range or a method is unknown.
        TypeError: If an argument has the wrong type.
    """
    start_lr = check.rate("start_lr", start_lr)
    end_lr = check.rate("end_lr", end_lr)
    if end_lr <= start_lr:
        check.fail("end_lr", f"> start_lr ({start_lr})", end_lr)
    if end_lr / start_lr > check.RATE_MAX:  # the exponential sweep's growth, in float32
        check.fail("end_lr", f"<= {check.RATE_MAX:.8g} * start_lr ({start_lr})", end_lr)
    num_steps = check.steps("num_steps", num_steps, 2)
    check.one_of("step_mode", step_mode, ("exponential", "linear"))
    beta = check.in_range("beta", beta, 0.0, 1.0, closed=(True, False))
    stop_factor = check.number("stop_factor", stop_factor)
    if stop_factor <= 1.0:
        check.fail("stop_factor", "> 1", stop_factor)
    if method is None:
        method = "refined" if refine else "balanced"
    check.one_of("method", method, (*rule_names(), "refined"))
    if method == "refined" and not refine:
        check.fail("method", "a curve rule when refine=False", method)
    if batch_size is not None:
        batch_size = check.steps("batch_size", batch_size, 1)
    return start_lr, end_lr, num_steps, beta, stop_factor, method, batch_size


def find_lr(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    batch_size: int | None = None,
    sample_weight: Any = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    step_mode: Literal["exponential", "linear"] = "exponential",
    beta: float = 0.98,
    stop_factor: float = 4.0,
    method: Literal["refined", "valley", "longest_fall", "steepest", "minimum", "balanced"]
    | None = None,
    refine: bool = True,
    **kwargs: Any,
) -> LRFinderResult:
    """Run the learning rate range test on a compiled model.

    For `num_steps` updates the rate grows from `start_lr` to `end_lr`
    (exponentially, or linearly with `step_mode="linear"`), reading as many epochs
    of the input as that takes; the last update runs at exactly `end_lr`.
    The loss of each batch is recorded (not Keras's running mean) and
    smoothed with a bias-corrected moving average; the sweep stops early
    when the smoothed loss leaves its best by `stop_factor` (see
    `diverged`) or a loss is NaN/Inf.

    Whole batches only, as fastai (whose training loader drops the last
    partial batch): with arrays, the rows past the last whole batch of
    `batch_size` are not read (fewer rows than `batch_size`: one batch of
    all of them); from a Dataset, PyDataset or generator, a batch whose size
    differs from the first one's is skipped. So every batch has one shape,
    and the sweep and all refinement candidates run through one train
    function, traced once.

    The test trains one fresh copy of the model's optimizer (same class and
    settings, zero state), its rate set from the host before each update,
    without shuffling. Afterwards, also when it raises or is interrupted,
    every variable of the model (weights and random-seed states) and the
    NumPy, Python (and PyTorch) random states are exactly as before; the
    model's own optimizer is never touched, so its slots, update count and
    schedule continue where they were. Nothing is written to disk.

    Suggestions (all are computed; `method` picks `result.suggestion`). How
    often each landed within 1.5x (+0.01) of the best rate of a 10-point grid
    on the developers' tasks and on tasks added after the default was frozen
    (out of sample) is in docs/benchmarks.md (`benchmarks/range_test.py`).

    - `"valley"`, `"minimum"`: fastai's `valley` (about half-way into the
      longest decreasing subsequence of the smoothed loss) and `minimum`
      (the rate of the lowest smoothed loss / 10), exactly as fastai's
      `lr_find` computes them, on fastai's window: the first
      `num_steps // 10` points dropped, and the last 5 after a stop on
      divergence or an Inf loss; a sweep cut by a NaN keeps every point
      before it (fastai's own sweep runs on, NaN, to `num_steps`). See
      `keras_lr.suggest.fastai_window`.
    - `"balanced"`: the geometric mean of `valley` and `minimum`.
    - `"longest_fall"`: the middle of that subsequence from its true first
      point (keras-lr 0.1's "valley"; low on a long flat start).
    - `"steepest"`: where the smoothed loss falls fastest against log(rate)
      (not fastai's `steep`).
    - `"refined"` (with `refine=True`, the default): of `valley`, `balanced`
      and `minimum` (raised to `start_lr` if below it), the one whose short
      constant-rate run ends with the lowest mean loss over its last
      quarter; the runs share half the sweep's updates (each from the same
      starting weights and batches and a fresh optimizer state; a run whose
      loss leaves 4x its first is stopped and never picked), so the whole
      test costs at most 1.5x the sweep's updates (`result.updates`).

    A NaN/Inf loss stops the sweep (`stopped_early=True`) and the rules read
    the finite points before it; when the first batch's loss is already
    NaN/Inf there is nothing to suggest from: a `ValueError` says so.

    Args:
        model: A compiled Keras model.
        x, y, batch_size, sample_weight: The training data, as for `fit`:
            NumPy arrays (or dicts/lists of them for several inputs), a
            `tf.data.Dataset`, a `keras.utils.PyDataset` or a generator.
        start_lr: The first rate, > 0 (a float32: in [1.2e-38, 3.4e38]).
        end_lr: The last rate, > `start_lr` (at most 3.4e38 times it).
        num_steps: Updates of the sweep, an integer >= 2.
        step_mode: `"exponential"` or `"linear"` (torch-lr-finder's
            `step_mode`; `mode=` still works in keras-lr 0.3, deprecated).
        beta: The smoothing factor, in [0, 1).
        stop_factor: Divergence threshold, > 1.
        method: One of the suggestions above; default `"refined"`, or
            `"balanced"` when `refine=False`.
        refine: Whether to train the candidate rates briefly and suggest the
            best (`"refined"`). With a generator that cannot be read again it
            warns and falls back to `"balanced"`.

    Returns:
        An `LRFinderResult`.

    Raises:
        ValueError: If an argument is out of range or a method is unknown,
            the input is empty, or the first batch's loss is NaN/Inf.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    result = keras_lr.find_lr(model, x_train, y_train, batch_size=64)
    print(result.suggestion, result.suggestions)
    result.plot()
    model.compile(keras.optimizers.SGD(result.one_cycle(total_steps=5000)), loss=...)
    ```
    """
    step_mode = check.renamed("find_lr", kwargs, {"mode": "step_mode"},
                              {"step_mode": step_mode})["step_mode"]
    start_lr, end_lr, num_steps, beta, stop_factor, chosen, batch_size = check_arguments(
        start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, step_mode=step_mode, beta=beta,
        stop_factor=stop_factor, method=method, refine=refine, batch_size=batch_size)
    if getattr(model, "optimizer", None) is None:
        raise ValueError("find_lr needs a compiled model: call `model.compile(...)` first.")

    span = num_steps - 1
    if step_mode == "exponential":
        schedule = keras.optimizers.schedules.ExponentialDecay(start_lr, span, end_lr / start_lr)
    else:  # a linear warmup is the linear sweep, exact at both ends
        schedule = Warmup(end_lr, span, start_factor=start_lr / end_lr)
    lrs = np.asarray(ops.convert_to_numpy(schedule(np.arange(num_steps))), dtype="float64")

    stream = _data.batches(x, y, sample_weight, batch_size)
    first = next(stream, None)
    if first is None:
        raise ValueError("find_lr got no batch from `x`: the input is empty.")
    if not model.built:
        model(first[0])
    snapshot = _trial.Snapshot(model)
    trainer = _trial.Trainer(model)
    try:
        with trainer:
            losses, stopped = _trial.sweep(trainer, first, stream, lrs, beta, stop_factor)
            snapshot.restore()
            trainer.reset()
            recorded = np.array(losses, dtype="float64")
            lrs = lrs[: len(recorded)]
            if not np.isfinite(recorded[0]):
                raise ValueError(
                    f"find_lr: the loss of the first batch is {recorded[0]} (at "
                    f"lr={lrs[0]:.3g}, before any update could diverge), so nothing finite "
                    "was recorded to suggest a rate from. Check the data (NaN/Inf in `x` or "
                    "`y`?) and the loss.")
            curve, suggestions = from_sweep(lrs, recorded, num_steps, beta)
            if refine:
                rates = candidates(suggestions, float(lrs[0]))  # half the sweep's updates
                refined = _trial.refine(trainer, snapshot,
                                        _data.batches(x, y, sample_weight, batch_size),
                                        rates, max(2, len(recorded) // 2 // len(rates)))
                if refined is not None:
                    suggestions["refined"] = refined
                elif chosen == "refined":
                    chosen = "balanced"
    finally:
        snapshot.restore()
    return LRFinderResult(lrs=lrs, losses=recorded, smoothed=curve, suggestions=suggestions,
                          method=chosen, stopped_early=stopped, updates=trainer.updates)
