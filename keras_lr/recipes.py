"""Named recipes: a schedule by name, an optimizer by name, Noam's schedule, demo data.

One place for what the command line, the benchmarks and the notebooks build by
name (as timm's `scheduler_factory`), so each is written once. The names are
known without Keras (the command line's `--help` reads them); Keras and the
classes are imported when something is built.
"""

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import keras
    import numpy as np

    from keras_lr.schedules.warmup import Warmup

__all__ = ["NEEDS_KERAS_3_15", "OptimizerName", "ScheduleName", "digits", "missing_optimizers",
           "noam", "optimizer", "optimizer_names", "optimizer_problems", "schedule",
           "schedule_names"]

ScheduleName = Literal["constant", "exponential", "step", "polynomial", "plateau", "restarts",
                       "cyclical", "one-cycle", "wsd"]
OptimizerName = Literal["sgd", "adam", "adamw", "nadam", "schedulefree", "schedulefree-warmup",
                        "muon"]
_SCHEDULES = ("constant", "exponential", "step", "polynomial", "plateau", "restarts",
              "cyclical", "one-cycle", "wsd")
_OPTIMIZERS = ("sgd", "adam", "adamw", "nadam", "schedulefree", "schedulefree-warmup", "muon")
# Keras 3.15's optimizers that need no schedule (or do their own): name -> Keras class.
NEEDS_KERAS_3_15 = {"schedulefree": "ScheduleFreeAdamW", "schedulefree-warmup": "ScheduleFreeAdamW",
          "muon": "Muon"}
SCHEDULE_FREE_WARMUP = 0.05  # of the updates, for "schedulefree-warmup"


def schedule_names() -> tuple[str, ...]:
    """The names `schedule` knows, in the order the command line shows them."""
    return _SCHEDULES


def optimizer_names() -> tuple[str, ...]:
    """The names `optimizer` knows (the last three need Keras >= 3.15)."""
    return _OPTIMIZERS


def missing_optimizers(names: Iterable[str]) -> list[str]:
    """The names among `names` that the installed Keras cannot build, or not correctly on
    this backend (see `optimizer_problems`)."""
    return list(optimizer_problems(names))


def optimizer_problems(names: Iterable[str]) -> dict[str, str]:
    """Why the installed Keras cannot build each of `names` (correctly), by name.

    A Keras before 3.15 has no `ScheduleFreeAdamW` or `Muon`. Keras 3.15.1's
    `ScheduleFreeAdamW` reads its previous momentum as `momentum.value`, which on
    TensorFlow and PyTorch is the variable itself, read after its update: its steps
    differ from the paper's (Defazio et al. 2024) there. That is measured, not assumed:
    three updates of a 3-vector against the paper's recursion in NumPy, once per backend.
    """
    import keras

    problems = {}
    for name in names:
        cls = NEEDS_KERAS_3_15.get(name)
        if cls is None:
            continue
        if not hasattr(keras.optimizers, cls):
            problems[name] = (f"Keras {keras.__version__} lacks keras.optimizers.{cls} "
                              "(Keras >= 3.15)")
        elif cls == "ScheduleFreeAdamW" and not _schedule_free_exact(keras.backend.backend()):
            problems[name] = (f"Keras {keras.__version__}'s ScheduleFreeAdamW does not take the "
                              f"paper's step on the {keras.backend.backend()} backend (it reads "
                              "its momentum after updating it; JAX is exact)")
    return problems


@functools.cache
def _schedule_free_exact(backend: str) -> bool:
    """Whether `ScheduleFreeAdamW` on `backend` (the current one) follows the paper."""
    import keras
    import numpy as np

    y = z = np.array([1.0, -2.0, 3.0])
    grads = np.array([[0.5, -1.0, 2.0], [-0.3, 0.4, 1.0], [0.1, 0.1, -0.5]])
    variable = keras.Variable(y.astype("float32"))
    optimizer = keras.optimizers.ScheduleFreeAdamW(0.1, epsilon=1e-8)
    v, beta_1, beta_2 = np.zeros(3), 0.9, 0.999
    for t, g in enumerate(grads, 1):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g.astype("float32")), variable)])
        v = v + (g**2 - v) * (1 - beta_2)  # Adam's second moment; z: the SGD-like sequence
        z_new = z - 0.1 * g / (np.sqrt(v / (1 - beta_2**t)) + 1e-8)
        x = (1 - 1 / t) * (y - (1 - beta_1) * z) / beta_1 + z_new / t  # the average, 1/t
        y, z = (1 - beta_1) * z_new + beta_1 * x, z_new  # y: where gradients are taken
    return bool(np.allclose(keras.ops.convert_to_numpy(variable), y, rtol=1e-5, atol=1e-6))


