"""Rates per group of layers: discriminative fine-tuning (fastai) and layer-wise decay (timm).

Both build a Keras `MultiOptimizer` (Keras 3.15+) with one copy of your
optimizer per group of layers. Group `i`'s rate is `scale_i × base`, where
`base` is your optimizer's rate (its schedule, or the constant it holds):
each copy holds `keras_lr.Scaled(base, factor=scale_i)`. So every group
follows one schedule shape, and keras-lr's callbacks act on each group:
`OneCycleScheduler` installs its cycle under each group's factor (the top
group runs at the cycle's own peak), `ReduceLROnPlateau` and `SpikeGuard`
multiply every group's factor, `LearningRateMonitor` logs one series per group
(`learning_rate_<optimizer>_pg<i>`, as Lightning's `lr-Adam/pg1`). The
optimizer is a plain `MultiOptimizer`: it saves and reloads with the model.
"""

from collections.abc import Sequence
from typing import TypeAlias

import keras

from keras_lr import _checks as check
from keras_lr import _keras
from keras_lr.schedules.basic import Constant
from keras_lr.schedules.compose import Scaled

__all__ = ["discriminative", "layer_decay"]

Schedule = keras.optimizers.schedules.LearningRateSchedule
Groups: TypeAlias = Sequence[Sequence[keras.layers.Layer]]  # lists of layers, input side first


def blocks_of(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's top-level layers that own trainable weights, input side first."""
    blocks = [layer for layer in model.layers if layer.trainable_weights]
    if not blocks:
        raise ValueError(f"The model '{model.name}' has no layer with trainable weights.")
    return blocks


def grouped(model: keras.Model, optimizer: keras.optimizers.Optimizer, scales: Sequence[float],
            groups: Groups | None = None) -> keras.optimizers.Optimizer:
    """A `MultiOptimizer` whose group `i` (a list of layers) runs at `scales[i] × base`."""
    if not hasattr(keras.optimizers, "MultiOptimizer"):
        raise RuntimeError("Rates per group need keras.optimizers.MultiOptimizer (Keras 3.15+).")
    if not isinstance(optimizer, keras.optimizers.Optimizer) or hasattr(optimizer, "optimizers") \
            or hasattr(optimizer, "inner_optimizer"):
        check.fail("optimizer", "a Keras optimizer (not a LossScaleOptimizer or "
                   "MultiOptimizer)", optimizer, TypeError)
    groups = [[layer] for layer in blocks_of(model)] if groups is None else groups
    rate = _keras.learning_rate_of(optimizer)
    if isinstance(rate, Scaled):
        check.fail("optimizer", "an optimizer whose rate is not already Scaled", optimizer)
    if not isinstance(rate, Schedule):
        rate = Constant(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
    copies, mapping = [], {}
    for i, (group, scale) in enumerate(zip(groups, scales, strict=True)):
        config = keras.optimizers.serialize(optimizer)
        config["config"].update(name=f"{optimizer.name}_pg{i}",
                                learning_rate=keras.saving.serialize_keras_object(
                                    Scaled(rate, factor=scale)))
        copy = keras.optimizers.deserialize(config)
        copies.append(copy)
        for layer in group:
            for variable in layer.trainable_weights:
                mapping[variable.path] = copy
    default = copies[-1]
    optimizer_map = keras.optimizers.OptimizerMap(
        default, {path: copy for path, copy in mapping.items() if copy is not default})
    return keras.optimizers.MultiOptimizer(optimizer_map)


def discriminative(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                   lrs: tuple[float, float] = (1e-5, 1e-3),
                   groups: Groups | None = None) -> keras.optimizers.Optimizer:
    """Discriminative rates: the groups' rates spread geometrically from `lo` to `hi`.

    fastai's `lr_max=slice(lo, hi)`: group `i` of `n` (input side first) gets
    `lo × (hi / lo) ** (i / (n - 1))`, so the first group trains at `lo` and
    the last (the head) at `hi`. Each group's rate is that share of your
    optimizer's rate (`lr_i / hi × base`): with a float rate of `hi` the groups
    train at exactly `lo … hi`; with a schedule, or under `OneCycleScheduler`
    (pass `max_learning_rate=hi` for fastai's `fit_one_cycle`), each follows
    it scaled.

    Args:
        model: A built Keras model.
        optimizer: The optimizer to copy per group (its rate is the base).
        lrs: `(lo, hi)`, the first and last groups' rates, `0 < lo <= hi`.
        groups: Lists of layers, input side first (default: each top-level
            layer with trainable weights is a group).

    Returns:
        A `keras.optimizers.MultiOptimizer` to pass to `model.compile`.

    Raises:
        ValueError: If `lrs` is not `0 < lo <= hi`.
        RuntimeError: On a Keras older than 3.15.

    Example:

    ```python
    optimizer = keras_lr.discriminative(model, keras.optimizers.AdamW(1e-3), lrs=(1e-5, 1e-3))
    model.compile(optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, callbacks=[keras_lr.OneCycleScheduler(1e-3)])
    ```
    """
    if not isinstance(lrs, (tuple, list)) or len(lrs) != 2:
        check.fail("lrs", "a pair (lo, hi)", lrs, TypeError)
    lo, hi = (check.rate(f"lrs[{i}]", v) for i, v in enumerate(lrs))
    if lo > hi:
        check.fail("lrs", "(lo, hi) with lo <= hi", lrs)
    n = len(blocks_of(model) if groups is None else groups)
    scales = [lo / hi * (hi / lo) ** (i / max(n - 1, 1)) for i in range(n)]
    if n == 1:
        scales = [1.0]
    return grouped(model, optimizer, scales, groups)


def layer_decay(model: keras.Model, optimizer: keras.optimizers.Optimizer, decay: float = 0.75,
                groups: Groups | None = None) -> keras.optimizers.Optimizer:
    """Layer-wise rate decay: group `i` of `n` runs at `decay ** (n - 1 - i)` × the rate.

    timm's `layer_decay` (BEiT, ViT fine-tuning): the head (the last group)
    at the full rate, each group below it `decay` times the one above.

    Args:
        model: A built Keras model.
        optimizer: The optimizer to copy per group (its rate is the base).
        decay: The factor between neighbouring groups, in (0, 1].
        groups: Lists of layers, input side first (default: each top-level
            layer with trainable weights is a group).

    Returns:
        A `keras.optimizers.MultiOptimizer` to pass to `model.compile`.

    Raises:
        ValueError: If `decay` is not in (0, 1].
        RuntimeError: On a Keras older than 3.15.

    Example:

    ```python
    model.compile(keras_lr.layer_decay(model, keras.optimizers.AdamW(1e-3), decay=0.65),
                  loss="sparse_categorical_crossentropy")
    ```
    """
    decay = check.in_range("decay", decay, 0.0, 1.0, closed=(False, True))
    n = len(blocks_of(model) if groups is None else groups)
    return grouped(model, optimizer, [decay ** (n - 1 - i) for i in range(n)], groups)
