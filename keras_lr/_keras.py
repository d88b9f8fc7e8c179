"""Everything keras-lr does to Keras beyond its public API, in one module.

Checked against Keras 3.15.1 on TensorFlow 2.21, JAX 0.10.2 and PyTorch 2.13
(CPU), and Keras 3.5.0 on PyTorch. The private Keras attributes used here, and why:

- `optimizer._learning_rate`: the float-rate variable or the schedule, written
  (by `keras_lr._instep.InStep` only) without the public setter, which
  untracks a float variable and refuses to replace a schedule.
- `optimizer._track_variable(v)`: makes the optimizer carry a keras-lr
  variable (a scale factor, a skipped-update count) in `optimizer.variables`,
  which JAX's stateless train step takes in and gives back.
- `keras.src.backend.common.stateless_scope`: to tell, while JAX traces a
  step, whether a variable is carried (else its value is compiled in).
- `keras.src.backend.common.variables`: the backend's variable class (Keras 3.5
  does not export it as `keras.Variable`).
- `_momentums`/`_velocities` (Adam family): the moment slots, read by the
  update monitor.
- `jax_state_sync()` (JAX trainer): writes the in-flight state back mid-epoch.
- `Metric._direction` ("up"/"down"): how Keras 3 decides `mode="auto"`.
- `inner_optimizer` (`LossScaleOptimizer`) is public but undocumented.
- PyTorch's `tensor._version`: `keras_lr._host` reads a variable back only after a write.

Where the in-step state lives, and who writes it: docs/design.md.
"""

import numbers
import sys
import weakref
from typing import Any

import keras
import numpy as np
from keras import ops

Schedule = keras.optimizers.schedules.LearningRateSchedule


def is_variable(value):
    """Whether `value` is a Keras variable: an optimizer's own float-rate variable is an
    instance of the backend's class, which in Keras 3.5 is not `keras.Variable`."""
    from keras.src.backend.common import variables

    base = getattr(variables, "KerasVariable", None) or variables.Variable
    return isinstance(value, (keras.Variable, base))


