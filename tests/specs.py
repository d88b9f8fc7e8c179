"""Every public keras-lr schedule, with arguments and an independent oracle.

`SPECS` must name every schedule class that keras_lr exports (a test in
test_contract.py checks it); add a new schedule here with its oracle.
"""

import math

import keras

import keras_lr
from tests import oracles as O

KS = keras.optimizers.schedules


def keras_cosine(t, initial, decay_steps, alpha=0.0):
    # Keras CosineDecay without warmup, from its documented formula.
    done = min(t, decay_steps) / decay_steps
    return initial * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * done)) + alpha)


SPECS = {
    "Constant": (lambda: keras_lr.Constant(0.02), lambda t: 0.02),
    "StepDecay": (
        lambda: keras_lr.StepDecay(0.5, decay_steps=7, decay_rate=0.6),
        lambda t: O.step_decay(t, 0.5, 7, 0.6),
    ),
    "MultiStepDecay": (
        lambda: keras_lr.MultiStepDecay(0.5, boundaries=[5, 30, 90], decay_rate=0.3),
        lambda t: O.multi_step(t, 0.5, [5, 30, 90], 0.3),
    ),
    "InverseSqrtDecay": (
        lambda: keras_lr.InverseSqrtDecay(0.3, decay_steps=10, decay_rate=2.0),
        lambda t: O.inverse_sqrt(t, 0.3, 10, 2.0),
    ),
    "Cyclical": (
        lambda: keras_lr.Cyclical(0.01, 0.1, step_size=7, step_size_down=13),
        lambda t: O.cyclical(t, 0.01, 0.1, 7, 13),
    ),
    "Cyclical-triangular2": (
        lambda: keras_lr.Cyclical(0.01, 0.1, step_size=5, policy="triangular2"),
        lambda t: O.cyclical(t, 0.01, 0.1, 5, 5, "triangular2"),
    ),
    "Cyclical-exp_range": (
        lambda: keras_lr.Cyclical(0.01, 0.1, 4, 6, policy="exp_range", gamma=0.99),
        lambda t: O.cyclical(t, 0.01, 0.1, 4, 6, "exp_range", 0.99),
    ),
    "OneCycle": (
        lambda: keras_lr.OneCycle(0.1, total_steps=150),
        lambda t: O.one_cycle(t, 0.1, 150),
    ),
    "OneCycle-three-phase-linear": (
        lambda: keras_lr.OneCycle(0.1, 97, pct_start=0.25, div_factor=10.0,
                                  final_div_factor=100.0, anneal_strategy="linear",
                                  three_phase=True),
        lambda t: O.one_cycle(t, 0.1, 97, 0.25, 10.0, 100.0, "linear", True),
    ),
    "CosineWarmRestarts": (
        lambda: keras_lr.CosineWarmRestarts(0.1, 10, t_mul=2.0, m_mul=0.7, alpha=0.05),
        lambda t: O.warm_restarts(t, 0.1, 10, 2.0, 0.7, 0.05),
    ),
    "CosineWarmRestarts-t_mul-1-limit": (
        lambda: keras_lr.CosineWarmRestarts(0.1, 9, t_mul=1.0, alpha=0.1, cycle_limit=8),
        lambda t: O.warm_restarts(t, 0.1, 9, 1.0, 1.0, 0.1, 8),
    ),
    "CosineWarmRestarts-t_mul-1.5": (
        lambda: keras_lr.CosineWarmRestarts(0.1, 4, t_mul=1.5, m_mul=0.9),
        lambda t: O.warm_restarts(t, 0.1, 4, 1.5, 0.9),
    ),
    "Warmup": (
        lambda: keras_lr.Warmup(KS.CosineDecay(0.1, 100, alpha=0.1), warmup_steps=20),
        lambda t: O.warmup(t, lambda s: keras_cosine(s, 0.1, 100, 0.1), 20),
    ),
    "Warmup-cosine-unshifted": (
        lambda: keras_lr.Warmup(keras_lr.StepDecay(0.1, 30, 0.5), 20, start_factor=0.0,
                                shape="cosine", shift_schedule=False),
        lambda t: O.warmup(t, lambda s: O.step_decay(s, 0.1, 30, 0.5), 20, 0.0, "cosine",
                           False),
    ),
    "WarmupStableDecay": (
        lambda: keras_lr.WarmupStableDecay(0.1, 10, 50, 40, decay_shape="1-sqrt", alpha=0.1),
        lambda t: O.wsd(t, 0.1, 10, 50, 40, "1-sqrt", 0.1),
    ),
    "WarmupStableDecay-cosine": (
        lambda: keras_lr.WarmupStableDecay(0.1, 0, 20, 60),
        lambda t: O.wsd(t, 0.1, 0, 20, 60),
    ),
    "SequentialSchedule": (
        lambda: keras_lr.SequentialSchedule(
            [keras_lr.Constant(0.01), KS.ExponentialDecay(0.1, 10, 0.5), 0.003],
            boundaries=[5, 60],
        ),
        lambda t: O.sequential(
            t, [lambda s: 0.01, lambda s: 0.1 * 0.5 ** (s / 10), lambda s: 0.003], [5, 60]
        ),
    ),
    "Scaled": (
        lambda: keras_lr.Scaled(keras_lr.Cyclical(0.01, 0.1, 7), factor=0.5),
        lambda t: 0.5 * O.cyclical(t, 0.01, 0.1, 7, 7),
    ),
    "Shifted": (
        lambda: keras_lr.Shifted(keras_lr.OneCycle(0.1, 120), offset=-15),
        lambda t: O.one_cycle(max(t - 15, 0), 0.1, 120),
    ),
    "Shifted-forward": (
        lambda: keras_lr.Shifted(keras_lr.Cyclical(0.01, 0.1, 5), offset=7),
        lambda t: O.cyclical(t + 7, 0.01, 0.1, 5, 5),
    ),
    "PerEpoch": (
        lambda: keras_lr.PerEpoch(keras_lr.MultiStepDecay(0.1, [2, 4], 0.5), 9),
        lambda t: O.multi_step(t // 9, 0.1, [2, 4], 0.5),
    ),
    "Interpolated": (
        lambda: keras_lr.Interpolated([(10, 0.02), (40, 0.1), (200, 0.001)]),
        lambda t: O.interpolated(t, [(10, 0.02), (40, 0.1), (200, 0.001)]),
    ),
    "Interpolated-cosine-epochs": (
        lambda: keras_lr.Interpolated([(0, 0.1), (2.5, 0.05), (6, 0.01)], "cosine", 13),
        lambda t: O.interpolated(t, [(0, 0.1), (32, 0.05), (78, 0.01)], "cosine"),
    ),
    "Tabulated": (
        lambda: keras_lr.from_function(lambda e: 0.1 * 0.5 ** (e // 3), 12, steps_per_epoch=11),
        lambda t: O.tabulated(t, [0.1 * 0.5 ** (e // 3) for e in range(12)], 11),
    ),
    "PerUpdate": (
        lambda: keras_lr.PerUpdate(KS.CosineDecay(0.1, 30), 4),
        lambda t: keras_cosine(t // 4, 0.1, 30),
    ),
    "CosineWarmRestarts-timm-cycle_decay-k_decay": (
        lambda: keras_lr.CosineWarmRestarts(0.1, 10, t_mul=2.0, alpha=0.05, cycle_limit=20,
                                            cycle_decay=0.7, k_decay=1.5),
        lambda t: O.timm_cosine(t, 0.1, 10, 0.005, 2.0, 0.7, 20, k_decay=1.5),
    ),
    "CosineWarmRestarts-fractional": (
        lambda: keras_lr.CosineWarmRestarts(0.1, 7.5, t_mul=1.0, alpha=0.1, cycle_limit=40.5),
        lambda t: 0.01 if t >= 7.5 * 40.5 else O.warm_restarts(t, 0.1, 7.5, 1.0, 1.0, 0.1),
    ),
    "Warmup-timm-default": (
        lambda: keras_lr.Warmup(keras_lr.CosineWarmRestarts(0.1, 200, 1.0, alpha=0.01,
                                                            cycle_limit=1),
                                20, initial_learning_rate=0.001, shift_schedule=False,
                                warmup_target=0.1),
        lambda t: O.timm_cosine(t, 0.1, 200, 0.001, warmup_t=20, warmup_lr_init=0.001),
    ),
    "WarmupStableDecay-hugging-face": (
        lambda: keras_lr.WarmupStableDecay(0.1, 10, 30, 40, "1-sqrt", alpha=0.2,
                                           warmup_shape="cosine", initial_learning_rate=0.02),
        lambda t: O.hf_wsd(t, 0.1, 10, 30, 40, "cosine", "1-sqrt", 0.2),
    ),
    "Interpolated-zero": (
        lambda: keras_lr.Interpolated([(0, 0.0), (30, 0.1), (90, 0.0)]),
        lambda t: O.interpolated(t, [(0, 0.0), (30, 0.1), (90, 0.0)]),
    ),
}

if hasattr(keras_lr, "Multiplied"):  # once keras_lr exports it (keras_lr.schedules does)
    SPECS["Multiplied"] = (
        lambda: keras_lr.Multiplied([0.1, keras_lr.StepDecay(1.0, 3, 0.9),
                                     keras_lr.Cyclical(0.5, 1.0, 7)]),
        lambda t: 0.1 * O.step_decay(t, 1.0, 3, 0.9) * O.cyclical(t, 0.5, 1.0, 7, 7),
    )


def spec_class(key):
    return getattr(keras_lr, key.split("-")[0])
