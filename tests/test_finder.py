"""The LR range test: restores everything, stops on divergence, suggests sensibly."""

import json
import math
import pathlib

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _data, _trial, finder, suggest
from tests import oracles

KS = keras.optimizers.schedules


def regression_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + 0.05 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def model_with_state(optimizer):
    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer, loss="mse", metrics=["mae"])
    x, y = regression_data()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # optimizer slots are non-zero now
    return model


def state(model):
    return ([np.array(v) for v in model.variables],
            [np.array(v) for v in model.optimizer.variables],
            [np.array(v) for v in model.metrics_variables], np.random.get_state()[1].copy())


def assert_same(before, after):
    for group_before, group_after in zip(before, after, strict=False):
        assert len(group_before) == len(group_after)
        for a, b in zip(group_before, group_after, strict=False):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("make_optimizer", [
    lambda: keras.optimizers.Adam(KS.CosineDecay(1e-3, 1000)),
    lambda: keras.optimizers.SGD(0.01, momentum=0.9),
    lambda: keras.optimizers.AdamW(keras_lr.OneCycle(1e-2, 500)),
    lambda: keras.optimizers.Lamb(1e-3),  # keras.optimizers.deserialize gives it back as "Lamb"
], ids=["adam_schedule", "sgd_float", "adamw_one_cycle", "lamb"])
def test_sweep_leaves_model_optimizer_and_rng_bit_identical(make_optimizer):
    model = model_with_state(make_optimizer())
    before = state(model)
    lr_before = keras_lr.get_learning_rate(model.optimizer)
    x, y = regression_data()
    result = keras_lr.find_lr(model, x, y, batch_size=32, num_steps=30, end_lr=1.0)
    assert len(result.lrs) >= 10
    assert_same(before, state(model))
    assert keras_lr.get_learning_rate(model.optimizer) == lr_before
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # training goes on where it was
    assert int(model.optimizer.iterations) == 16


class Exploding(keras.utils.PyDataset):
    """Yields batches until `fail_at`, then raises (a sweep that breaks mid-way)."""

    def __init__(self, x, y, fail_at):
        super().__init__()
        self.x, self.y, self.fail_at, self.calls = x, y, fail_at, 0

    def __len__(self):
        return len(self.x) // 32

    def __getitem__(self, i):
        self.calls += 1
        if self.calls > self.fail_at:
            raise RuntimeError("the data broke")
        return self.x[i * 32: (i + 1) * 32], self.y[i * 32: (i + 1) * 32]


def test_sweep_that_raises_midway_still_restores_everything():
    model = model_with_state(keras.optimizers.Adam(1e-3))
    before = state(model)
    x, y = regression_data()
    with pytest.raises(RuntimeError, match="the data broke"):
        keras_lr.find_lr(model, Exploding(x, y, fail_at=12), num_steps=50)
    assert_same(before, state(model))
    assert isinstance(model.optimizer, keras.optimizers.Adam)


def test_sweep_stops_early_when_the_loss_explodes():
    model = model_with_state(keras.optimizers.SGD(0.01))
    x, y = regression_data()
    result = keras_lr.find_lr(model, x, y, batch_size=32, num_steps=200, start_lr=1e-4,
                              end_lr=100.0)
    assert result.stopped_early
    assert len(result.lrs) < 200
    last = result.losses[-1]
    assert not math.isfinite(last) or result.smoothed[-1] > 4 * np.nanmin(result.smoothed)