def unwrap(optimizer):  # the optimizer that does the updates (through LossScaleOptimizer)
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def optimizers_of(model):
    """Every optimizer that updates `model`'s variables: `model.optimizer` (through
    `LossScaleOptimizer`; a `MultiOptimizer`'s sub-optimizers) and optimizers held as
    attributes of the model (GAN-style models)."""
    found: list = []
    held = [getattr(model, "optimizer", None)]
    held += [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    for optimizer in held:
        for inner in getattr(unwrap(optimizer), "optimizers", None) or [optimizer]:
            if inner is not None and all(unwrap(inner) is not f for f in found):
                found.append(unwrap(inner))
    return found


def learning_rate_of(optimizer):  # the float-rate variable, schedule or callable
    return unwrap(optimizer)._learning_rate


def set_learning_rate(optimizer, value):
    """Put a rate object into the optimizer's slot, tracking untouched (only `InStep`
    and the range test's private clones write it)."""
    unwrap(optimizer)._learning_rate = value


def track_variable(optimizer, variable):
    """Make `optimizer` carry `variable` (marked as keras-lr's: saving skips it)."""
    variable._keras_lr_extra = True
    unwrap(optimizer)._track_variable(variable)


def is_extra(variable):  # keras-lr made an optimizer carry it
    return getattr(variable, "_keras_lr_extra", False)


def iterations_of(optimizer):  # the update counter variable (micro-batches, if accumulating)
    return unwrap(optimizer)._iterations


def sync_state(model):  # JAX's in-flight state (mid-epoch) into the variables; else nothing
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        _SYNCING[0] = True
        try:
            sync()
        finally:
            _SYNCING[0] = False


def in_stateless_scope():
    from keras.src.backend.common import stateless_scope
    return stateless_scope.in_stateless_scope()


def carried(variable):
    """False only while JAX traces a stateless step that does not carry `variable` (whose
    value is then compiled in)."""
    if keras.backend.backend() != "jax":
        return True
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    scope = get_stateless_scope()
    return scope is None or scope.get_current_value(variable) is not None


def moment_slots(optimizer):
    """(first-moment slots, second-moment slots) of an Adam-family optimizer, or None."""
    optimizer = unwrap(optimizer)
    momentums = getattr(optimizer, "_momentums", None)
    velocities = getattr(optimizer, "_velocities", None)
    if not momentums or not velocities or not hasattr(optimizer, "beta_2"):
        return None
    return momentums, velocities


def metric_direction(model, name):
    """"max" or "min" for the compiled metric called `name` (Keras 3's `_direction`), or None."""
    direction = None
    for container in getattr(model, "metrics", None) or []:
        inner = getattr(container, "metrics", None)
        for metric in inner if isinstance(inner, list) else []:
            if metric.name == name and hasattr(metric, "_direction"):
                direction = "max" if metric._direction == "up" else "min"
    return direction


def momentum_name(optimizer):
    """"beta_1" (Adam family), "momentum" (SGD, RMSprop) or None."""
    optimizer = unwrap(optimizer)
    for name in ("beta_1", "momentum"):
        if isinstance(getattr(optimizer, name, None), numbers.Real):
            return name
    return None


def patch_optimizer(optimizer, apply):
    """Route `optimizer.apply` through `apply(original_apply, grads, variables)`, and make its
    saved variables (and those of every optimizer around it) keep Keras's own layout."""
    original = type(optimizer).apply
    optimizer.apply = lambda grads, trainable_variables=None: apply(
        lambda g, v: original(optimizer, g, v), grads, trainable_variables)
    patch_saving(optimizer)


def patch_saving(optimizer):
    """Save and load `optimizer`'s variables without keras-lr's: a `.keras` file or a
    weights checkpoint is loaded into a freshly built optimizer, which has none."""
    if "_keras_lr_saving" in optimizer.__dict__:
        return
    optimizer._keras_lr_saving = True

    def own():
        return [v for v in optimizer.variables if not is_extra(v)]

    def save_own_variables(store):
        for i, variable in enumerate(own()):
            store[str(i)] = variable.numpy()

    def load_own_variables(store):
        variables = own()
        if len(store.keys()) != len(variables):
            raise ValueError(
                f"Cannot load the optimizer '{optimizer.name}': it has {len(variables)} "
                f"variables, the saved one has {len(store.keys())}.")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    optimizer.save_own_variables = save_own_variables
    optimizer.load_own_variables = load_own_variables


# --- the model's train function ---------------------------------------------------------------
_REBUILDING = [False]
_SYNCING = [False]


def rebuild(model):
    """Rebuild the model's train function (keras-lr changed what the step computes)."""
    _REBUILDING[0] = True
    try:
        model.make_train_function(force=True)
    finally:
        _REBUILDING[0] = False


def hook_training(model, on_new_training):
    """Call `on_new_training()` whenever Keras prepares `model` to train (`fit` and
    `train_on_batch` build their train function first, before any callback runs), except
    when keras-lr itself rebuilds it; it returns True to force a rebuild. So a `fit` that
    ended in an exception, which runs no `on_train_end`, is undone before the next one."""
    if "_keras_lr_hooked" in model.__dict__:
        return
    original = type(model).make_train_function

    def make_train_function(force=False):
        if not _REBUILDING[0] and on_new_training():
            force = True
        return original(model, force)

    object.__setattr__(model, "make_train_function", make_train_function)
    object.__setattr__(model, "_keras_lr_hooked", True)


def model_in_trace():
    """(model, optimizer) found on the call stack while a train step is traced, or Nones."""
    model = optimizer = None
    frame: Any = sys._getframe(1)
    while frame is not None and model is None:
        candidate = frame.f_locals.get("self")
        if optimizer is None and isinstance(candidate, keras.optimizers.Optimizer):
            optimizer = candidate
        if isinstance(candidate, keras.Model):
            model = candidate
        frame = frame.f_back
    return model, optimizer


# --- a scale factor ---------------------------------------------------------------------------
_FACTOR_CLASS: list = []


def factor_variable(value):
    """The variable of a rate's scale factor (`keras_lr.Scaled`). On JAX it knows the model
    whose step reads it: an assignment during `fit` goes into the in-flight state, and one
    to a factor the step compiled in as a constant makes the optimizer carry it (rebuilt)."""
    if keras.backend.backend() != "jax":
        return keras.Variable(value, dtype="float32", trainable=False, name="lr_factor")
    if not _FACTOR_CLASS:
        _FACTOR_CLASS.append(_jax_factor_class())
    return _FACTOR_CLASS[0](value, dtype="float32", trainable=False, name="lr_factor")


def _jax_factor_class():
    class JaxFactor(keras.Variable):
        _keras_lr_model = None  # weakref to the model whose train step reads the factor
        _keras_lr_baked = None  # weakref to the optimizer whose step compiled it in

        @property
        def value(self):  # mid-epoch the trainer holds it: read it back first
            model = self._keras_lr_model() if self._keras_lr_model else None
            if self._value is None and model is not None and not in_stateless_scope():
                sync_state(model)
            return super().value

        def assign(self, value):
            model = self._keras_lr_model() if self._keras_lr_model else None
            if model is None or _SYNCING[0] or in_stateless_scope():
                return super().assign(value)
            sync_state(model)  # the in-flight state first, then this value over it
            result = super().assign(value)
            baked = self._keras_lr_baked() if self._keras_lr_baked else None
            if baked is not None:  # compiled in as a constant: carry it from now on
                self._keras_lr_baked = None
                track_variable(baked, self)
                for optimizer in (baked, model.optimizer):
                    patch_saving(optimizer)
                rebuild(model)
            return result

    return JaxFactor


def factor_value(factor):
    """The factor as the train step reads it: the variable, or on JAX, where the optimizer
    does not carry it, its current value compiled in (exact until it is assigned, which
    then rebuilds the step)."""
    if keras.backend.backend() != "jax" or not in_stateless_scope():
        return factor
    model, optimizer = model_in_trace()
    if model is not None and hasattr(factor, "_keras_lr_baked"):
        factor._keras_lr_model = weakref.ref(model)
    if carried(factor):
        return factor
    if optimizer is None or not hasattr(factor, "_keras_lr_baked"):
        raise RuntimeError(
            "On the JAX backend the compiled train step reads only the variables the "
            "optimizer carries; this `Scaled` factor is not one of them. Call "
            "`keras_lr.attach(optimizer)` after building the optimizer, then rebuild the "
            "train function.")
    factor._keras_lr_baked = weakref.ref(optimizer)
    return ops.convert_to_tensor(np.asarray(factor._value, dtype="float32"))


def torch_state(variable):  # PyTorch: (its tensor, the tensor's in-place version number)
    return variable.value, variable.value._version


def trainable_of(optimizer):  # the variables the optimizer was built to update
    return unwrap(optimizer)._trainable_variables
