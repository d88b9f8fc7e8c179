"""keras-lr against PyTorch's schedulers: live where torch imports, float64 NumPy otherwise.

No TensorFlow import: CI runs this file on JAX and PyTorch too (the torch lane runs the
live comparisons).
"""

import numpy as np
import pytest

import keras_lr
from tests import oracles as O

torch_rates = O.torch_rates


# --- StepDecay: the power in float64 -------------------------------------------------------------

def test_step_decay_equals_pytorch_step_lr_at_large_steps_float64_oracle():
    steps = np.array([0, 1, 1000, 10_000, 29_999, 30_000])
    expected = 0.1 * 0.9999 ** steps.astype("float64")
    got = keras_lr.schedule_values(keras_lr.StepDecay(0.1, 1, 0.9999), steps)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    many = keras_lr.MultiStepDecay(1.0, list(range(1, 3001)), 0.999)
    np.testing.assert_allclose(keras_lr.schedule_values(many, [3000]), [0.999**3000], rtol=1e-6)


def test_step_decay_equals_live_pytorch_exponential_lr_and_step_lr():
    n = 30_001
    expected = torch_rates(lambda L, o: L.ExponentialLR(o, 0.9999), n, lr=0.1)
    got = keras_lr.schedule_values(keras_lr.StepDecay(0.1, 1, 0.9999), n)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    expected = torch_rates(lambda L, o: L.StepLR(o, 7, 0.99), 3000, lr=0.1)
    got = keras_lr.schedule_values(keras_lr.StepDecay(0.1, 7, 0.99), 3000)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# --- OneCycle: exact phase positions -------------------------------------------------------------

ENDS = [0, 1, 448, 449, 450, 897, 898, 899, 998, 999]  # around the end of every phase


def one_cycle_three_phase():
    return keras_lr.OneCycle(0.1, 1000, pct_start=0.45, anneal_strategy="linear",
                             three_phase=True)


def test_one_cycle_three_phase_phase_ends_float64_oracle():
    expected = [O.one_cycle(t, 0.1, 1000, 0.45, 25.0, 1e4, "linear", True) for t in ENDS]
    got = keras_lr.schedule_values(one_cycle_three_phase(), ENDS)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[-1] == pytest.approx(4e-7, rel=1e-6)  # was 4.038e-7 (1 % off)


def test_one_cycle_three_phase_equals_live_pytorch_one_cycle_lr():
    expected = torch_rates(lambda L, o: L.OneCycleLR(o, 0.1, total_steps=1000, pct_start=0.45,
                                                     anneal_strategy="linear", three_phase=True,
                                                     cycle_momentum=False), 1000)
    got = keras_lr.schedule_values(one_cycle_three_phase(), 1000)
    np.testing.assert_allclose(got[ENDS], expected[ENDS], rtol=1e-6)
    np.testing.assert_allclose(got, expected, rtol=2e-6)


# --- Multiplied: PyTorch's ChainedScheduler ------------------------------------------------------

def chained():
    # ChainedScheduler([ConstantLR(0.5, 40), ExponentialLR(0.999), LinearLR(0.25, 1.0, 100),
    #                   StepLR(500, 0.5)]) on a base rate of 0.1, one keras-lr factor each.
    return keras_lr.schedules.Multiplied([
        0.1,
        keras_lr.SequentialSchedule([0.5, 1.0], [40]),
        keras_lr.StepDecay(1.0, 1, 0.999),
        keras_lr.Interpolated([(0, 0.25), (100, 1.0)]),
        keras_lr.StepDecay(1.0, 500, 0.5),
    ])


def chained_float64(t):
    linear = 0.25 + 0.75 * min(t, 100) / 100
    return 0.1 * (0.5 if t < 40 else 1.0) * 0.999**t * linear * 0.5 ** (t // 500)


def test_multiplied_float64_oracle():
    steps = np.arange(2500)
    np.testing.assert_allclose(keras_lr.schedule_values(chained(), steps),
                               [chained_float64(int(t)) for t in steps], rtol=2e-6)


def test_multiplied_equals_live_pytorch_chained_scheduler():
    def make(L, o):
        return L.ChainedScheduler([L.ConstantLR(o, 0.5, 40), L.ExponentialLR(o, 0.999),
                                   L.LinearLR(o, 0.25, 1.0, 100), L.StepLR(o, 500, 0.5)])

    expected = torch_rates(make, 2500, lr=0.1)
    np.testing.assert_allclose(keras_lr.schedule_values(chained(), 2500), expected, rtol=2e-6)


def test_from_function_factor_equals_live_pytorch_lambda_lr():
    fn = lambda e: min(e / 50, 1.0) * 0.998**e  # noqa: E731 - 0 at step 0
    expected = torch_rates(lambda L, o: L.LambdaLR(o, fn), 2000, lr=0.3)
    sched = keras_lr.from_function(fn, 2000, "step", learning_rate=0.3)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 2000), expected, rtol=1e-6,
                               atol=1e-12)