def test_suggestion_lies_in_the_descending_region():
    """Noisy linear regression with SGD: the loss falls as the rate grows, bottoms out near
    the rate where SGD turns unstable (about 1 here: mse's curvature is 2 E[x x^T] ~ 2 I),
    then explodes. The suggestions must lie where it falls."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(512, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.5 * rng.normal(size=(512, 1))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    result = keras_lr.find_lr(model, x, y.astype("float32"), batch_size=64, num_steps=100,
                              start_lr=1e-5, end_lr=10.0)
    bottom = int(np.nanargmin(result.smoothed))
    top = int(np.argmax(result.smoothed[:bottom]))  # where the fall begins
    assert result.stopped_early and 0.3 < result.lrs[bottom] < 3.0
    assert result.smoothed[bottom] < 0.7 * result.smoothed[top]
    for name in ("valley", "steepest"):
        assert result.lrs[top] <= result.suggestions[name] <= result.lrs[bottom], name
    # fastai's minimum: the lowest point of fastai's window (the last 5 points dropped)
    window = result.smoothed[10: len(result.smoothed) - 5]
    assert result.suggestions["minimum"] == result.lrs[10 + int(np.argmin(window))] / 10


@pytest.mark.slow
def test_inputs_numpy_dataset_pydataset_multi_input_and_weights():
    import tensorflow as tf

    x, y = regression_data()
    model = model_with_state(keras.optimizers.Adam(1e-3))
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    for data in ({"x": x, "y": y, "batch_size": 32}, {"x": ds}, {"x": Exploding(x, y, 10**6)}):
        result = keras_lr.find_lr(model, num_steps=20, end_lr=1e-2, **data)
        assert len(result.losses) == 20 and np.all(np.isfinite(result.losses))
    # two inputs, and sample weights that zero the loss
    a = keras.Input((8,), name="a")
    b = keras.Input((3,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    two = keras.Model({"a": a, "b": b}, out)
    two.compile(keras.optimizers.SGD(0.1), loss="mse")
    inputs = {"a": x, "b": x[:, :3]}
    result = keras_lr.find_lr(two, inputs, y, batch_size=16, num_steps=10, end_lr=1e-2,
                              sample_weight=np.zeros(len(x), "float32"))
    np.testing.assert_array_equal(result.losses, 0.0)


def test_a_generator_that_runs_out_stops_the_sweep_with_a_warning():
    x, y = regression_data(n=64)
    model = model_with_state(keras.optimizers.Adam(1e-3))
    before = state(model)
    batches = ((x[i: i + 16], y[i: i + 16]) for i in range(0, 64, 16))
    with pytest.warns(UserWarning, match="no batch left to refine"), \
            pytest.warns(UserWarning, match="ran out after 4 batches"):
        result = keras_lr.find_lr(model, batches, num_steps=10, end_lr=1e-2)
    assert len(result.losses) == 4 and result.stopped_early
    assert result.method == "balanced"  # nothing left to refine on
    assert_same(before, state(model))
    with pytest.raises(ValueError, match="no batch"):
        keras_lr.find_lr(model, iter([]), num_steps=10)


def test_sweep_longer_than_an_epoch_ends_exactly_at_end_lr():
    x, y = regression_data(n=64)
    model = model_with_state(keras.optimizers.Adam(1e-3))
    for step_mode in ("exponential", "linear"):
        result = keras_lr.find_lr(model, x, y, batch_size=16, num_steps=37, start_lr=1e-5,
                                  end_lr=1e-2, step_mode=step_mode, stop_factor=1e9)
        assert len(result.lrs) == 37 and not result.stopped_early  # 37 steps, 4 per epoch
        assert result.lrs[0] == pytest.approx(1e-5) and result.lrs[-1] == pytest.approx(1e-2)
        if step_mode == "linear":
            np.testing.assert_allclose(np.diff(result.lrs), (1e-2 - 1e-5) / 36, rtol=1e-3)
        else:
            np.testing.assert_allclose(result.lrs[1:] / result.lrs[:-1], 1000 ** (1 / 36),
                                       rtol=1e-4)


def test_losses_are_per_batch_not_the_running_mean():
    # A model that predicts 0 and a rate of ~0: the loss of batch i is mean(y_i ** 2).
    x = np.zeros((40, 8), "float32")
    y = np.repeat(np.arange(1, 6, dtype="float32"), 8)[:, None]
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, kernel_initializer="zeros",
                                                                    use_bias=False)])
    model.compile(keras.optimizers.SGD(0.1), loss="mse")
    result = keras_lr.find_lr(model, x, y, batch_size=8, num_steps=10, start_lr=1e-9,
                              end_lr=1e-8, stop_factor=100.0)
    np.testing.assert_allclose(result.losses, [1, 4, 9, 16, 25] * 2, rtol=1e-6)


def test_smoothing_and_divergence_helpers():
    np.testing.assert_allclose(finder.smooth([2.0] * 5, 0.98), [2.0] * 5)  # no bias
    beta, raw = 0.9, [1.0, 3.0, 2.0]
    avg, expected = 0.0, []
    for i, v in enumerate(raw):
        avg = beta * avg + (1 - beta) * v
        expected.append(avg / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(finder.smooth(raw, beta), expected)
    assert finder.diverged(4.1, 1.0, 4.0) and not finder.diverged(3.9, 1.0, 4.0)
    assert finder.diverged(4.1, -2.0, 4.0) and not finder.diverged(3.9, -2.0, 4.0)  # -2 + 3*2


def test_suggestion_methods_on_a_known_curve():
    lrs = np.logspace(-5, 0, 51)
    logs = np.log10(lrs)
    curve = 1.0 + np.tanh(-(logs + 2.5) * 2) + np.where(logs > -1, (logs + 1) * 10, 0)
    assert finder.suggest_minimum(lrs, curve) == pytest.approx(lrs[np.argmin(curve)] / 10)
    assert finder.suggest_steepest(lrs, curve) == pytest.approx(10**-2.5, rel=0.3)
    valley = finder.suggest_valley(lrs, curve)
    assert lrs[0] < valley < lrs[np.argmin(curve)]


SWEEPS = json.loads((pathlib.Path(__file__).parent / "data" / "sweeps.json").read_text())["sweeps"]


def test_fastai_valley_index_by_hand():
    # lds = [1, 2, 2, 3, 4] (5 > 3 > 1 > 0); the longest run ends at max_end = 4 with length 4,
    # and fastai sets max_start = max_end - lds[max_end] = 0. s = 4/3 -> 0 + int(1.33) +
    # int(0.67) = 1.
    losses = [5.0, 3.0, 4.0, 1.0, 0.0]
    assert oracles.fastai_valley_index(losses) == 1 == suggest.valley_index(losses)
    # A flat start: the run 1 > 0.9 > 0.8 > 0.7 really starts at index 0, but fastai counts
    # back from its end: max_start = 8 - 4 = 4, s = 4/3 -> 4 + 1 + 0 = 5.
    losses = [1.0] * 6 + [0.9, 0.8, 0.7]
    assert oracles.fastai_valley_index(losses) == 5 == suggest.valley_index(losses)
    lrs = np.arange(1.0, 10.0)
    assert suggest.suggest_longest_fall(lrs, losses) == lrs[4]  # (0 + 8) // 2


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_valley_returns_fastais_number_on_recorded_sweeps(name):
    """Real sweeps (find_lr defaults; tests/data/sweeps.json): `valley` is fastai's valley
    on fastai's lr_find window, index for index."""
    sweep = SWEEPS[name]
    lrs, smoothed = np.array(sweep["lrs"]), np.array(sweep["smoothed"])
    w_lrs, w_losses = oracles.fastai_window(lrs, smoothed, sweep["num_steps"])
    expected = oracles.fastai_valley_index(w_losses)
    assert suggest.valley_index(np.array(w_losses)) == expected
    assert suggest.suggest_valley(np.array(w_lrs), np.array(w_losses)) == w_lrs[expected]
    # stopped by divergence: fastai's recorder holds every point, the last 5 are dropped
    found = suggest.suggest_all(lrs, smoothed, sweep["num_steps"], recorded=len(lrs))
    assert found["valley"] == w_lrs[expected]
    assert suggest.from_sweep(lrs, sweep["losses"], sweep["num_steps"])[1] == found
    # the same arrays as finder.smooth makes them from the raw losses
    np.testing.assert_allclose(suggest.smooth(sweep["losses"]), smoothed, rtol=1e-12)
    # fastai's minimum: the rate of the lowest loss of the same window / 10
    assert found["minimum"] == w_lrs[int(np.argmin(w_losses))] / 10


