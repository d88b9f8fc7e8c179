"""The backend contract: what must hold on TensorFlow, JAX and PyTorch alike.

Runs under whatever `KERAS_BACKEND` selects and imports no TensorFlow, so CI
runs this file in a JAX and a PyTorch environment too (README, `.ci/run`).
Every expected value is computed independently: closed-form oracles
(tests/oracles.py) and NumPy re-implementations of Keras's update rules.
"""

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S
from tests.specs import SPECS

BACKEND = keras.backend.backend()
BIG = 2**31 - 1  # the last step a 32-bit update counter reaches
SPE = 1 if BACKEND == "torch" else 4  # steps_per_execution: PyTorch runs one step at a time
RATES = dict(rtol=1e-5, atol=1e-8)  # rates read back from float32 weights
KEYS = sorted(SPECS)


def oracle(key, steps):
    return np.array([SPECS[key][1](int(t)) for t in steps], dtype="float64")


@pytest.mark.parametrize("key", KEYS)
def test_every_schedule_matches_its_oracle_from_0_and_around_2_31(key):
    scale = oracle(key, range(300)).max()
    for steps in (np.arange(300), np.array([BIG - 1000, BIG - 7, BIG - 1, BIG])):
        values = keras_lr.schedule_values(SPECS[key][0](), steps)
        np.testing.assert_allclose(values, oracle(key, steps), rtol=2e-6, atol=5e-7 * scale)


@pytest.mark.parametrize(("t_mul", "period", "cycles"),
                         [(2.0, 2, 30), (1.1, 10, 100), (1.5, 7, 40)])
def test_warm_restarts_place_every_cycle_start_exactly(t_mul, period, cycles):
    """At each cycle's first step the rate jumps back up; the step before ends the last cycle."""
    from tests import oracles

    sched = keras_lr.CosineWarmRestarts(1.0, period, t_mul=t_mul)
    firsts, start, length = [], 0.0, float(period)
    for _ in range(cycles):
        firsts.append(int(np.ceil(start)))
        start, length = start + length, length * t_mul
    firsts = np.array([s for s in firsts if s <= BIG])[1:]
    for steps in (firsts, firsts - 1):
        expected = [oracles.warm_restarts(int(t), 1.0, period, t_mul) for t in steps]
        np.testing.assert_allclose(keras_lr.schedule_values(sched, steps), expected,
                                   rtol=1e-5, atol=1e-6)
    assert np.all(keras_lr.schedule_values(sched, firsts) > 0.95)
    assert np.all(keras_lr.schedule_values(sched, firsts - 1) < 0.5)
    if t_mul == 2.0:  # integer starts: exactly the peak
        np.testing.assert_array_equal(keras_lr.schedule_values(sched, firsts), 1.0)


def test_constant_takes_a_python_int_step():
    assert float(keras_lr.Constant(0.01)(5)) == pytest.approx(0.01)


# --- applied rates, read back from the weights --------------------------------------------------

@pytest.mark.parametrize("steps_per_execution", sorted({1, SPE}))
def test_plateau_on_a_schedule_applies_the_reduced_rate_from_the_next_update(steps_per_execution):
    model, callbacks = S.plateau_scenario(steps_per_execution=steps_per_execution)
    rates = S.rates_per_update(model, callbacks)
    np.testing.assert_allclose(rates, S.expected_plateau_rates(), **RATES)


def test_plateau_on_a_float_rate():
    model = S.onehot_model(0.1)
    plateau = keras_lr.ReduceLROnPlateau("val_score", factor=0.5, patience=1, mode="min")
    rates = S.rates_per_update(model, [S.Inject(S.PLATEAU_SCORES), plateau])
    np.testing.assert_allclose(rates, [0.1] * 24 + [0.05] * 12, **RATES)


