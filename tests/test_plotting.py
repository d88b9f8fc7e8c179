"""Values for plotting, plots, and no side effects on import."""

import keras
import numpy as np
import pytest

import keras_lr
from tests import scenarios as S


def test_values_for_a_count_and_for_an_array():
    sched = keras_lr.StepDecay(1.0, 2, 0.5)
    np.testing.assert_array_equal(keras_lr.schedule_values(sched, 4), [1.0, 1.0, 0.5, 0.5])
    got = keras_lr.schedule_values(sched, np.array([10, 0]))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [2.0**-5, 1.0])


def test_values_of_a_schedule_that_does_not_vectorize():
    # Keras's CosineDecay with warmup uses ops.cond, which refuses a vector.
    sched = keras.optimizers.schedules.CosineDecay(0.0, 10, warmup_steps=4, warmup_target=1.0)
    np.testing.assert_allclose(keras_lr.schedule_values(sched, 5), [0, 0.25, 0.5, 0.75, 1.0],
                               rtol=1e-6)


def test_constant_broadcasts_to_the_steps():
    np.testing.assert_array_equal(keras_lr.schedule_values(keras_lr.Constant(0.5), 3), [0.5] * 3)


def test_plot_schedule_draws_the_values():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sched = keras_lr.OneCycle(1.0, 20)
    ax = keras_lr.plot_schedule(sched, 25)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(25))
    np.testing.assert_array_equal(line.get_ydata(), keras_lr.schedule_values(sched, 25))
    assert line.get_label() == "OneCycle"
    _fig, given = plt.subplots()
    assert keras_lr.plot_schedule(sched, [0, 5, 9], ax=given, label="mine") is given
    assert given.get_lines()[0].get_label() == "mine"
    plt.close("all")


@pytest.mark.slow
def test_import_has_no_side_effects_and_needs_matplotlib_only_for_a_plot(tmp_path):
    """In a new process without matplotlib: importing keras_lr (after Keras, so the schedules
    are imported and registered at once) changes no warning filter and writes no file; values
    work, and a plot asks for matplotlib."""
    # Keras itself may import matplotlib and set warning filters: snapshot after it.
    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "import warnings, keras; filters = list(warnings.filters); import keras_lr; "
        "assert warnings.filters == filters, 'warning filters changed'; "
        "assert 'keras_lr.schedules' in sys.modules, 'schedules not registered'; "
        "print(keras_lr.schedule_values(keras_lr.StepDecay(1.0, 1, 0.5), 3).tolist()); "
        "keras_lr.plot_schedule(keras_lr.Constant(0.1), 3)"
    )
    result = S.python("-c", code, cwd=tmp_path, timeout=300)
    assert "[1.0, 0.5, 0.25]" in result.stdout, result.stderr[-2000:]
    assert "plot_schedule needs matplotlib: pip install 'keras-lr[plot]'" in result.stderr
    assert list(tmp_path.iterdir()) == []
