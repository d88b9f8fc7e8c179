"""keras-lr: learning-rate schedules and callbacks for Keras 3.

Every schedule is a `keras.optimizers.schedules.LearningRateSchedule`
registered under the package name "keras_lr", so `keras.models.load_model`
needs only `import keras_lr`. Keras's own schedules are re-exported here so
that every schedule is found in one place.
"""

from keras_lr import _quiet

if _quiet.running_as_command():  # before Keras loads its backend
    _quiet.quiet_startup()

from keras.optimizers.schedules import (  # noqa: E402
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

from keras_lr import finder, suggest
from keras_lr.callbacks import (
    CyclicalScheduler,
    LearningRateMonitor,
    OneCycleScheduler,
    ReduceLROnPlateau,
    SpikeGuard,
    UpdateMonitor,
    attach,
    get_learning_rate,
    get_momentum,
)
from keras_lr.finder import LRFinderResult, find_lr
from keras_lr.plotting import plot_schedule, schedule_values
from keras_lr.schedules import *  # noqa: F403 - the list is schedules.__all__
from keras_lr.schedules import __all__ as _schedules

__version__ = "0.1.0"

KERAS_SCHEDULES = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]

CALLBACKS = [
    "CyclicalScheduler",
    "LearningRateMonitor",
    "OneCycleScheduler",
    "ReduceLROnPlateau",
    "SpikeGuard",
    "UpdateMonitor",
]

__all__ = [
    *_schedules,
    *KERAS_SCHEDULES,
    *CALLBACKS,
    "LRFinderResult",
    "attach",
    "find_lr",
    "get_learning_rate",
    "get_momentum",
    "plot_schedule",
    "schedule_values",
]