def test_a_users_factor_assignment_takes_effect_at_the_next_update():
    sched = keras_lr.Scaled(keras.optimizers.schedules.CosineDecay(0.1, 36))
    model = S.onehot_model(sched)
    keras_lr.attach(model.optimizer)

    class Halve(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            sched.factor.assign(0.5 ** (epoch + 1))

    rates = S.rates_per_update(model, [Halve()])
    expected = keras_lr.schedule_values(keras.optimizers.schedules.CosineDecay(0.1, 36), 36)
    expected *= np.repeat([1.0, 0.5, 0.25], 12)
    np.testing.assert_allclose(rates, expected, **RATES)


def test_a_scaled_factor_nobody_attached_trains_and_follows_an_assignment_mid_epoch():
    """Repros3 05 and 06: on JAX an uncarried factor is compiled in as its value, and an
    assignment (from a batch callback, mid-epoch) makes the optimizer carry it."""
    sched = keras_lr.Scaled(keras_lr.Constant(0.1), factor=0.5)
    model = S.onehot_model(sched)

    class Cool(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3 and float(keras.ops.convert_to_numpy(sched.factor)) == 0.5:
                sched.factor.assign(0.25)

    rates = S.rates_per_update(model, [Cool()], epochs=2)
    np.testing.assert_allclose(rates, [0.05] * 4 + [0.025] * 20, **RATES)
    assert float(keras.ops.convert_to_numpy(sched.factor)) == 0.25


def test_one_cycle_callback_rates():
    model, callbacks = S.one_cycle_scenario(steps_per_execution=SPE)
    np.testing.assert_allclose(S.rates_per_update(model, callbacks),
                               S.expected_one_cycle_rates(), **RATES)


# --- cycled momentum against NumPy re-implementations of Keras's optimizers ----------------------

X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
T = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
W0 = np.random.default_rng(2).normal(size=(3, 2)).astype("float32") * 0.5


def numpy_run(kind, lrs, momenta, weight_decay=0.0):
    """Full-batch MSE on a bias-free Dense, updated as Keras's optimizer does."""
    w = W0.astype("float64")
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    u_product = 1.0
    for t, (lr, mu) in enumerate(zip(lrs, momenta, strict=False)):
        g = 2.0 / T.size * X.T @ (X @ w - T)
        if kind == "sgd":
            m = mu * m - lr * g
            w = w + m
            continue
        if weight_decay:
            w = w - w * weight_decay * lr
        b2 = 0.999
        m = m + (g - m) * (1 - mu)
        v = v + (g * g - v) * (1 - b2)
        if kind == "nadam":
            u_t = mu * (1 - 0.5 * 0.96 ** (t + 1))
            u_t1 = mu * (1 - 0.5 * 0.96 ** (t + 2))
            u_product *= u_t
            m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
            v_hat = v / (1 - b2 ** (t + 1))
            w = w - lr * m_hat / (np.sqrt(v_hat) + 1e-7)
        else:
            alpha = lr * np.sqrt(1 - b2 ** (t + 1)) / (1 - mu ** (t + 1))
            w = w - alpha * m / (np.sqrt(v) + 1e-7)
    return w


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.5, momentum=0.9),
    "adam": lambda: keras.optimizers.Adam(0.5),
    "adamw": lambda: keras.optimizers.AdamW(0.5, weight_decay=0.1),
    "nadam": lambda: keras.optimizers.Nadam(0.5),
}


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
@pytest.mark.parametrize("callback", ["one_cycle", "cyclical"])
def test_cycled_momentum_matches_numpy(kind, callback):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    model.compile(OPTIMIZERS[kind](), loss="mse", steps_per_execution=SPE)
    model.set_weights([W0])
    updates = 12
    if callback == "one_cycle":
        cb = keras_lr.OneCycleScheduler(0.05, total_steps=updates)
        sched = keras_lr.OneCycle(0.05, updates)
        momenta = sched.momentum(np.arange(updates), 0.85, 0.95)
    else:
        cb = keras_lr.CyclicalScheduler(0.001, 0.05, step_size=3, cycle_momentum=True)
        sched = keras_lr.Cyclical(0.001, 0.05, step_size=3)
        momenta = sched.momentum(np.arange(updates), 0.8, 0.9)
    lrs = keras_lr.schedule_values(sched, updates)
    momenta = np.asarray(keras.ops.convert_to_numpy(momenta), "float64")
    model.fit(X, T, batch_size=8, epochs=updates, verbose=0, shuffle=False, callbacks=[cb])
    expected = numpy_run(kind, lrs, momenta, 0.1 if kind == "adamw" else 0.0)
    np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5, atol=1e-5)
    name = "momentum" if kind == "sgd" else "beta_1"
    assert getattr(model.optimizer, name) == 0.9  # the user's value is back after fit
    assert keras_lr.get_learning_rate(model.optimizer) == 0.5