def test_recorded_sweeps_show_the_two_valleys_differ():
    """keras-lr 0.1's rule (now `longest_fall`) picked a much lower rate than fastai's valley on
    the digits sweep; the rename keeps the fastai name honest."""
    sweep = SWEEPS["digits/mlp/sgd/b32/e10"]
    found = suggest.from_sweep(sweep["lrs"], sweep["losses"], sweep["num_steps"])[1]
    assert found["valley"] > 5 * found["longest_fall"]


def test_refine_picks_the_rate_that_trains_best_and_restores_everything():
    """Linear least squares with SGD (curvature about 2): 1e-5 barely moves in 20 updates,
    0.1 converges, 50 diverges (aborted, never picked)."""
    x, y = regression_data()
    model = model_with_state(keras.optimizers.SGD(0.01))
    before = state(model)
    snapshot, trainer = _trial.Snapshot(model), _trial.Trainer(model)
    with trainer:
        assert _trial.refine(trainer, snapshot, _data.batches(x, y, None, 32),
                             [1e-5, 0.1, 50.0], 20) == 0.1
    assert trainer.updates < 3 * 20  # the runaway rate stopped early
    assert_same(before, state(model))


def test_the_range_test_traces_one_train_function():
    """Issue 21: the sweep and every refinement candidate run through one train function,
    traced once (the ragged last batch of 250 = 7 * 32 + 26 rows is not read)."""
    x, y = regression_data(n=250)
    model = model_with_state(keras.optimizers.Adam(1e-3))
    traces, step = [], model.train_step

    def counting(*args):
        traces.append(keras.backend.backend())
        return step(*args)

    model.train_step = counting  # runs in Python once per trace (on PyTorch: every update)
    result = keras_lr.find_lr(model, x, y, num_steps=30)
    assert result.method == "refined"
    if keras.backend.backend() != "torch":  # PyTorch runs eagerly: no trace at all
        assert len(traces) == 1
    sizes = {_data.size(b) for b, _ in zip(_data.batches(x, y, None, 32), range(20), strict=False)}
    assert sizes == {32}
    assert {_data.size(b) for b, _ in zip(_data.batches(x[:20], y[:20], None, 32), range(3),
                                           strict=False)} == {20}  # fewer rows: one batch


