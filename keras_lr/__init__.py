"""keras-lr: learning-rate schedules and callbacks for Keras 3.

Every schedule is a `keras.optimizers.schedules.LearningRateSchedule`
registered under the package name "keras_lr", so `keras.models.load_model`
needs only `import keras_lr`. Keras's own schedules are re-exported here so
that every schedule is found in one place.

The names below are imported when first used (a module `__getattr__`, as
Keras's own `LazyModule` defers optional packages), so `import keras_lr` and
`keras-lr --help` start no backend. keras-lr's schedules are registered with
Keras as soon as Keras is imported: at once if it already is, else right after
Keras's own import (or the keras_lr module that imported it) finishes.
"""

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

from keras_lr._version import __version__

if TYPE_CHECKING:  # what a type checker and an IDE see: the same names, imported eagerly
    from keras.optimizers.schedules import (
        CosineDecay,
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
    )

    from keras_lr import datasets, finder, recipes, suggest
    from keras_lr.callbacks import (
        CyclicalScheduler,
        LearningRateMonitor,
        OneCycleScheduler,
        ReduceLROnPlateau,
        SpikeGuard,
        UpdateMonitor,
    )
    from keras_lr.finder import LRFinderResult, find_lr
    from keras_lr.groups import discriminative, layer_decay
    from keras_lr.plotting import plot_schedule, schedule_values
    from keras_lr.rates import attach, get_learning_rate, get_momentum
    from keras_lr.schedules import (
        Constant,
        CosineWarmRestarts,
        Cyclical,
        Interpolated,
        InverseSqrtDecay,
        Multiplied,
        MultiStepDecay,
        OneCycle,
        PerEpoch,
        PerUpdate,
        Scaled,
        SequentialSchedule,
        Shifted,
        StepDecay,
        Tabulated,
        Warmup,
        WarmupStableDecay,
        from_function,
    )

_KERAS_SCHEDULES = "keras.optimizers.schedules"
_SCHEDULES = "keras_lr.schedules"
_CALLBACKS = "keras_lr.callbacks"
# Each public name and the module it comes from (None: the name is a keras_lr module).
_SOURCES = {
    # keras-lr's schedules
    "Constant": _SCHEDULES,
    "CosineWarmRestarts": _SCHEDULES,
    "Cyclical": _SCHEDULES,
    "Interpolated": _SCHEDULES,
    "InverseSqrtDecay": _SCHEDULES,
    "MultiStepDecay": _SCHEDULES,
    "Multiplied": _SCHEDULES,
    "OneCycle": _SCHEDULES,
    "PerEpoch": _SCHEDULES,
    "PerUpdate": _SCHEDULES,
    "Scaled": _SCHEDULES,
    "SequentialSchedule": _SCHEDULES,
    "Shifted": _SCHEDULES,
    "StepDecay": _SCHEDULES,
    "Tabulated": _SCHEDULES,
    "Warmup": _SCHEDULES,
    "WarmupStableDecay": _SCHEDULES,
    "from_function": _SCHEDULES,
    # Keras's own schedules, the same objects
    "CosineDecay": _KERAS_SCHEDULES,
    "ExponentialDecay": _KERAS_SCHEDULES,
    "InverseTimeDecay": _KERAS_SCHEDULES,
    "PiecewiseConstantDecay": _KERAS_SCHEDULES,
    "PolynomialDecay": _KERAS_SCHEDULES,
    # callbacks and their helpers
    "CyclicalScheduler": _CALLBACKS,
    "LearningRateMonitor": _CALLBACKS,
    "OneCycleScheduler": _CALLBACKS,
    "ReduceLROnPlateau": _CALLBACKS,
    "SpikeGuard": _CALLBACKS,
    "UpdateMonitor": _CALLBACKS,
    "attach": "keras_lr.rates",
    "get_learning_rate": "keras_lr.rates",
    "get_momentum": "keras_lr.rates",
    # the range test, plots, recipes
    "LRFinderResult": "keras_lr.finder",
    "find_lr": "keras_lr.finder",
    "finder": None,
    "discriminative": "keras_lr.groups",
    "layer_decay": "keras_lr.groups",
    "plot_schedule": "keras_lr.plotting",
    "recipes": None,
    "datasets": None,
    "schedule_values": "keras_lr.plotting",
    "suggest": None,
}

__all__ = [  # noqa: RUF022 - grouped by kind, as _SOURCES; tests/test_house.py checks both agree
    # keras-lr's schedules
    "Constant",
    "CosineWarmRestarts",
    "Cyclical",
    "Interpolated",
    "InverseSqrtDecay",
    "MultiStepDecay",
    "Multiplied",
    "OneCycle",
    "PerEpoch",
    "PerUpdate",
    "Scaled",
    "SequentialSchedule",
    "Shifted",
    "StepDecay",
    "Tabulated",
    "Warmup",
    "WarmupStableDecay",
    "from_function",
    # Keras's own schedules, the same objects
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    # callbacks and their helpers
    "CyclicalScheduler",
    "LearningRateMonitor",
    "OneCycleScheduler",
    "ReduceLROnPlateau",
    "SpikeGuard",
    "UpdateMonitor",
    "attach",
    "get_learning_rate",
    "get_momentum",
    # the range test, plots, recipes
    "LRFinderResult",
    "find_lr",
    "finder",
    "discriminative",
    "layer_decay",
    "plot_schedule",
    "recipes",
    "datasets",
    "schedule_values",
    "suggest",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562), and keep it."""
    if name in _SOURCES:
        source = _SOURCES[name]
        value = (importlib.import_module(f"{__name__}.{name}") if source is None
                 else getattr(importlib.import_module(source), name))
        globals()[name] = value
        return value
    if name == "CosineDecayRestarts":  # one name per concept: CosineWarmRestarts (0.3)
        from keras_lr._checks import deprecated_name

        deprecated_name("`keras_lr.CosineDecayRestarts` (Keras's class, re-exported)",
                        "`keras_lr.CosineWarmRestarts` (the same arguments and values) or "
                        "`keras.optimizers.schedules.CosineDecayRestarts`", stacklevel=3)
        return importlib.import_module(_KERAS_SCHEDULES).CosineDecayRestarts
    if name.isidentifier() and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # a module not re-exported
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _register() -> None:
    """Import keras-lr's schedules: Keras must find them by name to load a saved model."""
    importlib.import_module(_SCHEDULES)


class _RegisterWithKeras(importlib.abc.MetaPathFinder):
    """Runs `_register` once Keras is imported and no keras_lr module is mid-import (Keras
    imported by one of them), then steps aside. It finds nothing itself: it watches the
    imports of `keras` and of keras_lr's modules that the other finders find."""

    def __init__(self) -> None:
        self.importing = 0  # keras_lr modules being executed

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "keras" and not fullname.startswith(f"{__name__}."):
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run, own = spec.loader.exec_module, int(fullname != "keras")

        def exec_module(module: Any) -> None:
            self.importing += own
            try:
                run(module)
            finally:
                self.importing -= own
            self.settle()

        # This spec's loader only, for this one import (a method replaced on one instance).
        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec

    def settle(self) -> None:
        if not self.importing and "keras" in sys.modules and self in sys.meta_path:
            sys.meta_path.remove(self)
            _register()


if "keras" in sys.modules:
    _register()
elif not any(type(f).__name__ == "_RegisterWithKeras" for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterWithKeras())