@pytest.mark.slow
def test_a_new_cycle_callback_after_an_interrupted_fit_restores_the_users_settings():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(X, T, epochs=3, verbose=0, callbacks=[keras_lr.OneCycleScheduler(0.5),
                                                        Interrupt()])
    model.fit(X, T, epochs=2, verbose=0, callbacks=[keras_lr.OneCycleScheduler(0.5)])
    assert keras_lr.get_learning_rate(model.optimizer) == pytest.approx(0.1)
    assert model.optimizer.momentum == 0.9
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.1)


# --- save, reload in a fresh process, and the range test -----------------------------------------

@pytest.mark.slow
def test_reduced_schedule_saves_and_reloads_in_a_fresh_process(tmp_path):
    model, callbacks = S.plateau_scenario()
    S.rates_per_update(model, callbacks)
    path = str(tmp_path / "m.keras")
    model.save(path)
    out = S.run_python(f"""
        import warnings
        warnings.simplefilter("error", UserWarning)  # Keras warns when it skips optimizer state
        import keras, keras_lr
        model = keras.models.load_model({path!r})
        print(int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
              keras_lr.get_learning_rate(model.optimizer))
    """)
    iterations, rate = out.split()
    assert int(iterations) == 36
    assert float(rate) == pytest.approx(0.1 * 0.1 * 0.5, rel=1e-5)  # CosineDecay's floor, halved


def test_find_lr_restores_the_model_and_leaves_its_optimizer_alone():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(X, T, epochs=1, verbose=0)
    before = [np.array(v) for v in model.get_weights()]
    optimizer_before = [np.array(keras.ops.convert_to_numpy(v))
                        for v in model.optimizer.variables]
    result = keras_lr.find_lr(model, X, T, batch_size=4, num_steps=20, start_lr=1e-4, end_lr=1.0)
    assert len(result.losses) >= 2
    assert 0.99e-4 <= result.suggestion <= 1.0  # within the sweep (float32 rates)
    for a, b in zip(model.get_weights(), before, strict=False):
        np.testing.assert_array_equal(a, b)
    for v, b in zip(model.optimizer.variables, optimizer_before, strict=False):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(v), b)


def test_find_lr_reads_a_pydataset_and_a_generator():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return X[4 * i: 4 * i + 4], T[4 * i: 4 * i + 4]

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(1e-3), loss="mse")
    for data in (Batches(), ((X[:4], T[:4]) for _ in range(100))):
        result = keras_lr.find_lr(model, data, num_steps=10, start_lr=1e-4, end_lr=0.1)
        assert len(result.losses) == 10


@pytest.mark.skipif(BACKEND != "torch", reason="a DataLoader is the torch backend's input")
def test_find_lr_reads_a_torch_dataloader():
    import torch

    data = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(T))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(1e-3), loss="mse")
    result = keras_lr.find_lr(model, loader, num_steps=10, start_lr=1e-4, end_lr=0.1)
    assert len(result.losses) == 10


