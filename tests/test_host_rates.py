"""The rate and cycled momentum looked up on the host (keras_lr/_host.py; PyTorch's step).

Tables of a schedule, evaluated a chunk of steps at a time, must give at every
step the float32 value of a call at that step (checked on every backend, as the
tables are plain `keras.ops`; bit for bit on PyTorch). On PyTorch every
update's rate and momentum read back from the weights must follow the
schedule, also after a user moves the update counter mid-fit, and the host
reads the counter and a factor back only after they were written. Imports no
TensorFlow.
"""

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import _host
from tests import scenarios as S

BACKEND = keras.backend.backend()
RATES = dict(rtol=1e-5, atol=1e-8)  # rates read back from float32 weights
KS = keras.optimizers.schedules
TOTAL = 2 * _host.CHUNK + 40


def step_dtype():
    return keras.optimizers.SGD(0.1).iterations.dtype


SCHEDULES = {
    "OneCycle": lambda: keras_lr.OneCycle(0.1, TOTAL),
    "OneCycle three-phase linear": lambda: keras_lr.OneCycle(
        0.1, TOTAL, anneal_strategy="linear", three_phase=True, pct_start=0.45),
    "Cyclical exp_range": lambda: keras_lr.Cyclical(0.01, 0.1, 37, policy="exp_range", gamma=0.99),
    "Shifted(OneCycle)": lambda: keras_lr.Shifted(keras_lr.OneCycle(0.1, TOTAL), -7),
    "PerUpdate(CosineDecay)": lambda: keras_lr.PerUpdate(KS.CosineDecay(0.1, TOTAL), 3),
    "CosineDecay": lambda: KS.CosineDecay(0.1, TOTAL, alpha=0.1),
    "CosineDecay with warmup": lambda: KS.CosineDecay(
        0.0, TOTAL, warmup_steps=50, warmup_target=0.1),
    "PiecewiseConstantDecay": lambda: KS.PiecewiseConstantDecay([100, 300], [0.1, 0.05, 0.01]),
}


def per_step(fn, steps):
    return [float(keras.ops.convert_to_numpy(fn(int(s)))) for s in steps]


def assert_same(got, want):
    """Bit for bit on PyTorch, where tables drive training; TensorFlow's and XLA's vectorized
    kernels may round a transcendental an ulp or two apart from their scalar ones."""
    if BACKEND == "torch":
        assert got == want
    else:
        np.testing.assert_allclose(got, want, rtol=5e-7, atol=0)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_table_gives_the_float32_value_of_a_call_at_each_step(name):
    schedule = SCHEDULES[name]()
    table = _host.Table(schedule, step_dtype())
    steps = [*range(0, 12), *range(_host.CHUNK - 3, _host.CHUNK + 3), *range(12, TOTAL, 23),
             TOTAL - 1, 5 * _host.CHUNK + 1]
    got = [table(s) for s in steps]
    assert_same(got, per_step(schedule, steps))
    assert all(isinstance(v, float) for v in got)


def test_a_table_of_the_momentum_curve_is_exact():
    schedule = keras_lr.OneCycle(0.1, TOTAL)
    curve = lambda step: schedule.momentum(step, 0.85, 0.95)  # noqa: E731
    steps = range(0, TOTAL, 11)
    assert_same([_host.Table(curve, step_dtype())(s) for s in steps], per_step(curve, steps))


