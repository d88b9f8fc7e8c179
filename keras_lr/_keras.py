"""Everything keras-lr does to a Keras optimizer beyond its public API, in one module.

Checked against Keras 3.15.1 on TensorFlow 2.21, JAX 0.10.2 and PyTorch 2.13
(CPU). The private Keras attributes used here, and why:

- `optimizer._learning_rate`: the float-rate variable or the schedule; read
  and swapped without the public setter (which untracks a float variable and
  refuses to replace a schedule).
- `optimizer._track_variable(v)`: makes the optimizer carry a keras-lr
  variable (a `Scaled` factor) in `optimizer.variables`, which JAX's
  stateless train step takes in and gives back.
- `keras.src.backend.common.stateless_scope`: to tell, while JAX traces a
  step, whether a variable is carried (else its value would be frozen).
- `keras.src.backend.common.variables`: the backend's variable class, which
  optimizers create and which older Keras does not export as `keras.Variable`.
- `_momentums`/`_velocities` (Adam family): the moment slots, read by the
  update monitor.
- `jax_state_sync()` (JAX trainer): writes the in-flight state back mid-epoch.
- `Metric._direction` ("up"/"down"): how Keras 3 decides `mode="auto"`.
- `inner_optimizer` (`LossScaleOptimizer`) is public but undocumented.

Where in-step hyperparameter state lives (see docs/design.md):

- The learning rate: Keras evaluates `_learning_rate` once per update.
- A `Scaled` factor: a `keras.Variable` that the optimizer tracks once
  `attach` has run, so every backend reads its current value at every update.
  The optimizer's saved variables keep Keras's own layout (a freshly built
  optimizer has no keras-lr variables): the factor is saved in the
  schedule's config instead.
- A scheduled momentum (`momentum`/`beta_1`): a curve of the optimizer's
  update count, evaluated once at the start of each update by the
  optimizer's `apply`, and seen by every per-variable update as that one
  value (a tensor on TensorFlow and JAX, a Python float on PyTorch, whose
  fused kernels take Python scalars).
"""

import numbers

import keras
from keras import ops

from keras_lr._step_value import StepValue

Schedule = keras.optimizers.schedules.LearningRateSchedule


def is_variable(value):
    """Whether `value` is a Keras variable: an optimizer's own float-rate variable is an
    instance of the backend's class, which in Keras 3.5 is not `keras.Variable`."""
    from keras.src.backend.common import variables

    base = getattr(variables, "KerasVariable", None) or variables.Variable
    return isinstance(value, (keras.Variable, base))


def unwrap(optimizer):
    """The optimizer that does the updates (through `LossScaleOptimizer`)."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def learning_rate_of(optimizer):
    """The optimizer's float-rate variable, schedule or callable."""
    return unwrap(optimizer)._learning_rate


def set_learning_rate(optimizer, value):
    """Put a schedule (or the original rate object) into the optimizer, tracking untouched."""
    unwrap(optimizer)._learning_rate = value


def iterations_of(optimizer):
    """The optimizer's own update counter variable (micro-batches under accumulation)."""
    return unwrap(optimizer)._iterations


