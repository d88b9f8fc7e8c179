"""keras-lr's learning rate schedules, one module per family."""

from keras_lr.schedules.basic import Constant, InverseSqrtDecay, MultiStepDecay, StepDecay
from keras_lr.schedules.compose import PerEpoch, PerUpdate, Scaled, SequentialSchedule, Shifted
from keras_lr.schedules.custom import Interpolated, Tabulated, from_function
from keras_lr.schedules.cyclical import Cyclical
from keras_lr.schedules.one_cycle import OneCycle
from keras_lr.schedules.product import Multiplied
from keras_lr.schedules.restarts import CosineWarmRestarts
from keras_lr.schedules.warmup import Warmup, WarmupStableDecay

__all__ = [
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
]
