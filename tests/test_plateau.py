"""ReduceLROnPlateau: when it reduces (patience, cooldown, thresholds, PyTorch's own expected
sequences under the README's mapping, Keras 3's `mode="auto"`), the rates applied on top of any
schedule or a float rate, every optimizer of a model, mixed precision, fresh counters for each
`fit` and set_state to resume, in this process or another."""

import json
import math

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S

KS = keras.optimizers.schedules


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


@pytest.mark.parametrize(("monitor", "direction"), [
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
    assert state == {"best": 1.0, "wait": 1, "cooldown_counter": 0, "scale_factors": [1.0]}

    # A new fit: as Keras's callback, the bad epoch of the last fit is forgotten.
    S.rates_per_update(model, [S.Inject([3.0]), plateau], epochs=1)
    assert plateau.get_state() == {"best": 3.0, "wait": 0, "cooldown_counter": 0,
                                   "scale_factors": [1.0]}  # a float rate: no factor
    assert keras_lr.get_learning_rate(model.optimizer) == 1.0

    # Resuming: the restored wait counts, so the next bad epoch is the second: a reduction.
    plateau.set_state(state)
    S.rates_per_update(model, [S.Inject([3.0]), plateau], epochs=1)
    assert keras_lr.get_learning_rate(model.optimizer) == 0.5
    # set_state holds for one fit only.
    S.rates_per_update(model, [S.Inject([4.0]), plateau], epochs=1)
    assert plateau.get_state() == {"best": 4.0, "wait": 0, "cooldown_counter": 0,
                                   "scale_factors": [1.0]}


# --- On top of any schedule, on a float rate -----------------------------------------------------

@pytest.mark.parametrize("make", [lambda: KS.CosineDecay(0.05, 40, alpha=0.2),
                                  lambda: keras_lr.OneCycle(0.05, 40)],
                         ids=["keras_cosine", "one_cycle"])
def test_plateau_scales_any_schedule_from_the_next_update(make):
    x, y = np.ones((32, 1), "float32"), np.full((32, 1), -1e4, "float32")
    model, trace = S.one_weight_model(keras.optimizers.Adam(make())), S.WeightPerBatch()
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.3, patience=1)
    model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0,
              callbacks=[S.Inject([1.0, 0.5, 0.9, 0.4, 0.8]), plateau, trace])
    # Epoch 2 does not improve on 0.5 (reduce after it); epoch 4 does not improve on 0.4.
    expected = keras_lr.schedule_values(make(), 20)
    expected[12:] *= 0.3
    np.testing.assert_allclose(S.adam_rates(trace.moves()), expected, rtol=2e-4, atol=1e-7)
    assert isinstance(model.optimizer._learning_rate, keras_lr.Scaled)
    assert float(model.optimizer._learning_rate.factor) == pytest.approx(0.09)  # and after 4


def test_keras_own_plateau_cannot_reduce_a_schedule():
    """The difference this library exists for: Keras's callback raises here."""
    x, y = np.ones((8, 1), "float32"), np.zeros((8, 1), "float32")
    model = S.one_weight_model(keras.optimizers.Adam(KS.CosineDecay(0.05, 40)))
    keras_plateau = keras.callbacks.ReduceLROnPlateau("val_score", factor=0.3, patience=1,
                                                      mode="min")
    with pytest.raises(TypeError, match="not settable"):
        model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[S.Inject([1.0, 2.0, 3.0]), keras_plateau])

def test_plateau_on_a_float_rate_assigns_the_variable_and_respects_min_lr():
    model = S.onehot_model(0.1)
    plateau = keras_lr.ReduceLROnPlateau("val_score", factor=0.5, patience=1, min_lr=0.03,
                                         mode="min")
    rates = S.rates_per_update(model, [S.Inject([1.0, 2.0, 3.0, 4.0]), plateau], epochs=4)
    # Reductions after epochs 1 (to 0.05) and 2 (to 0.03, not 0.025); none below min_lr.
    np.testing.assert_allclose(rates, [0.1] * 24 + [0.05] * 12 + [0.03] * 12, rtol=1e-5)
    assert model.optimizer.variables[1] is model.optimizer._learning_rate  # still tracked


PATIENCE_CASES = [
    # (scores, kwargs, epochs after which a reduction happens)
    ([5, 4, 4, 4, 4, 4, 4], dict(patience=2), [3, 5]),
    ([5, 4, 4, 4, 4, 4, 4], dict(patience=2, cooldown=2), [3, 6]),
    ([5, 4, 3.99995, 3.9999, 4, 4], dict(patience=1, min_delta=1e-3), [2, 3, 4, 5]),
    ([5, 4, 3.99, 3.98, 4, 4], dict(patience=1, min_delta=1e-3, threshold_mode="rel"), [4, 5]),
    ([-5, -6, -6.01, -6.5], dict(patience=1, min_delta=0.01, threshold_mode="rel"), [2]),
    ([1, 2, 3, 2, 1], dict(patience=1, mode="max"), [3, 4]),
    ([1, 2, 2, 2, 2], dict(patience=1, monitor="val_accuracy"), [2, 3, 4]),
    ([5, 4, 4, 4, 4], dict(patience=1, start_from_epoch=3), [4]),
    ([5, math.nan, 4, math.inf, -math.inf, 3.5], dict(patience=1), [1, 3, 4]),
]


