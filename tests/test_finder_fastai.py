"""`valley`, `minimum` and `balanced` equal fastai's on sweeps that end in NaN, Inf, divergence
or not at all; a NaN/Inf at any batch gives a result or a clear error (issue 17).

The oracle re-implements fastai's `Learner.lr_find` in NumPy from its source
(fastai/fastai, fastai/callback/schedule.py: `LRFinder`, `lr_find`, `valley`, `minimum`;
fastai/learner.py: `Recorder.after_batch`, `AvgSmoothLoss`):

- `AvgSmoothLoss`: `val = torch.lerp(loss, val, beta)`, `value = val / (1 - beta**count)`;
  torch's `lerp` with weight >= 0.5 computes `end - (end - start) * (1 - weight)`, so an
  Inf loss gives an Inf (not a NaN) smoothed value.
- `Recorder.after_batch` (order 50) records the smoothed loss before `LRFinder.after_batch`
  (order 60) updates `best_loss` and stops when `smooth_loss > 4 * best_loss` or after
  `num_it` batches. A NaN never compares greater, so after a NaN fastai runs on to `num_it`
  (the weights are NaN: every later loss is NaN).
- `lr_find` keeps `recorder.losses[num_it//10:-5]`, cuts it at its first NaN, and calls the
  suggestion functions on it; `minimum` is `lrs[losses.argmin()] / 10`.
"""

import math

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import suggest
from tests import oracles


def fastai_lr_find(lrs, raw, num_it, beta=0.98):
    """fastai's (valley, minimum) on the raw batch losses `raw` at rates `lrs` (see above)."""
    recorded, val, best = [], 0.0, math.inf
    for i in range(num_it):
        loss = raw[i] if i < len(raw) else math.nan  # NaN weights after a NaN loss
        with np.errstate(invalid="ignore"):
            val = val - (val - loss) * (1 - beta)  # torch.lerp(loss, val, beta)
        smoothed = val / (1 - beta ** (i + 1))
        recorded.append(smoothed)
        best = min(best, smoothed) if not math.isnan(smoothed) else best
        if smoothed > 4 * best:
            break
    window_lrs, window = oracles.fastai_window(lrs, recorded, num_it)
    if not window:  # fastai fails (IndexError); keras-lr's documented fallback: every finite point
        finite = [i for i, s in enumerate(recorded) if math.isfinite(s)]
        finite = finite[: next((k for k, i in enumerate(finite) if i != k), len(finite))]
        window_lrs, window = list(lrs[: len(finite)]), recorded[: len(finite)]
    valley = window_lrs[oracles.fastai_valley_index(window)]
    return valley, window_lrs[int(np.argmin(window))] / 10


def curve(num_steps=100, seed=0, bottom=0.7):
    """A range-test-like raw loss: flat, falling, bottoming out at `bottom` of the way, rising."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, num_steps)
    clean = 2.0 - 1.5 * np.clip((t - 0.2) / (bottom - 0.2), 0, 1) ** 1.5
    clean += np.where(t > bottom, 30 * (t - bottom) ** 2, 0)
    return clean * np.exp(0.05 * rng.normal(size=num_steps))


LRS = np.logspace(-7, 1, 100)


def test_a_curve_cut_by_a_nan_keeps_fastais_points():
    """The finite part of a sweep cut by a NaN at update 60 of 100: fastai keeps [10:60]
    (50 points, strictly falling): max_start = 49 - 50 = -1, s = 50/3, -1 + 16 + 8 = 23."""
    found = suggest.suggest_all(LRS[:60], np.linspace(3, 1, 60), 100)
    assert found["valley"] == LRS[10 + 23] == LRS[33]
    assert found["minimum"] == LRS[59] / 10
    assert found["balanced"] == pytest.approx(math.sqrt(LRS[33] * LRS[59] / 10), rel=1e-12)
    # stopped by divergence instead (fastai's recorder holds the 60 points): [10:55]
    assert suggest.suggest_all(LRS[:60], np.linspace(3, 1, 60), 100, recorded=60)["valley"] \
        == LRS[10 + 21]


@pytest.mark.parametrize("end", ["nan", "inf", "diverged", "complete"])
@pytest.mark.parametrize("at", [3, 12, 40, 71, 93, 97])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_valley_minimum_balanced_equal_fastais(end, at, seed):
    raw = curve(seed=seed, bottom=0.7 if end == "diverged" else 1.0)  # rising only if diverged
    if end in ("nan", "inf"):
        raw[at] = math.nan if end == "nan" else math.inf
    elif end == "diverged":
        raw[at:] *= np.linspace(1, 100, 100 - at)  # leaves 4x its best some updates later
    smoothed = suggest.smooth(raw[:at] if end in ("nan", "inf") else raw)
    stop = next((i for i in range(1, len(smoothed))
                 if suggest.diverged(smoothed[i], smoothed[:i].min(), 4.0)), None)
    assert (stop is None) == (end != "diverged")
    raw = raw[: (at if end in ("nan", "inf") else stop or 99) + 1]  # what find_lr records
    valley, minimum = fastai_lr_find(LRS, raw, 100)
    smoothed, found = suggest.from_sweep(LRS, raw, 100)
    assert found["valley"] == valley
    assert found["minimum"] == minimum
    assert found["balanced"] == math.sqrt(valley * minimum)
    assert np.isnan(smoothed[-1]) == (end in ("nan", "inf"))


def test_the_first_loss_not_finite_is_an_error_not_a_crash():
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite first loss"):
            suggest.from_sweep(LRS, [bad], 100)


def data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1))).astype("float32")
    return x, y


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), loss="mse")
    return model


def test_a_nan_in_the_first_batch_is_a_clear_error():
    """Issue 17's repro: an IndexError before."""
    x, y = data()
    y[:16] = np.nan
    model = small_model()
    before = [np.array(v) for v in model.get_weights()]
    with pytest.raises(ValueError, match="loss of the first batch is nan"):
        keras_lr.find_lr(model, x, y, batch_size=16, num_steps=20, refine=False)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("batch", [1, 9])
def test_a_nan_or_inf_later_stops_the_sweep_with_fastais_suggestions(bad, batch):
    x, y = data()
    y[16 * batch: 16 * batch + 16] = bad
    model = small_model()
    result = keras_lr.find_lr(model, x, y, batch_size=16, num_steps=60, refine=False)
    assert result.stopped_early and len(result.losses) == batch + 1
    assert not np.isfinite(result.losses[-1]) and np.isfinite(result.losses[:-1]).all()
    assert np.isfinite(result.suggestion) and result.suggestion > 0
    if batch == 9:  # past fastai's window start (60 // 10): fastai's own numbers
        lrs = np.concatenate([result.lrs, np.full(60 - len(result.lrs), np.nan)])  # unread
        valley, minimum = fastai_lr_find(lrs, result.losses, 60)
        assert (result.suggestions["valley"], result.suggestions["minimum"]) == (valley, minimum)
    refined = keras_lr.find_lr(model, x, y, batch_size=16, num_steps=60)
    assert refined.method == "refined" and np.isfinite(refined.suggestion)