# --- the new parameters and classes reload -------------------------------------------------------

def new_schedules():
    return {
        "multiplied": chained(),
        "timm_warmup": keras_lr.Warmup(keras_lr.CosineWarmRestarts(0.1, 200, 1.0, alpha=0.01,
                                                                   cycle_limit=1),
                                       20, initial_learning_rate=0.001, shift_schedule=False,
                                       warmup_target=0.1),
        "timm_cycles": keras_lr.CosineWarmRestarts(0.1, 30, 2.0, alpha=0.1, cycle_limit=4,
                                                   cycle_decay=0.5, k_decay=2.0),
        "hf_restarts": keras_lr.Warmup(keras_lr.CosineWarmRestarts(0.1, 2000 / 2.5, 1.0,
                                                                   cycle_limit=2.5),
                                       100, start_factor=0.0),
        "lambda": keras_lr.from_function(lambda e: min(e / 5, 1.0), 20, "step",
                                         learning_rate=0.2),
        "zero_points": keras_lr.Interpolated([(0, 0.0), (50, 0.1), (2000, 0.0)]),
    }


STEPS_CHECKED = [0, 1, 19, 20, 21, 99, 100, 900, 1700, 2099, 2100, 2200]


def test_new_schedules_round_trip_their_config():
    import keras

    for key, sched in new_schedules().items():
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(sched))
        assert again.get_config() == sched.get_config(), key
        np.testing.assert_array_equal(keras_lr.schedule_values(again, STEPS_CHECKED),
                                      keras_lr.schedule_values(sched, STEPS_CHECKED), err_msg=key)


@pytest.mark.slow
def test_new_schedules_reload_in_a_fresh_process(tmp_path):
    from tests import scenarios as S

    paths = {}
    for key, sched in new_schedules().items():
        paths[key] = str(tmp_path / f"{key}.keras")
        S.onehot_model(sched).save(paths[key])
    out = S.run_python(f"""
        import json, keras, keras_lr
        from keras_lr._keras import learning_rate_of
        rates = {{}}
        for key, path in {paths!r}.items():
            sched = learning_rate_of(keras.models.load_model(path).optimizer)
            rates[key] = keras_lr.schedule_values(sched, {STEPS_CHECKED!r}).tolist()
        print(json.dumps(rates))
    """)
    import json

    rates = json.loads(out.strip().splitlines()[-1])
    for key, sched in new_schedules().items():
        np.testing.assert_allclose(rates[key], keras_lr.schedule_values(sched, STEPS_CHECKED),
                                   rtol=1e-7, err_msg=key)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: keras_lr.CosineWarmRestarts(0.1, 0.5), "Argument `first_decay_steps` must be in"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 10, cycle_limit=0), "Argument `cycle_limit` must"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 10, cycle_decay=1.5), "Argument `cycle_decay`"),
    (lambda: keras_lr.CosineWarmRestarts(0.1, 10, k_decay=0.0), "Argument `k_decay` must be"),
    (lambda: keras_lr.Warmup(0.1, 10, warmup_target=0.0), "Argument `warmup_target` must be"),
    (lambda: keras_lr.schedules.Multiplied([]), "Argument `schedules` must be a non-empty"),
    (lambda: keras_lr.schedules.Multiplied([0.1, "x"]), "Argument `schedules[1]` must be"),
    (lambda: keras_lr.from_function(lambda e: 1.0, 3, "step", learning_rate=-1.0),
     "Argument `learning_rate` must be"),
])
def test_new_arguments_are_validated(make, message):
    with pytest.raises((ValueError, TypeError)) as error:
        make()
    assert str(error.value).startswith(message)


def test_sequential_schedule_equals_live_pytorch_sequential_lr():
    def make(L, o):
        return L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 10), L.ExponentialLR(o, 0.999)],
                              milestones=[10])

    expected = torch_rates(make, 2000, lr=0.1)
    ours = keras_lr.SequentialSchedule([keras_lr.Interpolated([(0, 0.01), (10, 0.1)]),
                                        keras_lr.StepDecay(0.1, 1, 0.999)], [10])
    np.testing.assert_allclose(keras_lr.schedule_values(ours, 2000), expected, rtol=2e-6)
