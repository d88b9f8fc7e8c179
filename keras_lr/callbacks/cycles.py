"""1-cycle and cyclical training as callbacks, with momentum cycled in the step."""

import warnings
from collections.abc import Callable
from typing import Any, Literal

import keras
from keras import ops

from keras_lr import _checks as check
from keras_lr import _instep, _keras
from keras_lr.callbacks._optim import momentum_name, optimizers_of
from keras_lr.schedules._math import shift
from keras_lr.schedules.compose import PerUpdate, Shifted
from keras_lr.schedules.cyclical import Cyclical
from keras_lr.schedules.one_cycle import OneCycle

__all__ = ["CyclicalScheduler", "OneCycleScheduler"]


class _CycleCallback(keras.callbacks.Callback):
    """Install a schedule (and a momentum curve) for one `fit`, graph-side.

    When the first epoch begins (then `fit`'s `initial_epoch` is known) the
    schedule goes into every optimizer of the model, indexed so that update
    `u` of the planned run (counted from epoch 0, in optimizer updates) gets
    `schedule(u)`; the momentum curve is evaluated once per update from the
    optimizer's update count; the scale factor that `ReduceLROnPlateau` and
    `SpikeGuard` multiply applies on top (`keras_lr._instep`). The optimizer's
    own rate and momentum come back when training ends or, if `fit` raised,
    when the model next trains. The train step is rebuilt each time, so no
    traced step keeps a stale rate. No batch hook runs.
    """

    def __init__(self, cycle_momentum: bool, base_momentum: float,
                 max_momentum: float) -> None:
        super().__init__()
        if not isinstance(cycle_momentum, bool):
            check.fail("cycle_momentum", "a bool", cycle_momentum, TypeError)
        self.cycle_momentum = cycle_momentum
        self.base_momentum = check.in_range("base_momentum", base_momentum, 0.0, 1.0,
                                            (False, False))
        self.max_momentum = check.in_range("max_momentum", max_momentum, 0.0, 1.0, (False, False))
        if self.max_momentum < self.base_momentum:
            check.fail("max_momentum", f">= base_momentum ({self.base_momentum})", max_momentum)
        self.schedule = None
        self._installed = False

    def schedule_for(self, epochs: int,
                     steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule:
        """The schedule this callback installs for `fit(epochs=epochs)` with
        `steps_per_epoch` optimizer updates per epoch (to plot or inspect it).

        Example:

        >>> cb = keras_lr.OneCycleScheduler(0.1, pct_start=0.5)
        >>> keras_lr.schedule_values(cb.schedule_for(2, 3), 6).round(3).tolist()
        [0.004, 0.052, 0.1, 0.075, 0.025, 0.0]
        """
        epochs = check.steps("epochs", epochs, 1)
        return self._build(check.steps("steps_per_epoch", steps_per_epoch, 1), epochs)

    def _build(self, updates_per_epoch: float | None, epochs: int) -> Any:
        """The schedule over the planned run's updates (subclasses)."""
        raise NotImplementedError

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        _instep.begin(self.model)
        self._installed = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._installed:
            return
        batches = self.params.get("steps") or 0
        for optimizer in optimizers_of(self.model):
            per_update = getattr(optimizer, "gradient_accumulation_steps", None) or 1
            schedule = self.schedule = self._build(batches / per_update, self.params["epochs"])
            done = int(ops.convert_to_numpy(optimizer.iterations))  # updates made so far
            offset = epoch * batches // per_update - done
            lr = Shifted(schedule, offset) if offset else schedule
            if per_update > 1:  # Keras passes the micro-batch counter to schedules
                lr = PerUpdate(lr, per_update)
            curves = self._momentum_curves(optimizer, schedule, offset)
            _instep.attach(optimizer, self.model).install_cycle(lr, curves, self)
        self._installed = True
        _keras.rebuild(self.model)

    def _momentum_curves(self, optimizer: Any, schedule: Any,
                         offset: int) -> dict[str, Callable[[Any], Any]]:
        if not self.cycle_momentum:
            return {}
        name = momentum_name(optimizer)
        if name is None:
            raise ValueError(
                f"{type(self).__name__} cannot cycle the momentum of "
                f"{type(optimizer).__name__}, which has no `momentum` or `beta_1`; pass "
                "`cycle_momentum=False`.")
        if not getattr(optimizer, name):  # SGD/RMSprop built without momentum
            warnings.warn(
                f"{type(optimizer).__name__} has no momentum to cycle (SGD and RMSprop "
                "need momentum > 0 at construction); cycling the learning rate only.",
                stacklevel=3,
            )
            return {}

        def curve(update: Any) -> Any:  # called with `optimizer.iterations`: real updates
            return schedule.momentum(shift(update, offset), self.base_momentum, self.max_momentum)

        return {name: curve}

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        _instep.end(self.model)

    def _needs_steps(self, updates_per_epoch: float | None, what: str) -> None:
        if not updates_per_epoch:
            raise ValueError(
                f"{type(self).__name__} needs {what}: `fit` does not know the number of "
                "steps per epoch for this input; pass `steps_per_epoch` to `fit`."
            )


class OneCycleScheduler(_CycleCallback):
    """Train with the 1-cycle policy, momentum included, from a callback.

    The rate follows `keras_lr.OneCycle` over `total_steps` optimizer updates
    (by default all the updates `fit` plans: `epochs × steps per epoch`,
    counted from epoch 0, so `initial_epoch` resumes mid-cycle). With
    `cycle_momentum` the optimizer's momentum (`momentum` for SGD/RMSprop,
    `beta_1` for the Adam family) moves inversely between `max_momentum` and
    `base_momentum`. Both are computed inside the compiled train step from the
    update count, so every update gets its exact values under
    `steps_per_execution`, `jit_compile` and `tf.distribute`. Under gradient
    accumulation the cycle counts real updates. When `fit` ends the
    optimizer's own rate and momentum come back.

    Args:
        max_learning_rate: The peak learning rate, > 0.
        total_steps: Updates in the cycle (`None`: from `fit`).
        pct_start, div_factor, final_div_factor, anneal_strategy, three_phase:
            As `keras_lr.OneCycle`.
        cycle_momentum: Whether to cycle the momentum.
        base_momentum: The momentum at the peak rate, in (0, 1).
        max_momentum: The momentum at the ends of the cycle, in (0, 1).

    Raises:
        ValueError: If an argument is out of range.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    model.compile(keras.optimizers.SGD(momentum=0.9), loss="mse")
    model.fit(x, y, epochs=10, callbacks=[keras_lr.OneCycleScheduler(0.1)])
    ```
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int | None = None,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal_strategy: Literal["cosine", "cos", "linear"] = "cosine",
        three_phase: bool = False,
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
    ) -> None:
        super().__init__(cycle_momentum, base_momentum, max_momentum)
        self.total_steps = (None if total_steps is None
                            else check.steps("total_steps", total_steps, 1))
        self.cycle: dict[str, Any] = dict(
            max_learning_rate=max_learning_rate, pct_start=pct_start, div_factor=div_factor,
            final_div_factor=final_div_factor, anneal_strategy=anneal_strategy,
            three_phase=three_phase)
        OneCycle(total_steps=self.total_steps or 1000, **self.cycle)  # validates now

    def _build(self, updates_per_epoch: float | None, epochs: int) -> Any:
        total = self.total_steps
        if total is None:
            self._needs_steps(updates_per_epoch, "`total_steps`")
            total = int(epochs * (updates_per_epoch or 0))  # not 0: checked above
        return OneCycle(total_steps=max(total, 1), **self.cycle)


class CyclicalScheduler(_CycleCallback):
    """Train with a cyclical learning rate (and optionally momentum) from a callback.

    The rate follows `keras_lr.Cyclical`, indexed by optimizer updates, with
    half-cycles given in steps (`unit="step"`) or in epochs
    (`unit="epoch"`, converted with `fit`'s steps per epoch; fractions
    allowed). With `cycle_momentum` the momentum moves inversely to the rate
    (PyTorch's `CyclicLR` with `cycle_momentum=True`). Everything runs inside
    the compiled train step; the optimizer's own rate and momentum come back
    when `fit` ends.

    Args:
        initial_learning_rate: The base learning rate, > 0.
        max_learning_rate: The peak learning rate, >= the base.
        step_size: Length of the rising half-cycle, in `unit`s, > 0.
        step_size_down: Length of the falling half-cycle (`None`: `step_size`).
        unit: `"step"` or `"epoch"` (the plurals still work in keras-lr 0.3,
            deprecated).
        policy: `"triangular"`, `"triangular2"` or `"exp_range"` (PyTorch's
            `mode`; `mode=` still works in keras-lr 0.3, deprecated).
        gamma: The per-step factor of `"exp_range"`, in (0, 1].
        cycle_momentum: Whether to cycle the momentum.
        base_momentum: The momentum at the peak rate, in (0, 1).
        max_momentum: The momentum at the base rate, in (0, 1).

    Raises:
        ValueError: If an argument is out of range or a policy is unknown.
        TypeError: If an argument has the wrong type.

    Example:

    ```python
    clr = keras_lr.CyclicalScheduler(1e-4, 1e-2, step_size=2, unit="epoch")
    model.fit(x, y, epochs=12, callbacks=[clr])
    ```
    """

    def __init__(
        self,
        initial_learning_rate: float,
        max_learning_rate: float,
        step_size: float,
        step_size_down: float | None = None,
        unit: Literal["step", "epoch"] = "step",
        policy: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        cycle_momentum: bool = False,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        **kwargs: Any,
    ) -> None:
        super().__init__(cycle_momentum, base_momentum, max_momentum)
        policy = check.renamed("CyclicalScheduler", kwargs, {"mode": "policy"},
                               {"policy": policy})["policy"]
        self.unit = check.one_of_renamed("unit", unit, ("step", "epoch"),
                                         {"steps": "step", "epochs": "epoch"})
        sizes = {"step_size": step_size, "step_size_down": step_size_down}
        if self.unit == "epoch":
            sizes = {k: None if v is None else check.in_range(
                k, v, 0.0, check.MAX_STEPS, (False, True)) for k, v in sizes.items()}
        self.sizes = sizes
        self.cycle: dict[str, Any] = dict(
            initial_learning_rate=initial_learning_rate, max_learning_rate=max_learning_rate,
            policy=policy, gamma=gamma)
        self._build(1000, 1)  # validates now

    def _build(self, updates_per_epoch: float | None, epochs: int) -> Any:
        sizes: dict[str, Any] = self.sizes
        if self.unit == "epoch":
            self._needs_steps(updates_per_epoch, "`unit='step'`")
            sizes = {k: None if v is None else max(1, round(v * updates_per_epoch))
                     for k, v in sizes.items()}
        return Cyclical(**sizes, **self.cycle)

