"""One update's value of a scheduled hyperparameter (see `keras_lr._keras.InStep.apply`)."""

from keras import ops

__all__ = ["StepValue"]


class StepValue:
    """A hyperparameter for one update: the user's float to Python, this update's value as a tensor.

    Python checks in the optimizer (`momentum != 0`, `float(...)`) see the
    float it stands for; conversion to a tensor (`ops.cast`, TensorFlow's
    `__tf_tensor__`, JAX's `__jax_array__`) and arithmetic give the value
    computed once for this update. It is not a `float` subclass, so Keras's
    ops cannot mistake it for a Python scalar (`variable * beta_1` in Nadam).
    Arithmetic with a Python number is cached, so `1 - beta_1` in every
    variable's update is one op per step.
    """

    dtype = "float32"

    def __init__(self, original, tensor):
        self.original = float(original)
        self.tensor = tensor
        self._cache = {}

    def __float__(self):
        return self.original

    def __bool__(self):
        return bool(self.original)

    def __eq__(self, other):
        return self.original == other

    def __ne__(self, other):
        return self.original != other

    def __lt__(self, other):
        return self.original < other

    def __le__(self, other):
        return self.original <= other

    def __gt__(self, other):
        return self.original > other

    def __ge__(self, other):
        return self.original >= other

    __hash__ = None  # type: ignore[assignment]  # compares as a float, hashes as nothing

    def __tf_tensor__(self, dtype=None, name=None):
        return self.tensor if dtype is None else ops.cast(self.tensor, dtype)

    def __jax_array__(self):
        return self.tensor

    def _op(self, key, other, fn):
        if not isinstance(other, (int, float)) or isinstance(other, StepValue):
            return fn(self.tensor, other)
        if (key, other) not in self._cache:
            self._cache[key, other] = fn(self.tensor, other)
        return self._cache[key, other]

    def __add__(self, other):
        return self._op("add", other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._op("add", other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._op("sub", other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._op("rsub", other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._op("mul", other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._op("mul", other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._op("div", other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._op("rdiv", other, lambda a, b: b / a)

    def __pow__(self, other):
        return self._op("pow", other, lambda a, b: a**b)

    def __rpow__(self, other):
        return self._op("rpow", other, lambda a, b: b**a)

    def __neg__(self):
        return -self.tensor
