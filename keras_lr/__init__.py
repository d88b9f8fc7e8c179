"""keras-lr: learning-rate schedules and callbacks for Keras 3.

Every schedule is a `keras.optimizers.schedules.LearningRateSchedule`
registered under the package name "keras_lr", so `keras.models.load_model`
needs only `import keras_lr`. Keras's own schedules are re-exported here so
that every schedule is found in one place.
"""

from keras_lr import _quiet

if _quiet.running_as_command():  # before Keras loads its backend
    _quiet.quiet_startup()

from keras.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

from keras_lr import finder, recipes, suggest
from keras_lr._version import __version__
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
from keras_lr.groups import discriminative, layer_decay
from keras_lr.plotting import plot_schedule, schedule_values
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

__all__ = [  # noqa: RUF022 - grouped by kind
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
    "CosineDecayRestarts",
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
    "discriminative",
    "layer_decay",
    "finder",
    "plot_schedule",
    "recipes",
    "schedule_values",
    "suggest",
    "__version__",
]