def sync_state(model):
    """Write JAX's in-flight training state back into the model's variables (mid-epoch,
    JAX keeps it outside them); nothing to do on the other backends."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def carried(variable):
    """False only while JAX traces a stateless step that does not carry `variable`.

    Such a variable is read at its trace-time value for the whole compiled
    function; TensorFlow and PyTorch always read the current value.
    """
    if keras.backend.backend() != "jax":
        return True
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    scope = get_stateless_scope()
    return scope is None or scope.get_current_value(variable) is not None


def moment_slots(optimizer):
    """(first-moment slots, second-moment slots) of an Adam-family optimizer, aligned with
    its variables, or None."""
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


class InStep:
    """keras-lr's state on one optimizer: tracked variables, installed schedule and curves.

    One instance per optimizer (`attach` creates it), so whatever a callback
    installed is undone by whichever callback comes next, even after a `fit`
    that was interrupted.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.extra = []  # keras-lr variables the optimizer carries
        self.curves = {}  # attribute -> (the user's float, curve of the update count)
        self.original_lr = None  # the user's rate object while a schedule is installed

    # --- variables -----------------------------------------------------------------------------
    def track(self):
        """Carry every variable of the optimizer's schedule (a `Scaled` factor); True if new."""
        lr = self.optimizer._learning_rate
        found = lr.in_step_variables() if hasattr(lr, "in_step_variables") else []
        known = {id(v) for v in self.optimizer.variables}
        new = [v for v in found if id(v) not in known]
        for variable in new:
            self.optimizer._track_variable(variable)
            self.extra.append(variable)
        return bool(new)

    def _own(self):
        extra = {id(v) for v in self.extra}
        return [v for v in self.optimizer.variables if id(v) not in extra]

    def save_own_variables(self, store):
        for i, variable in enumerate(self._own()):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        own = self._own()
        if len(store.keys()) != len(own):
            raise ValueError(
                f"Cannot load the optimizer '{self.optimizer.name}': it has {len(own)} "
                f"variables, the saved one has {len(store.keys())}."
            )
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])

    # --- a schedule and momentum curves for one fit ---------------------------------------------
    def install(self, schedule, curves):
        """Drive the optimizer by `schedule` and `curves` ({attribute: curve}) until `uninstall`."""
        self.uninstall()  # whatever an earlier (possibly interrupted) fit left
        optimizer = self.optimizer
        lr = self.original_lr = optimizer._learning_rate
        optimizer._learning_rate = schedule
        # A checkpoint saved mid-fit describes the user's optimizer (its variables, a
        # float-rate variable included): report the original rate in its config.
        saved = (lambda: float(ops.convert_to_numpy(lr))) if is_variable(lr) \
            else (lambda: keras.saving.serialize_keras_object(lr))
        optimizer.get_config = lambda: {
            **type(optimizer).get_config(optimizer), "learning_rate": saved()}
        self.curves = {name: (getattr(optimizer, name), curve) for name, curve in curves.items()}

    def uninstall(self):
        optimizer = self.optimizer
        if self.original_lr is not None:
            optimizer._learning_rate = self.original_lr
            optimizer.__dict__.pop("get_config", None)
            self.original_lr = None
        for name, (original, _) in self.curves.items():
            setattr(optimizer, name, original)
        self.curves = {}

    def value(self, name, last=False):
        """A scheduled attribute's value at the next update (or the `last` one made), as a
        float; None if it is not scheduled."""
        if name not in self.curves:
            return None
        update = int(ops.convert_to_numpy(self.optimizer.iterations))
        update = max(update - 1, 0) if last else update
        return float(ops.convert_to_numpy(self.curves[name][1](update)))

    def apply(self, grads, trainable_variables=None):
        """The optimizer's `apply`, with each scheduled hyperparameter computed once."""
        optimizer = self.optimizer
        apply = type(optimizer).apply
        if not self.curves:
            return apply(optimizer, grads, trainable_variables)
        update = optimizer.iterations  # real updates, also under gradient accumulation
        torch = keras.backend.backend() == "torch"
        for name, (original, curve) in self.curves.items():
            value = curve(update)
            value = float(ops.convert_to_numpy(value)) if torch else StepValue(original, value)
            setattr(optimizer, name, value)
        try:
            return apply(optimizer, grads, trainable_variables)
        finally:
            for name, (original, _) in self.curves.items():
                setattr(optimizer, name, original)


def attach(optimizer) -> InStep:
    """keras-lr's `InStep` state for `optimizer` (created on first use).

    Attaching makes the optimizer carry the variables of its schedule (a
    `Scaled` factor) and routes its `apply` through `InStep.apply`. Rebuild
    the model's train function afterwards if this returned new variables.
    """
    optimizer = unwrap(optimizer)
    state = optimizer.__dict__.get("_keras_lr_in_step")
    if state is None:
        state = InStep(optimizer)
        optimizer._keras_lr_in_step = state
        optimizer.apply = state.apply
        optimizer.save_own_variables = state.save_own_variables
        optimizer.load_own_variables = state.load_own_variables
    return state


def attached(optimizer):
    """The optimizer's `InStep` state, or None."""
    return unwrap(optimizer).__dict__.get("_keras_lr_in_step")
