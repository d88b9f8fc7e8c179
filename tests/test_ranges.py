"""Values the math cannot hold are refused at construction (issue 11's repros 01, 04, 05,
09, 12, 13), PyTorch's "cos" spelling, integer momentum levels."""

import json
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_lr

C = keras_lr.Constant(0.1)
MAX = 2**31 - 1  # the documented largest step count
F32_MAX = float(np.finfo("float32").max)
F32_TINY = float(np.finfo("float32").tiny)


def names(error, name):
    return rf"^Argument `{name}` must be .+\. Received: {name}="


# --- repro 04: step arguments that int64 would wrap are refused, the bound itself is exact -----

@pytest.mark.parametrize(("make", "name"), [
    (lambda: keras_lr.Cyclical(0.1, 1.0, step_size=2**62), "step_size"),
    (lambda: keras_lr.Cyclical(0.1, 1.0, step_size=2**30, step_size_down=2**31), "step_size_down"),
    (lambda: keras_lr.StepDecay(0.1, decay_steps=2**63), "decay_steps"),
    (lambda: keras_lr.MultiStepDecay(0.1, boundaries=[2**63]), "boundaries"),
    (lambda: keras_lr.Shifted(keras_lr.StepDecay(1.0, 1, 0.5), offset=2**63 - 1), "offset"),
    (lambda: keras_lr.Shifted(C, offset=-(2**31)), "offset"),
    (lambda: keras_lr.WarmupStableDecay(0.1, 2**30, 2**30, 2), "decay_steps"),
    (lambda: keras_lr.SequentialSchedule([C, C], [2**31]), "boundaries"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, cycle_limit=2**31), "cycle_limit"),
])
def test_step_arguments_past_the_bound_are_refused(make, name):
    with pytest.raises(ValueError, match=names(ValueError, name)):
        make()


def test_schedules_at_the_step_bound_are_exact():
    steps = np.array([0, 1, MAX - 1, MAX, 2 * MAX], dtype="int64")
    # One decay at step MAX, two at 2 * MAX (computed by hand).
    np.testing.assert_allclose(keras_lr.schedule_values(keras_lr.StepDecay(0.1, MAX), steps),
                               [0.1, 0.1, 0.1, 0.01, 0.001], rtol=1e-6)
    up, down = 2**30, MAX - 2**30  # the longest period: up + down == MAX
    cyc = keras_lr.Cyclical(0.1, 1.0, step_size=up, step_size_down=down)
    np.testing.assert_allclose(keras_lr.schedule_values(cyc, [0, up, MAX, MAX + up]),
                               [0.1, 1.0, 0.1, 1.0], rtol=1e-6)
    shifted = keras_lr.Shifted(keras_lr.StepDecay(1.0, MAX, 0.5), offset=MAX)
    np.testing.assert_allclose(keras_lr.schedule_values(shifted, [0, MAX]), [0.5, 0.25])


# --- repro 05: integers past int64, and 1e308, name the argument --------------------------------

@pytest.mark.parametrize("value", [2**70, 1e308])
@pytest.mark.parametrize(("make", "name"), [
    (lambda v: keras_lr.StepDecay(0.1, decay_steps=v), "decay_steps"),
    (lambda v: keras_lr.OneCycle(0.1, total_steps=v), "total_steps"),
    (lambda v: keras_lr.Warmup(0.1, warmup_steps=v), "warmup_steps"),
    (lambda v: keras_lr.Shifted(0.1, offset=v), "offset"),
    (lambda v: keras_lr.PerEpoch(0.1, steps_per_epoch=v), "steps_per_epoch"),
    (lambda v: keras_lr.PerUpdate(0.1, accumulation_steps=v), "accumulation_steps"),
    (lambda v: keras_lr.OneCycleScheduler(0.1, total_steps=v), "total_steps"),
    (lambda v: keras_lr.CyclicalScheduler(0.01, 0.1, v, unit="epoch"), "step_size"),
])
def test_oversized_integers_name_the_argument(make, name, value):
    with pytest.raises(ValueError, match=names(ValueError, name)):
        make(value)


