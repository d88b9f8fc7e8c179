"""The one owner of what keras-lr changes in an optimizer (docs/design.md).

`InStep` (one per optimizer) alone writes the optimizer's rate slot and scheduled
hyperparameters. The rate is `factor × base(step)`: base is the cycle callback's
schedule while one is installed, else the user's rate; `ReduceLROnPlateau` and
`SpikeGuard` multiply the one factor. Callbacks call `begin(model)` and `end(model)`;
a `fit` that raised (no `on_train_end`) is undone when the model next trains.
"""

import contextlib
import weakref
from typing import Any

import keras
from keras import ops

from keras_lr import _host, _keras
from keras_lr._host import Times
from keras_lr._keras import Schedule, is_variable, unwrap
from keras_lr._snapshot import all_finite
from keras_lr._step_value import StepValue

__all__ = ["InStep", "attach", "attached", "begin", "end", "states"]


def _value(variable):  # a variable's value on the host
    return float(ops.convert_to_numpy(variable))


class InStep:  # keras-lr's state on one optimizer: see the module's docstring

    def __init__(self, optimizer):
        from keras_lr.schedules.compose import Scaled

        self.optimizer = optimizer
        rate = _keras.learning_rate_of(optimizer)
        self.user_scaled = isinstance(rate, Scaled)
        self.scaled = rate if self.user_scaled else None  # the Scaled that holds the factor
        self.user_rate = rate.schedule if self.user_scaled else rate
        self.spare = None  # our Scaled(user schedule), reused fit after fit
        self.own_factor: Any = None  # the factor of a float rate (folded into it when fit ends)
        self.cycle = self.owner = None  # a cycle callback's schedule (and the callback)
        self.curves: dict = {}  # attribute -> (the user's float, curve of the update count)
        self.skip_nonfinite = False
        self.skipped: Any = None  # updates skipped for a non-finite gradient (a variable)
        self.active = False
        self.model = None  # weakref to the model being trained
        self.host = _host.HostValues(optimizer) if _host.eager() else None  # PyTorch

    # --- the parts -----------------------------------------------------------------------------
    @property
    def factor(self):
        return self.scaled.factor if self.scaled is not None else self.own_factor

    def factor_now(self) -> float:
        return 1.0 if self.factor is None else _value(self.factor)
    def make_scalable(self, caller):
        """Give the rate a factor the step reads; True if the step must be rebuilt."""
        from keras_lr.schedules.compose import Scaled

        rate = self.user_rate
        if is_variable(rate):
            if self.own_factor is None:
                self.own_factor = _keras.factor_variable(1.0)
        elif isinstance(rate, Schedule):
            if self.scaled is None:
                self.spare = self.spare or Scaled(rate)
                self.scaled = self.spare
        else:
            raise TypeError(
                f"{caller} can scale a float learning rate or a LearningRateSchedule; "
                f"{self.optimizer.name} holds {rate!r}. Wrap the callable in a "
                "`keras.optimizers.schedules.LearningRateSchedule` subclass.")
        return self.compose()

    def compose(self):
        """Write the rate slot from the parts; True if the train step must be rebuilt."""
        factor, current = self.factor, _keras.learning_rate_of(self.optimizer)
        if self.cycle is not None:
            base = self.cycle
        elif self.scaled is not None:
            base, factor = self.scaled, None
        else:
            base = self.user_rate
            if factor is not None and self.factor_now() == 1.0:
                factor = None  # a float rate: reductions go into it
        if factor is None:
            rate = base
        elif isinstance(current, Times) and current.base is base and current.factor is factor:
            rate = current
        else:
            rate = Times(base, factor)
        _keras.set_learning_rate(self.optimizer, rate)
        return self.track() or rate is not current

    def track(self):
        """Make the optimizer carry every variable its step reads; True if one is new."""
        rate = _keras.learning_rate_of(self.optimizer)
        found = rate.in_step_variables() if hasattr(rate, "in_step_variables") else []
        found += [v for v in (self.own_factor, self.skipped) if v is not None]
        known = {id(v) for v in self.optimizer.variables}
        new = [v for v in found if id(v) not in known]
        for variable in new:
            _keras.track_variable(self.optimizer, variable)
        return bool(new)

    def set_factor(self, value):
        self.factor.assign(value)
        return self.compose()

    def scale(self, ratio):
        """Multiply the rate of every later update by `ratio` (after `make_scalable`)."""
        self.sync()
        rate = _keras.learning_rate_of(self.optimizer)
        target = rate if is_variable(rate) else self.factor
        target.assign(_value(target) * ratio)

    def sync(self):  # JAX's in-flight state into the variables before one is assigned
        if self.model is not None and self.model() is not None:
            _keras.sync_state(self.model())

    # --- one fit -------------------------------------------------------------------------------
    def start(self):
        if self.active:
            return
        self.active = True
        optimizer = self.optimizer
        if is_variable(self.user_rate) or isinstance(self.user_rate, Schedule):  # mid-fit saves
            optimizer.get_config = lambda: {
                **type(optimizer).get_config(optimizer), "learning_rate": self.saved_rate()}

    def saved_rate(self):
        """The rate the optimizer will hold when the fit ends, as its config says it."""
        rate = self.user_rate
        if is_variable(rate):
            return _value(rate) * self.factor_now()
        keep = self.scaled is not None and (self.user_scaled or self.factor_now() != 1.0)
        return keras.saving.serialize_keras_object(self.scaled if keep else rate)

    def install_cycle(self, schedule, curves, owner):
        """Drive the rate by `schedule` and each attribute by its curve for this fit."""
        if self.cycle is not None and self.owner is not owner:
            raise ValueError(f"{type(owner).__name__} and {type(self.owner).__name__} both "
                             "drive the learning rate of this fit: pass one of them.")
        self.uninstall_cycle()
        self.cycle, self.owner = schedule, owner
        self.curves = {name: (getattr(self.optimizer, name), curve)
                       for name, curve in curves.items()}
        return self.compose()

    def uninstall_cycle(self):
        for name, (original, _) in self.curves.items():
            setattr(self.optimizer, name, original)
        self.cycle, self.curves = None, {}

    def enable_skipping(self):
        """Skip updates whose gradients are not finite, counting them; True if new state."""
        self.skip_nonfinite = _can_skip()
        if self.skip_nonfinite and self.skipped is None:
            self.skipped = keras.Variable(0.0, trainable=False, name="skipped_updates")
        return self.track()

    def finish(self, rebuild=True):
        """End the fit: the optimizer at rest again, the reductions kept."""
        if not self.active:
            return
        self.active = False
        self.uninstall_cycle()
        self.skip_nonfinite = False
        if is_variable(self.user_rate) and self.factor_now() != 1.0:
            self.user_rate.assign(_value(self.user_rate) * self.factor_now())
            self.own_factor.assign(1.0)
        if self.scaled is not None and not self.user_scaled and self.factor_now() == 1.0:
            self.scaled = None
        self.compose()
        self.optimizer.__dict__.pop("get_config", None)
        if rebuild and self.model is not None and self.model() is not None:
            _keras.rebuild(self.model())

    # --- inside the step -----------------------------------------------------------------------
    def value(self, name, last=False):
        """A scheduled attribute at the next update (or the `last` one made), or None."""
        if name not in self.curves:
            return None
        update = int(ops.convert_to_numpy(self.optimizer.iterations))
        update = max(update - 1, 0) if last else update
        return float(ops.convert_to_numpy(self.curves[name][1](update)))

    @contextlib.contextmanager
    def _scheduled(self):
        """The rate and each scheduled attribute computed once for this update (on PyTorch
        on the host: `keras_lr._host`), the user's float and the rate object back after."""
        optimizer, slot = self.optimizer, _keras.learning_rate_of(self.optimizer)
        rate, values = (self.host.values(slot, self.curves) if self.host is not None
                        else (None, {}))
        for name, (original, curve) in self.curves.items():
            value = values.get(name)  # else from real updates, also under accumulation:
            setattr(optimizer, name, StepValue(original, curve(optimizer.iterations))
                    if value is None else value)
        if rate is not None:
            _keras.set_learning_rate(optimizer, rate)
        try:
            yield
            if self.host is not None:
                self.host.counter.advanced()
        finally:
            _keras.set_learning_rate(optimizer, slot)
            for name, (original, _) in self.curves.items():
                setattr(optimizer, name, original)

    def apply(self, original, grads, variables):
        """The optimizer's `apply`: hyperparameters computed once, non-finite updates skipped."""
        if not self.curves and not self.skip_nonfinite and self.host is None:
            return original(grads, variables)
        with self._scheduled():
            if not self.skip_nonfinite:
                return original(grads, variables)
            finite = all_finite(g for g in grads if g is not None)
            if _keras.in_stateless_scope():  # JAX: keep the old values where not finite
                kept = [v for v in [*(variables or _keras.trainable_of(self.optimizer)),
                                    *self.optimizer.variables] if v is not self.skipped]
                before = [v.value for v in kept]
                original(grads, variables)
                for variable, old in zip(kept, before, strict=True):
                    variable.assign(ops.where(finite, variable.value, old))
                self.skipped.assign(self.skipped + ops.cast(ops.logical_not(finite), "float32"))
                return None
            ops.cond(finite, lambda: _done(original(grads, variables)),
                     lambda: _done(self.skipped.assign_add(1.0)))
            return None