def test_only_schedules_of_the_step_alone_are_tabulated():
    class Mine(KS.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

    for schedule in (keras_lr.OneCycle(0.1, 100), keras_lr.Shifted(KS.CosineDecay(0.1, 9), 2),
                     KS.ExponentialDecay(0.1, 10, 0.5), keras_lr.SequentialSchedule(
                         [keras_lr.Constant(0.1), keras_lr.StepDecay(0.1, 5, 0.5)], [10])):
        assert _host.pure(schedule), schedule
    variable = keras.Variable(0.1)
    for schedule in (keras_lr.Scaled(KS.CosineDecay(0.1, 9)), Mine(),
                     keras_lr.Shifted(Mine(), 2), KS.CosineDecay(variable, 9)):
        assert not _host.pure(schedule), schedule


# --- PyTorch: the values every update gets ------------------------------------------------------

torch_only = pytest.mark.skipif(BACKEND != "torch", reason="the host path is PyTorch's")


@pytest.fixture
def read_backs(monkeypatch):
    """How many times the host read a variable back from its tensor."""
    count = [0]
    original = _host.Mirror.read_back

    def counted(self, tensor):
        count[0] += 1
        return original(self, tensor)

    monkeypatch.setattr(_host.Mirror, "read_back", counted)
    return count


class MoveCounter(keras.callbacks.Callback):
    """Sets the optimizer's update counter to `to` before the first batch of epoch 1."""

    def __init__(self, to):
        super().__init__()
        self.to, self.epoch = to, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == 1 and batch == 0:
            self.model.optimizer.iterations.assign(self.to)


@torch_only
def test_the_rate_follows_the_counter_after_a_users_write_read_back_once(read_backs):
    model = S.onehot_model(0.5)
    cycle = keras_lr.OneCycleScheduler(0.1, pct_start=0.25, cycle_momentum=False)
    rates = S.rates_per_update(model, [cycle, MoveCounter(20)])
    steps = [*range(S.STEPS), *range(20, 20 + 2 * S.STEPS)]
    expected = keras_lr.schedule_values(keras_lr.OneCycle(0.1, 3 * S.STEPS, pct_start=0.25),
                                        steps)
    np.testing.assert_allclose(rates, expected, **RATES)
    assert read_backs[0] == 2  # at the first update and after the write; never per update


@torch_only
def test_a_reduced_factor_is_read_back_once_per_reduction(read_backs):
    model, callbacks = S.plateau_scenario()
    np.testing.assert_allclose(S.rates_per_update(model, callbacks),
                               S.expected_plateau_rates(), **RATES)
    assert read_backs[0] == 3  # the counter once; the factor at the start and after its cut


@torch_only
def test_cycled_momentum_under_gradient_accumulation_follows_real_updates():
    model = S.one_weight_model(keras.optimizers.SGD(0.1, momentum=0.9,
                                                    gradient_accumulation_steps=2))
    updates = 6
    cycle = keras_lr.OneCycleScheduler(0.1, total_steps=updates, pct_start=0.5)
    probe = S.WeightPerBatch()
    model.fit(np.ones((2 * updates, 1), "float32"), np.full((2 * updates, 1), -1e4, "float32"),
              batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[cycle, probe])
    schedule = keras_lr.OneCycle(0.1, updates, pct_start=0.5)
    lrs = keras_lr.schedule_values(schedule, updates)
    momenta = np.asarray(keras.ops.convert_to_numpy(
        schedule.momentum(np.arange(updates), 0.85, 0.95)), "float64")
    velocity, expected = 0.0, []
    for lr, mu in zip(lrs, momenta, strict=True):  # Keras's SGD: v = mu v - lr g; w += v
        velocity = mu * velocity - lr * 1.0
        expected.append(-velocity)
    moves = probe.moves()[1::2]  # the weight moves at every second micro-batch
    np.testing.assert_allclose(moves, expected, rtol=1e-5, atol=1e-8)


@torch_only
def test_attach_puts_a_plain_schedule_on_the_host(read_backs):
    schedule = KS.CosineDecay(0.1, 3 * S.STEPS, alpha=0.1)
    model = S.onehot_model(schedule)
    keras_lr.attach(model.optimizer)
    np.testing.assert_allclose(S.rates_per_update(model, []),
                               keras_lr.schedule_values(schedule, 3 * S.STEPS), **RATES)
    assert read_backs[0] == 1  # the counter, once