@pytest.mark.parametrize(("step", "error"), [
    (2**70, ValueError), (-(2**64), ValueError), (float("nan"), ValueError),
    (float("inf"), ValueError), (1e300, ValueError), ([1, 2**64], ValueError),
    ("3", TypeError), (None, TypeError), (True, TypeError), (np.array(["a"]), TypeError),
])
def test_a_step_the_schedule_cannot_hold_names_the_step(step, error):
    for schedule in (C, keras_lr.StepDecay(0.1, 2), keras_lr.OneCycle(0.1, 10)):
        with pytest.raises(error, match=names(error, "step")):
            schedule(step)


# --- repro 12: rates outside float32 -------------------------------------------------------------

@pytest.mark.parametrize(("make", "name"), [
    (lambda: keras_lr.Constant(1e39), "learning_rate"),
    (lambda: keras_lr.Constant(1e-46), "learning_rate"),
    (lambda: keras_lr.Constant(1e-40), "learning_rate"),  # subnormal: flushed to 0 by kernels
    (lambda: keras_lr.Cyclical(0.1, 1e308, 4), "max_learning_rate"),
    (lambda: keras_lr.Scaled(C, factor=1e39), "factor"),
    (lambda: keras_lr.Scaled(3e38, factor=2.0), "factor"),  # the product would be inf
    (lambda: keras_lr.Warmup(1e39, 5), "schedule"),
    (lambda: keras_lr.OneCycle(1e39, 5), "max_learning_rate"),
    (lambda: keras_lr.InverseSqrtDecay(0.1, 5, decay_rate=1e300), "decay_rate"),
    (lambda: keras_lr.StepDecay(0.1, 5, decay_rate=10.0), "decay_rate"),  # inf at large steps
    (lambda: keras_lr.CosineWarmRestarts(0.1, 5, t_mul=1e300), "t_mul"),
])
def test_rates_outside_float32_are_refused(make, name):
    with pytest.raises(ValueError, match=names(ValueError, name)):
        make()


def test_float32_extremes_that_fit_give_finite_positive_rates():
    for rate in (F32_MAX, F32_TINY):
        values = keras_lr.schedule_values(keras_lr.Constant(rate), 3)
        np.testing.assert_array_equal(values, np.float32(rate))
        assert np.all(np.isfinite(values)) and np.all(values > 0)
    values = keras_lr.schedule_values(keras_lr.Cyclical(0.1, F32_MAX, 4), [0, 4, 8])
    np.testing.assert_allclose(values, [0.1, F32_MAX, 0.1], rtol=1e-6)


# --- repro 09: an integral float count -----------------------------------------------------------

def test_schedule_values_reads_an_integral_float_as_a_count():
    schedule = keras_lr.OneCycle(0.1, total_steps=1000)
    expected = keras_lr.schedule_values(schedule, np.arange(1000))
    for count in (1e3, 1000.0, np.float64(1000)):
        np.testing.assert_array_equal(keras_lr.schedule_values(schedule, count), expected)
    with pytest.raises(ValueError, match=names(ValueError, "steps")):
        keras_lr.schedule_values(schedule, 2.5)
    with pytest.raises(ValueError, match=names(ValueError, "steps")):
        keras_lr.schedule_values(schedule, -3)


# --- repros 01 and 13: find_lr on empty input, rates outside float32 -----------------------------

class EmptyPyDataset(keras.utils.PyDataset):
    def __len__(self):
        return 0

    def __getitem__(self, index):
        raise IndexError(index)


def _empty_inputs():
    x, y = np.zeros((0, 4), "float32"), np.zeros((0, 1), "float32")
    return [(x, y), (tf.data.Dataset.from_tensor_slices((x, y)).batch(8), None),
            (EmptyPyDataset(), None)]