@pytest.mark.slow
@pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow is the backend there")
def test_nothing_imports_tensorflow(tmp_path):
    out = S.run_python(f"""
        import sys
        import numpy as np, keras, keras_lr
        x = np.eye(4, dtype="float32"); y = np.zeros((4, 1), "float32")
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(keras_lr.OneCycle(0.1, 8)), loss="mse")
        model.fit(x, y, epochs=2, verbose=0, callbacks=[
            keras_lr.ReduceLROnPlateau("loss", patience=0),
            keras_lr.LearningRateMonitor(log_dir={str(tmp_path)!r})])
        keras_lr.find_lr(model, x, y, num_steps=5)
        print("tensorflow" in sys.modules)
    """)
    assert out.split()[-1] == "False"
    assert any(p.name.startswith("events") for p in (tmp_path / "train").iterdir())


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution runs on JAX")
def test_data_parallel_on_two_devices_applies_the_same_updates_as_one():
    code = """
        import json, sys
        import numpy as np, keras, keras_lr
        sys.path.insert(0, ".")
        from tests import scenarios as S
        if len(keras.distribution.list_devices()) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        out = {}
        for name in ("schedule", "plateau", "one_cycle"):
            if name == "schedule":
                model, callbacks = S.onehot_model(
                    keras.optimizers.schedules.CosineDecay(0.1, 36), batch_size=2), []
            elif name == "plateau":
                model, callbacks = S.plateau_scenario(batch_size=2)
            else:
                model = S.onehot_model(0.5, batch_size=2)
                model.compile(keras.optimizers.SGD(0.5, momentum=0.9), loss="mae")
                callbacks = [keras_lr.OneCycleScheduler(0.1)]
            S.rates_per_update(model, callbacks, batch_size=2)
            out[name] = model.get_weights()[0].ravel().tolist()
        print(len(keras.distribution.list_devices()), json.dumps(out))
    """
    flags = "--xla_force_host_platform_device_count=2"
    one = S.run_python(code, env={"XLA_FLAGS": ""}).strip().splitlines()[-1].split(" ", 1)
    two = S.run_python(code, env={"XLA_FLAGS": flags}).strip().splitlines()[-1].split(" ", 1)
    assert (one[0], two[0]) == ("1", "2")
    import json

    one, two = json.loads(one[1]), json.loads(two[1])
    for name in one:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-6, atol=1e-7)


# --- repros 03 and 08 (../shared/repros) -------------------------------------------------------

def test_plateau_reduction_on_a_schedule_resumes_from_a_weights_only_backup(tmp_path):
    """BackupAndRestore stores weights only; set_state(get_state()) carries the factor."""

    class Preempt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("preempted")

    def run(plateau, extra):
        model = S.onehot_model(keras_lr.StepDecay(0.1, 1000, 0.5))
        backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
        rates = S.rates_per_update(model, [S.Inject([1.0] * 4), plateau, backup, *extra],
                                   epochs=4)
        return model, rates

    plateau = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    with pytest.raises(RuntimeError, match="preempted"):
        run(plateau, [Preempt()])
    state = plateau.get_state()
    assert state["scale_factors"] == [0.5]  # reduced at the end of epoch 1
    resumed = keras_lr.ReduceLROnPlateau("val_score", mode="min", factor=0.5, patience=1)
    resumed.set_state(state)
    _, rates = run(resumed, [])  # epochs 2 and 3, from the backup
    np.testing.assert_allclose(rates[:S.STEPS], 0.05, rtol=1e-5)  # not back at 0.1


def test_plateau_refuses_a_callable_rate_when_training_begins():
    model = S.onehot_model(0.1)
    model.compile(keras.optimizers.SGD(lambda: 0.1), loss="mae")
    plateau = keras_lr.ReduceLROnPlateau("loss", mode="min")
    with pytest.raises(TypeError, match="float learning rate or a LearningRateSchedule"):
        S.rates_per_update(model, [plateau], epochs=1)
