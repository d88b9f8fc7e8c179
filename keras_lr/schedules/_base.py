"""The base class of keras-lr's schedules: config from the constructor."""

import inspect
from typing import Any

import keras
from keras import ops


class ScheduleBase(keras.optimizers.schedules.LearningRateSchedule):
    """`get_config` returns exactly the `__init__` keywords, read back from
    attributes of the same name; schedules named in `_nested` (one schedule
    or a list of them) go through Keras serialization, and a variable is
    saved as its current value."""

    _nested: tuple[str, ...] = ()

    @classmethod
    def _arguments(cls) -> list[str]:
        """`__init__`'s argument names (not `self`, nor a `**kwargs` of deprecated names)."""
        parameters = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in parameters
                if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]

    def get_config(self) -> dict[str, Any]:
        config = {}
        for key in self._arguments():
            value = getattr(self, key)
            if key in self._nested:
                value = _map(keras.saving.serialize_keras_object, value)
            elif isinstance(value, keras.Variable):
                value = float(ops.convert_to_numpy(value))
            config[key] = value
        return config

    def in_step_variables(self) -> list[Any]:
        """The variables this schedule (and any it wraps) reads at every update."""
        found: list = []
        for key in self._arguments():
            value = getattr(self, key, None)
            if isinstance(value, keras.Variable):
                found.append(value)
            elif key in self._nested:
                children = list(value) if isinstance(value, (list, tuple)) else [value]
                for child in children:
                    nested = getattr(child, "in_step_variables", None)
                    found += nested() if nested is not None else []
        return found

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        for key in cls._nested:
            config[key] = _map(keras.saving.deserialize_keras_object, config[key])
        return cls(**config)


def _map(fn, value):
    return [fn(v) for v in value] if isinstance(value, (list, tuple)) else fn(value)
