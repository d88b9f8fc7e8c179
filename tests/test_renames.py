"""One name per concept (keras-lr 0.3): each old name still works for one release, with a
`DeprecationWarning` pointing at the caller's line, and gives what the new name gives."""

import warnings

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import recipes


def renamed(match):
    return pytest.warns(DeprecationWarning, match=match)


def test_cyclical_mode_is_policy():
    with renamed(r"`Cyclical\(mode=\.\.\.\)` is deprecated .+ use `policy=`") as record:
        old = keras_lr.Cyclical(0.1, 1.0, 2, mode="triangular2")
    assert record[0].filename == __file__  # the warning names the user's line
    new = keras_lr.Cyclical(0.1, 1.0, 2, policy="triangular2")
    assert old.get_config() == new.get_config() and "mode" not in new.get_config()
    # heights 0.9, 0.45, 0.225 at the peaks of cycles 0, 1, 2 (steps 2, 6, 10)
    np.testing.assert_allclose(keras_lr.schedule_values(old, [2, 6, 10]), [1.0, 0.55, 0.325],
                               rtol=1e-6)


def test_a_config_saved_by_0_2_loads_without_a_warning():
    config = keras_lr.Cyclical(0.1, 1.0, 2, policy="exp_range", gamma=0.5).get_config()
    config["mode"] = config.pop("policy")  # what keras-lr 0.2 wrote
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras_lr.Cyclical.from_config(config)
    assert loaded.policy == "exp_range"


def test_cyclical_scheduler_mode_and_plural_units():
    with renamed(r"`CyclicalScheduler\(mode=\.\.\.\)`"), \
            renamed(r"`unit='epochs'`.+`unit='epoch'`"):
        old = keras_lr.CyclicalScheduler(0.01, 0.1, 2, unit="epochs", mode="triangular2")
    new = keras_lr.CyclicalScheduler(0.01, 0.1, 2, unit="epoch", policy="triangular2")
    assert old.unit == new.unit == "epoch"
    assert old.schedule_for(3, 10).get_config() == new.schedule_for(3, 10).get_config()
    with renamed(r"`unit='steps'`"):
        assert keras_lr.CyclicalScheduler(0.01, 0.1, 2, unit="steps").unit == "step"


def test_find_lr_mode_is_step_mode():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    x, y = np.ones((16, 3), "float32"), np.zeros((16, 1), "float32")
    with renamed(r"`find_lr\(mode=\.\.\.\)`.+`step_mode=`"):
        result = keras_lr.find_lr(model, x, y, batch_size=4, num_steps=4, start_lr=1e-3,
                                  end_lr=4e-3, mode="linear", refine=False, stop_factor=1e9)
    np.testing.assert_allclose(result.lrs, [1e-3, 2e-3, 3e-3, 4e-3], rtol=1e-6)  # linear


def test_recipes_peak_lr_is_max_learning_rate():
    with renamed(r"`recipes.schedule\(peak_lr=\.\.\.\)`.+`max_learning_rate=`"):
        lr, callbacks = recipes.schedule("constant", peak_lr=0.3, epochs=2, steps_per_epoch=5)
    assert lr == 0.3 and callbacks == []


def test_cosine_decay_restarts_points_to_cosine_warm_restarts():
    assert "CosineDecayRestarts" not in keras_lr.__all__
    with renamed(r"`keras_lr.CosineDecayRestarts`.+`keras_lr.CosineWarmRestarts`"):
        cls = keras_lr.CosineDecayRestarts
    assert cls is keras.optimizers.schedules.CosineDecayRestarts
    steps = np.arange(0, 70)  # the same values: cycles of 10, 20, 40 steps
    ours = keras_lr.schedule_values(keras_lr.CosineWarmRestarts(0.2, 10, m_mul=0.5, alpha=0.1),
                                    steps)
    np.testing.assert_allclose(ours, keras_lr.schedule_values(cls(0.2, 10, m_mul=0.5, alpha=0.1),
                                                              steps), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make", [lambda: keras_lr.Cyclical(0.1, 1.0, 2, modes="x"),
                                  lambda: keras_lr.CyclicalScheduler(0.1, 1.0, 2, modes="x"),
                                  lambda: recipes.schedule("constant", 0.1, 1, 1, peak=1)])
def test_an_unknown_keyword_is_still_a_type_error(make):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        make()