@pytest.mark.parametrize("case", [0, 1, 2], ids=["arrays", "dataset", "pydataset"])
def test_find_lr_on_empty_input_raises_instead_of_hanging(case):
    x, y = _empty_inputs()[case]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    outcome = []

    def run():
        try:
            keras_lr.find_lr(model, x, y, num_steps=5)
            outcome.append("returned")
        except ValueError as error:
            outcome.append(str(error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    assert outcome == ["find_lr got no batch from `x`: the input is empty."]


@pytest.mark.parametrize(("start", "end", "name"), [
    (1e-300, 10.0, "start_lr"), (1e-45, 1e-44, "start_lr"), (1e-3, 1e300, "end_lr"),
    (F32_TINY, F32_MAX, "end_lr"),  # the sweep's growth end / start overflows float32
])
def test_find_lr_rates_outside_float32_name_the_argument(start, end, name):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 4), "float32")
    with pytest.raises(ValueError, match=names(ValueError, name)):
        keras_lr.find_lr(model, x, x[:, :1], start_lr=start, end_lr=end, num_steps=5)


# --- PyTorch's "cos"; integer momentum levels ----------------------------------------------------

@pytest.mark.parametrize(("make", "key"), [
    (lambda s: keras_lr.OneCycle(1.0, 20, anneal_strategy=s), "anneal_strategy"),
    (lambda s: keras_lr.Warmup(C, 5, shape=s), "shape"),
    (lambda s: keras_lr.WarmupStableDecay(1.0, 2, 3, 5, decay_shape=s), "decay_shape"),
    (lambda s: keras_lr.WarmupStableDecay(1.0, 2, 3, 5, warmup_shape=s), "warmup_shape"),
])
def test_cos_is_an_alias_of_cosine_and_round_trips(make, key):
    alias, canonical = make("cos"), make("cosine")
    assert alias.get_config()[key] == "cosine"
    clone = keras.saving.deserialize_keras_object(
        json.loads(json.dumps(keras.saving.serialize_keras_object(alias))))
    assert clone.get_config() == canonical.get_config()
    steps = np.arange(25)
    np.testing.assert_array_equal(keras_lr.schedule_values(alias, steps),
                                  keras_lr.schedule_values(canonical, steps))
    np.testing.assert_array_equal(keras_lr.schedule_values(clone, steps),
                                  keras_lr.schedule_values(canonical, steps))
    assert keras_lr.OneCycleScheduler(0.1, anneal_strategy="cos").cycle["anneal_strategy"] == "cos"


def test_momentum_accepts_integer_levels():
    one = keras_lr.OneCycle(1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear")
    # Warmup ends at step 4 (0.5 * 10 - 1): 3 -> 1 linearly, then back to 3 at step 9.
    np.testing.assert_allclose(
        np.asarray(one.momentum(np.arange(10), 1, 3)),
        [3, 2.5, 2, 1.5, 1, 1.4, 1.8, 2.2, 2.6, 3], rtol=1e-6)
    float(one.momentum(5, 1, 22))  # the call
    cyc = keras_lr.Cyclical(0.1, 1.0, step_size=2)
    np.testing.assert_allclose(np.asarray(cyc.momentum(np.arange(5), 0, 1)),
                               [1, 0.5, 0, 0.5, 1], atol=1e-7)


# --- repro 10: LearningRateMonitor's log_dir ------------------------------------------------------

@pytest.mark.parametrize(("value", "error"), [
    (True, TypeError), (0, TypeError), (["a"], TypeError), (b"logs", TypeError), ("", ValueError)])
def test_monitor_log_dir_must_be_a_path(value, error, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=names(error, "log_dir")):
        keras_lr.LearningRateMonitor(log_dir=value)
    assert list(tmp_path.iterdir()) == []


def test_monitor_log_dir_accepts_a_pathlib_path(tmp_path):
    monitor = keras_lr.LearningRateMonitor(log_dir=tmp_path / "logs")
    assert monitor.log_dir == str(tmp_path / "logs")


def test_linear_one_cycle_never_overshoots_its_final_rate():
    """Found by the property test: float32 rounding put the phase position past 1."""
    for total, pct in ((44, 0.9499999999999998), (1617, 0.95)):
        sched = keras_lr.OneCycle(1.0, total, pct, div_factor=1.0, final_div_factor=3.0,
                                  anneal_strategy="linear")
        values = keras_lr.schedule_values(sched, total + 10)
        assert values.min() == np.float32(1 / 3) == values[-1]
        assert values.max() == 1.0