def _done(_):  # both branches of the conditional give a tensor
    return ops.convert_to_tensor(True)


def _can_skip():
    """Not inside `tf.distribute` (Keras's update is a merge call there: no conditional)."""
    import sys  # TensorFlow is loaded if its backend runs

    tf = sys.modules.get("tensorflow") if keras.backend.backend() == "tensorflow" else None
    return tf is None or not tf.distribute.has_strategy()


def attach(optimizer, model=None) -> InStep:
    """keras-lr's `InStep` for `optimizer` (created on first use); with `model`, the model's
    optimizers save in Keras's layout and a `fit` that raised is undone before the next."""
    inner = unwrap(optimizer)
    state = inner.__dict__.get("_keras_lr_in_step")
    if state is None:
        state = InStep(inner)
        vars(inner)["_keras_lr_in_step"] = state
        _keras.patch_optimizer(inner, state.apply)
    if model is not None:
        state.model = weakref.ref(model)
        for outer in (model.optimizer, unwrap(model.optimizer)):
            if outer is not None:
                _keras.patch_saving(outer)
        _keras.hook_training(model, lambda: _undo_interrupted(model))
    return state


def attached(optimizer):  # the optimizer's InStep, or None
    return unwrap(optimizer).__dict__.get("_keras_lr_in_step")


def states(model):  # the InStep of every optimizer of `model` that has one
    return [s for s in map(attached, _keras.optimizers_of(model)) if s]


def _undo_interrupted(model):  # True if a fit that raised had to be finished
    stale = [s for s in states(model) if s.active]
    for state in stale:
        state.finish(rebuild=False)
    return bool(stale)


def begin(model):
    """A keras-lr callback's `on_train_begin`: every optimizer of `model`, attached and in a fit."""
    started = [attach(optimizer, model) for optimizer in _keras.optimizers_of(model)]
    for state in started:
        state.start()
    return started


def end(model):
    """A keras-lr callback's `on_train_end`: every optimizer at rest, the step rebuilt."""
    for state in states(model):
        state.finish()
