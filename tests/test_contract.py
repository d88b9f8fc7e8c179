"""The contract every public schedule keeps: values, configs, compiled calls."""

import inspect
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_lr
from tests.specs import SPECS, spec_class

KEYS = sorted(SPECS)
KERAS_SCHEDULES = [n for n in keras_lr.__all__ if hasattr(keras.optimizers.schedules, n)]
BIG = 2**31 - 1


def reference(key, steps):
    oracle = SPECS[key][1]
    return np.array([oracle(int(t)) for t in steps], dtype="float64")


def assert_close(values, expected, scale):
    """float32 math: within a few ulps of the value or of the schedule's scale."""
    np.testing.assert_allclose(values, expected, rtol=2e-6, atol=5e-7 * scale)


def test_every_public_schedule_has_a_spec():
    exported = {
        name
        for name in keras_lr.__all__
        if inspect.isclass(getattr(keras_lr, name))
        and issubclass(getattr(keras_lr, name), keras.optimizers.schedules.LearningRateSchedule)
        and getattr(keras_lr, name).__module__.startswith("keras_lr")
    }
    assert exported == {spec_class(key).__name__ for key in KEYS}



def test_keras_builtins_are_reexported_not_copied():
    for name in KERAS_SCHEDULES:
        assert getattr(keras_lr, name) is getattr(keras.optimizers.schedules, name)


@pytest.mark.parametrize("key", KEYS)
def test_matches_oracle(key):
    steps = np.arange(300)
    values = keras_lr.schedule_values(SPECS[key][0](), steps)
    expected = reference(key, steps)
    assert_close(values, expected, expected.max())


@pytest.mark.parametrize("key", KEYS)
def test_exact_at_huge_steps(key):
    steps = np.array([BIG - 1000, BIG - 7, BIG - 1, BIG], dtype="int64")
    values = keras_lr.schedule_values(SPECS[key][0](), steps)
    assert np.all(np.isfinite(values))
    scale = reference(key, np.arange(300)).max()
    assert_close(values, reference(key, steps), scale)


@pytest.mark.parametrize("key", KEYS)
def test_config_keys_are_init_arguments(key):
    sched = SPECS[key][0]()
    params = {name for name, p in inspect.signature(type(sched)).parameters.items()
              if p.kind is not p.VAR_KEYWORD}  # **kwargs: deprecated names only
    assert set(sched.get_config()) == params


@pytest.mark.parametrize("key", KEYS)
def test_config_and_json_round_trip(key):
    sched = SPECS[key][0]()
    steps = np.arange(200)
    expected = keras_lr.schedule_values(sched, steps)
    clone = type(sched).from_config(sched.get_config())
    np.testing.assert_array_equal(keras_lr.schedule_values(clone, steps), expected)
    blob = json.dumps(keras.saving.serialize_keras_object(sched))
    clone = keras.saving.deserialize_keras_object(json.loads(blob))
    assert type(clone) is type(sched)
    np.testing.assert_array_equal(keras_lr.schedule_values(clone, steps), expected)


@pytest.mark.parametrize("key", KEYS)
def test_eager_compiled_xla_vector_and_dtypes_agree(key):
    """Same values however the schedule is called (XLA and vectorized kernels
    may round the last bit differently: 1e-6 relative)."""
    sched = SPECS[key][0]()
    steps = [0, 1, 2, 5, 19, 20, 21, 99, 100, 149, 150, 1000, BIG]
    eager = np.array([float(sched(s)) for s in steps])
    np.testing.assert_allclose(eager, reference(key, steps), rtol=2e-6, atol=1e-7 * eager[0])
    graph = tf.function(sched)
    xla = tf.function(sched, jit_compile=True)
    tol = dict(rtol=1e-6, atol=1e-7 * eager.max())
    for fn in (graph, xla):
        got = [float(fn(tf.constant(s, tf.int64))) for s in steps]
        np.testing.assert_allclose(got, eager, **tol)
    for dtype in (tf.int32, tf.int64, tf.float32):  # float32 is exact below 2**24
        got = [float(sched(tf.constant(s, dtype))) for s in steps[:-1]]
        np.testing.assert_array_equal(got, eager[:-1])
    np.testing.assert_allclose(keras_lr.schedule_values(sched, steps), eager, **tol)
    if key != "Warmup":  # Keras's CosineDecay inside uses ops.cond: no vector
        np.testing.assert_allclose(xla(tf.constant(steps, tf.int64)), eager, **tol)


@pytest.mark.parametrize("key", KEYS)
def test_optimizer_step_variable(key):
    """Optimizers call the schedule with their int64 `iterations` variable."""
    sched = SPECS[key][0]()
    optimizer = keras.optimizers.SGD(sched)
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    optimizer.iterations.assign(37)
    assert float(optimizer.learning_rate) == pytest.approx(SPECS[key][1](37), rel=2e-6)
    restored = keras.optimizers.SGD.from_config(optimizer.get_config())
    assert type(restored._learning_rate) is type(sched)