@pytest.mark.parametrize(("scores", "kwargs", "expected"), PATIENCE_CASES)
def test_when_the_plateau_reduces(scores, kwargs, expected):
    monitor = kwargs.pop("monitor", "val_score")
    if monitor == "val_score":  # a value only Inject knows: "auto" could not tell
        kwargs.setdefault("mode", "min")
    model = S.onehot_model(1.0, metrics=["accuracy"])  # "auto" reads val_accuracy's direction
    plateau = keras_lr.ReduceLROnPlateau(monitor, factor=0.5, **kwargs)
    rates = S.rates_per_update(model, [S.Inject(scores, monitor), plateau], epochs=len(scores))
    per_epoch = [*rates.reshape(len(scores), S.STEPS)[:, 0], keras_lr.get_learning_rate(
        model.optimizer)]  # the rate each epoch ran at, then the rate after the last one
    reductions = [e for e in range(len(scores)) if per_epoch[e + 1] < per_epoch[e] * 0.9]
    assert reductions == expected
    assert plateau.best is None or math.isfinite(plateau.best)


def test_restore_best_weights_on_reduction():
    model = S.onehot_model(0.1)
    kernels = S.KernelPerEpoch()
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", patience=2,
                                         restore_best_weights=True)
    x, y = np.eye(S.STEPS, dtype="float32"), np.full((S.STEPS, 1), -1e4, "float32")
    model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0,
              callbacks=[S.Inject([1.0, 2.0, 3.0]), plateau, kernels])
    np.testing.assert_array_equal(kernels.kernels[-1], kernels.kernels[1])  # back to epoch 0


def test_plateau_under_mixed_precision():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model, plateau = S.plateau_scenario()
        rates = S.rates_per_update(model, plateau)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    np.testing.assert_allclose(rates, S.expected_plateau_rates(), rtol=2e-3)


class TwoOptimizers(keras.Model):
    """A model that also owns a second optimizer, as GAN-style models do."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.critic_optimizer = keras.optimizers.Adam(KS.CosineDecay(0.01, 100), name="critic")

    def call(self, x):
        return self.dense(x)


def test_plateau_reduces_every_optimizer_and_logs_each():
    model = TwoOptimizers()
    model.compile(keras.optimizers.SGD(0.1, name="main"), loss="mse")
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0,
                        callbacks=[S.Inject([1.0, 2.0, 3.0]), keras_lr.ReduceLROnPlateau(
                            "val_score", 0.5, patience=1, mode="min")])
    np.testing.assert_allclose(history.history["learning_rate_main"], [0.1, 0.1, 0.05], rtol=1e-6)
    assert float(model.critic_optimizer._learning_rate.factor) == 0.25


# --- Resume across processes --------------------------------------------------------------------

SCORES = [1.0, 1.2, 0.8, 0.9, 0.95, 0.5, 0.7, 0.8]
RESUME = """
    import json, sys
    import keras
    import numpy as np
    import keras_lr
    from tests import scenarios as S

    folder = sys.argv[1]
    model = keras.models.load_model(f"{folder}/model.keras")
    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=2)
    plateau.set_state(json.load(open(f"{folder}/plateau.json")))
    scores = json.load(open(f"{folder}/scores.json"))
    rates = S.rates_per_update(model, [S.Inject(scores), plateau], epochs=8, initial_epoch=4)
    np.save(f"{folder}/resumed.npy", rates)
"""


@pytest.mark.slow
def test_plateau_resume_in_another_process_equals_uninterrupted(tmp_path):
    def setup():
        model = S.onehot_model(KS.CosineDecay(0.1, 8 * S.STEPS, alpha=0.5))
        return model, keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=2)

    model, plateau = setup()
    straight = S.rates_per_update(model, [S.Inject(SCORES), plateau], epochs=8)

    model, plateau = setup()
    first = S.rates_per_update(model, [S.Inject(SCORES), plateau], epochs=4)
    model.save(tmp_path / "model.keras")
    (tmp_path / "plateau.json").write_text(json.dumps(plateau.get_state()))
    (tmp_path / "scores.json").write_text(json.dumps(SCORES))
    S.run_python(RESUME, tmp_path, cwd=tmp_path)
    resumed = np.concatenate([first, np.load(tmp_path / "resumed.npy")])

    np.testing.assert_allclose(resumed, straight, rtol=1e-6, atol=1e-9)
    # Reductions after epoch 4 (two bad after 0.8: the second is after the reload, so the
    # restored `wait` decides) and after epoch 7 (too late to show in the rates).
    cosine = keras_lr.schedule_values(KS.CosineDecay(0.1, 8 * S.STEPS, alpha=0.5), 8 * S.STEPS)
    cosine[5 * S.STEPS:] *= 0.5
    np.testing.assert_allclose(straight[: 8 * S.STEPS], cosine, rtol=1e-5)


def test_positional_arguments_follow_keras():
    import inspect

    ours = list(inspect.signature(keras_lr.ReduceLROnPlateau).parameters)
    theirs = [p for p, v in inspect.signature(keras.callbacks.ReduceLROnPlateau).parameters.items()
              if v.kind is not v.VAR_KEYWORD]
    assert ours[:len(theirs)] == theirs