def test_default_suggestion_is_refined_among_the_candidates():
    x, y = regression_data()
    model = model_with_state(keras.optimizers.Adam(1e-3))
    before = state(model)
    result = keras_lr.find_lr(model, x, y, num_steps=30)
    assert result.method == "refined" and result.suggestion == result.suggestions["refined"]
    assert result.suggestion in suggest.candidates(result.suggestions)
    assert suggest.candidates(result.suggestions) == sorted(
        {result.suggestions[k] for k in ("valley", "balanced", "minimum")})
    assert suggest.candidates({"valley": 1e-3, "balanced": 1e-4, "minimum": 1e-5}, 1e-4) \
        == [1e-4, 1e-3]  # nothing was measured below the sweep's first rate
    assert len(result.lrs) < result.updates <= 1.5 * len(result.lrs)  # at a sweep's price
    assert_same(before, state(model))
    plain = keras_lr.find_lr(model, x, y, num_steps=30, refine=False)
    assert plain.method == "balanced" and "refined" not in plain.suggestions
    assert plain.updates == len(plain.lrs) and plain.to_dict()["updates"] == plain.updates
    np.testing.assert_array_equal(plain.losses, result.losses)  # the same sweep
    with pytest.raises(ValueError, match="Argument `method` must be a curve rule"):
        keras_lr.find_lr(model, x, y, num_steps=30, refine=False, method="refined")


def test_result_converts_plots_and_makes_a_one_cycle():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import json

    import matplotlib.pyplot as plt

    x, y = regression_data()
    model = model_with_state(keras.optimizers.Adam(1e-3))
    result = keras_lr.find_lr(model, x, y, num_steps=30, method="steepest")
    blob = json.loads(json.dumps(result.to_dict()))
    assert blob["suggestion"] == result.suggestions["steepest"] == result.suggestion
    assert len(blob["lrs"]) == len(blob["losses"]) == len(blob["smoothed"])
    ax = result.plot()
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 3
    plt.close("all")
    cycle = result.one_cycle(total_steps=100)
    assert cycle.max_learning_rate == result.suggestion


BAD = [
    (dict(start_lr=1e-3, end_lr=1e-3), ValueError, "end_lr", "0.001"),
    (dict(start_lr=0.0), ValueError, "start_lr", "0.0"),
    (dict(num_steps=1), ValueError, "num_steps", "1"),
    (dict(num_steps=10.5), ValueError, "num_steps", "10.5"),
    (dict(method="knee"), ValueError, "method", "'knee'"),
    (dict(step_mode="log"), ValueError, "step_mode", "'log'"),
    (dict(beta=1.0), ValueError, "beta", "1.0"),
    (dict(stop_factor=1.0), ValueError, "stop_factor", "1.0"),
    (dict(batch_size=0), ValueError, "batch_size", "0"),
    (dict(num_steps=True), TypeError, "num_steps", "True"),
]


@pytest.mark.parametrize(("kwargs", "error", "name", "value"), BAD, ids=[b[2] for b in BAD])
def test_bad_arguments(kwargs, error, name, value):
    import re

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile("sgd", loss="mse")
    x, y = regression_data(32)
    with pytest.raises(error, match=rf"Argument `{name}` must be .+\. Received: {name}="
                                    + re.escape(value)):
        keras_lr.find_lr(model, x, y, **kwargs)


def test_uncompiled_model_is_refused():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        keras_lr.find_lr(model, *regression_data(32))