def schedule(name: ScheduleName, max_learning_rate: float | None = None,
             epochs: int | None = None, steps_per_epoch: int | None = None,
             **kwargs: Any) -> "tuple[Any, list[keras.callbacks.Callback]]":
    """A named schedule peaking at `max_learning_rate` over `epochs × steps_per_epoch` updates.

    Returns `(learning_rate, callbacks)`: what goes into the optimizer (a
    float or a schedule) and into `fit(callbacks=...)`.

    - `"constant"`: `max_learning_rate` throughout.
    - `"exponential"`: ×0.85 per epoch (Keras's `ExponentialDecay`).
    - `"step"`: ×0.3 every third of the run, in epochs.
    - `"polynomial"`: quadratic decay to a hundredth of the peak (Keras's `PolynomialDecay`).
    - `"plateau"`: the peak, ×0.3 after 2 epochs without a better `val_loss`.
    - `"restarts"`: cosine with warm restarts, first period a seventh of the run, doubling.
    - `"cyclical"`: triangular between a tenth of the peak and the peak, three cycles.
    - `"one-cycle"`: the 1-cycle callback with momentum.
    - `"wsd"`: warmup 10 %, stable to half the run, linear decay to 0.

    Args:
        name: One of `schedule_names()`.
        max_learning_rate: The peak rate, > 0 (`peak_lr=` still works in
            keras-lr 0.3, deprecated).
        epochs: Epochs of the run, an integer > 0.
        steps_per_epoch: Updates per epoch, an integer > 0.

    Returns:
        `(learning_rate, callbacks)`.

    Raises:
        ValueError: If the name is unknown or a number is out of range.

    Example:

    >>> lr, callbacks = keras_lr.recipes.schedule("step", 0.1, epochs=9, steps_per_epoch=10)
    >>> keras_lr.schedule_values(lr, [0, 29, 30, 60]).round(4).tolist()
    [0.1, 0.1, 0.03, 0.009]
    """
    import keras

    from keras_lr import _checks as check
    from keras_lr.callbacks.cycles import CyclicalScheduler, OneCycleScheduler
    from keras_lr.callbacks.plateau import ReduceLROnPlateau
    from keras_lr.schedules.basic import StepDecay
    from keras_lr.schedules.compose import PerEpoch
    from keras_lr.schedules.restarts import CosineWarmRestarts
    from keras_lr.schedules.warmup import WarmupStableDecay

    max_learning_rate = check.renamed("recipes.schedule", kwargs,
                                      {"peak_lr": "max_learning_rate"},
                                      {"max_learning_rate": max_learning_rate})["max_learning_rate"]
    check.one_of("name", name, _SCHEDULES)
    peak = check.positive("max_learning_rate", max_learning_rate)
    epochs = check.integer("epochs", epochs, 1)
    spe = check.integer("steps_per_epoch", steps_per_epoch, 1)
    total = spe * epochs
    if name == "constant":
        return peak, []
    if name == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(peak, spe, 0.85), []
    if name == "step":
        return PerEpoch(StepDecay(peak, max(1, epochs // 3), 0.3), spe), []
    if name == "polynomial":
        return keras.optimizers.schedules.PolynomialDecay(peak, total, peak / 100, power=2.0), []
    if name == "plateau":
        return peak, [ReduceLROnPlateau("val_loss", factor=0.3, patience=2)]
    if name == "restarts":
        return CosineWarmRestarts(peak, max(1, total // 7), t_mul=2.0), []
    if name == "cyclical":
        return peak, [CyclicalScheduler(peak / 10, peak, max(1, total // 6))]
    if name == "one-cycle":
        return peak, [OneCycleScheduler(peak)]
    warm = max(1, total // 10)  # "wsd"
    return WarmupStableDecay(peak, warm, total // 2, max(1, total - warm - total // 2)), []


def optimizer(name: OptimizerName, learning_rate: Any,
              total_steps: int | None = None) -> "keras.optimizers.Optimizer":
    """A Keras optimizer by name, at `learning_rate` (a float or a schedule).

    - `"sgd"` (momentum 0.9), `"adam"`, `"adamw"`, `"nadam"`: Keras's defaults otherwise.
    - `"schedulefree"`: `keras.optimizers.ScheduleFreeAdamW` (Defazio et al. 2024) without
      warmup; `"schedulefree-warmup"`: its own linear warmup over the first 5 % of
      `total_steps` (the paper's recipe warms up).
    - `"muon"`: `keras.optimizers.Muon`; a layer named "output" takes Muon's AdamW step,
      as Muon's authors advise for the last layer.

    Raises:
        ValueError: If the name is unknown, this Keras lacks the optimizer (Keras >= 3.15),
            or `"schedulefree-warmup"` has no `total_steps`.
    """
    import keras

    from keras_lr import _checks as check

    check.one_of("name", name, _OPTIMIZERS)
    problem = optimizer_problems([name]).get(name)
    if problem is not None:
        check.fail("name", f"an optimizer this Keras builds correctly ({problem})", name)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if name == "muon":
        return keras.optimizers.Muon(learning_rate, exclude_layers=["output"])
    if name.startswith("schedulefree"):
        warmup = 0
        if name == "schedulefree-warmup":
            total = check.integer("total_steps", total_steps, 1)
            warmup = max(1, round(SCHEDULE_FREE_WARMUP * total))
        return keras.optimizers.ScheduleFreeAdamW(learning_rate, warmup_steps=warmup)
    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "nadam": keras.optimizers.Nadam}[name]
    return cls(learning_rate)


def noam(d_model: int, warmup_steps: int, scale: float = 1.0) -> "Warmup":
    """The Transformer's ("Noam") schedule of Vaswani et al. 2017, as keras-lr schedules.

    `lr(t) = scale · d_model^-0.5 · min(t^-0.5, t · warmup_steps^-1.5)` at the
    optimizer's step `t` (its update count, from 0), as the TensorFlow
    Transformer tutorial's `CustomSchedule` evaluates it: 0 at the first
    update, a linear warmup to the peak `scale · (d_model · warmup_steps)^-0.5`
    at `t = warmup_steps`, then inverse square-root decay. Built as
    `Warmup(InverseSqrtDecay(...), start_factor=0.0)`, so it saves and
    reloads with the model.

    Args:
        d_model: The model width, an integer > 0.
        warmup_steps: Updates of the warmup, an integer > 0.
        scale: A multiplier of the whole schedule, > 0.

    Returns:
        A `keras_lr.Warmup` schedule.

    Example:

    >>> sched = keras_lr.recipes.noam(512, 4000)
    >>> keras_lr.schedule_values(sched, [0, 1, 4000, 16000]).round(9).tolist()
    [0.0, 1.75e-07, 0.000698771, 0.000349386]
    """
    from keras_lr import _checks as check
    from keras_lr.schedules.basic import InverseSqrtDecay
    from keras_lr.schedules.warmup import Warmup

    d_model = check.integer("d_model", d_model, 1)
    warm = check.integer("warmup_steps", warmup_steps, 1)
    scale = check.positive("scale", scale)
    peak = scale * (d_model * warm) ** -0.5
    return Warmup(InverseSqrtDecay(peak, warm, 1.0), warm, start_factor=0.0)


def digits(seed: int = 0) -> "list[np.ndarray]":
    """scikit-learn's bundled 8×8 handwritten digits (no download), scaled to [0, 1].

    Returns `(x_train, x_val, y_train, y_val)`, a stratified 75/25 split.

    Raises:
        ImportError: Without scikit-learn (`pip install "keras-lr[cli]"`).
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as error:
        raise ImportError("the digits data needs scikit-learn: "
                          "pip install 'keras-lr[cli]'") from error
    x, y = load_digits(return_X_y=True)
    return train_test_split((x / 16.0).astype("float32"), y, test_size=0.25,
                            random_state=seed, stratify=y)
