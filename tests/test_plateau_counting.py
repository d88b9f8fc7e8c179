"""ReduceLROnPlateau: PyTorch's own expected sequences under the README's mapping, Keras 3's
`mode="auto"`, and fresh counters for each `fit` (set_state to resume)."""

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S


def float_model(learning_rate=0.5, metrics=None):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), loss="mse", metrics=metrics)
    return model


def drive(plateau, model, monitor, values):
    """The rate after each epoch end, the callback driven directly (as PyTorch's `step`)."""
    plateau.set_model(model)
    plateau.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        plateau.on_epoch_end(epoch, {monitor: value})
        rates.append(keras_lr.get_learning_rate(model.optimizer))
    return rates


def pytorch_mapping(mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                    cooldown=0, min_lr=0.0):
    """PyTorch's `ReduceLROnPlateau` arguments (its defaults) as the README maps them."""
    return dict(mode=mode, factor=factor, patience=patience + 1, min_delta=threshold,
                threshold_mode=threshold_mode, cooldown=cooldown + 1, min_lr=min_lr)


# pytorch/pytorch test/optim/test_lrscheduler.py, test_reduce_lr_on_plateau1 .. 8: the rate of
# the first parameter group (0.5) after `step(metrics[epoch])`, for `epochs` epochs.
PYTORCH = {
    "1": (10, [0.5] * 20, [10 - i * 0.0167 for i in range(20)],
          dict(threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5)),
    "2": (22, [0.5] * 6 + [0.05] * 7 + [0.005] * 7 + [0.0005] * 2,
          [10 - i * 0.0165 for i in range(22)],
          dict(patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1)),
    "3": (22, [0.5] * (2 + 6) + [0.05] * (5 + 6) + [0.005] * 4, [-0.8] * 2 + [-0.234] * 20,
          dict(mode="max", patience=5, cooldown=5, threshold_mode="abs")),
    "4": (20, [0.5] * 20, [1.5 * (1.025**i) for i in range(20)],
          dict(mode="max", patience=3, threshold_mode="rel", threshold=0.1)),
    "5": (20, [0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4, [1.5 * (1.005**i) for i in range(20)],
          dict(mode="max", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5)),
    "6": (20, [0.5] * 20, [1.5 * (0.85**i) for i in range(20)],
          dict(mode="min", threshold_mode="rel", threshold=0.1)),
    "7": (20, [0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4, [1] * 7 + [0.6] + [0.5] * 12,
          dict(mode="min", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5)),
    "8": (20, [0.5] * 6 + [0.4] * 14, [1.5 * (1.005**i) for i in range(20)],
          dict(mode="max", threshold_mode="rel", min_lr=0.4, threshold=0.1, patience=5,
               cooldown=5)),
}


@pytest.mark.parametrize("case", sorted(PYTORCH))
def test_pytorch_expected_sequences_under_the_readme_mapping(case):
    epochs, targets, metrics, torch_kwargs = PYTORCH[case]
    plateau = keras_lr.ReduceLROnPlateau("val_score", **pytorch_mapping(**torch_kwargs))
    rates = drive(plateau, float_model(0.5), "val_score", metrics[:epochs])
    np.testing.assert_allclose(rates, targets[:epochs], rtol=1e-6)


def test_without_the_cooldown_shift_pytorch_case_3_reduces_one_epoch_early():
    """The mapping's `cooldown + 1` matters: Keras's counting reduces at epoch 18, not 19."""
    epochs, targets, metrics, torch_kwargs = PYTORCH["3"]
    kwargs = {**pytorch_mapping(**torch_kwargs), "cooldown": torch_kwargs["cooldown"]}
    rates = drive(keras_lr.ReduceLROnPlateau("val_score", **kwargs), float_model(0.5),
                  "val_score", metrics[:epochs])
    assert np.isclose(rates[18], 0.005) and np.isclose(targets[18], 0.05)


# --- mode="auto" as Keras 3 ----------------------------------------------------------------------

def built_model():
    model = float_model(0.5, metrics=["auc", keras.metrics.Precision(name="precision"), "mae"])
    x = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    model.fit(x, np.array([[0.0], [1.0]], "float32"), epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("monitor,direction", [
    ("val_auc", "max"), ("auc", "max"), ("val_precision", "max"), ("val_mae", "min"),
    ("val_loss", "min"), ("loss", "min"),
])
def test_auto_mode_reads_the_direction_of_the_metric(monitor, direction):
    # Rising values: an improvement every epoch when maximizing, none when minimizing.
    plateau = keras_lr.ReduceLROnPlateau(monitor, factor=0.5, patience=1)
    rates = drive(plateau, built_model(), monitor, [0.1, 0.2, 0.3])
    assert rates == ([0.5] * 3 if direction == "max" else [0.5, 0.25, 0.125])


def test_auto_mode_raises_when_the_direction_is_unknown():
    plateau = keras_lr.ReduceLROnPlateau("val_score", patience=1)
    with pytest.raises(ValueError, match=r"^Argument `mode` must be 'min' or 'max' for "
                                         r"monitor='val_score'.+Received: mode='auto'"):
        drive(plateau, built_model(), "val_score", [0.1])


# --- A second fit starts fresh; set_state resumes -----------------------------------------------

def test_each_fit_starts_with_fresh_counters_and_set_state_resumes():
    model = S.onehot_model(1.0)
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=2)
    S.rates_per_update(model, [S.Inject([1.0, 2.0]), plateau], epochs=2)  # one bad epoch
    state = plateau.get_state()
    assert state == {"best": 1.0, "wait": 1, "cooldown_counter": 0, "scale_factors": [None]}

    # A new fit: as Keras's callback, the bad epoch of the last fit is forgotten.
    S.rates_per_update(model, [S.Inject([3.0]), plateau], epochs=1)
    assert plateau.get_state() == {"best": 3.0, "wait": 0, "cooldown_counter": 0,
                                   "scale_factors": [None]}  # a float rate: no factor
    assert keras_lr.get_learning_rate(model.optimizer) == 1.0

    # Resuming: the restored wait counts, so the next bad epoch is the second: a reduction.
    plateau.set_state(state)
    S.rates_per_update(model, [S.Inject([3.0]), plateau], epochs=1)
    assert keras_lr.get_learning_rate(model.optimizer) == 0.5
    # set_state holds for one fit only.
    S.rates_per_update(model, [S.Inject([4.0]), plateau], epochs=1)
    assert plateau.get_state() == {"best": 4.0, "wait": 0, "cooldown_counter": 0,
                                   "scale_factors": [None]}
