"""Callbacks that run inside `model.fit`: plateau reduction, 1-cycle, cyclical, monitor."""

from keras_lr.callbacks.cycles import CyclicalScheduler, OneCycleScheduler
from keras_lr.callbacks.guard import SpikeGuard
from keras_lr.callbacks.monitor import LearningRateMonitor
from keras_lr.callbacks.plateau import ReduceLROnPlateau
from keras_lr.callbacks.updates import UpdateMonitor
from keras_lr.rates import attach, get_learning_rate, get_momentum

__all__ = [
    "CyclicalScheduler",
    "LearningRateMonitor",
    "OneCycleScheduler",
    "ReduceLROnPlateau",
    "SpikeGuard",
    "UpdateMonitor",
    "attach",
    "get_learning_rate",
    "get_momentum",
]
