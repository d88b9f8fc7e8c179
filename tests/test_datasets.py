"""keras_lr.datasets.blobs: shapes, determinism, balance, and a task that is hard but learnable."""

import numpy as np
import pytest

from keras_lr import datasets


def ridge_probe_accuracy(x, y, x_val, y_val, penalty=1.0):
    """A linear classifier on raw pixels: one-vs-rest ridge regression, closed form."""
    a = np.c_[x.reshape(len(x), -1), np.ones(len(x))].astype("float64")
    w = np.linalg.solve(a.T @ a + penalty * np.eye(a.shape[1]), a.T @ np.eye(10)[y])
    a_val = np.c_[x_val.reshape(len(x_val), -1), np.ones(len(x_val))]
    return float(np.mean(np.argmax(a_val @ w, axis=1) == y_val))


def test_shapes_and_dtypes():
    x, y, x_val, y_val = datasets.blobs(50, 7, seed=3)
    assert x.shape == (50, 16, 16, 1) and x_val.shape == (7, 16, 16, 1)
    assert y.shape == (50,) and y_val.shape == (7,)
    assert x.dtype == np.float32 and x_val.dtype == np.float32
    assert y.dtype == np.int32 and y_val.dtype == np.int32
    assert set(np.unique(y)) <= set(range(10))
    assert np.all(np.isfinite(x))


def test_empty_splits():
    x, y, x_val, _ = datasets.blobs(0, 0)
    assert x.shape == (0, 16, 16, 1) and y.shape == (0,) and x_val.shape == (0, 16, 16, 1)


@pytest.mark.parametrize(("args", "name", "shown"), [
    ((-1, 5), "n_train", "-1"), ((5, 2.5), "n_val", "2.5"), ((5, 5, -3), "seed", "-3")])
def test_bad_arguments_are_named(args, name, shown):
    with pytest.raises(ValueError, match=f"Argument `{name}` must be .*Received: {name}={shown}"):
        datasets.blobs(*args)


def test_same_seed_same_arrays_other_seed_other_arrays():
    first, again, other = (datasets.blobs(40, 20, seed=s) for s in (1, 1, 2))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("n", [10, 57, 1000])
def test_classes_are_balanced(n):
    _, y, _, y_val = datasets.blobs(n, n, seed=0)
    for labels in (y, y_val):
        counts = np.bincount(labels, minlength=10)
        assert counts.max() - counts.min() <= 1 and counts.sum() == n
        assert not np.array_equal(labels, np.sort(labels))  # shuffled


def test_templates_differ_between_classes():
    # Averaging many noisy, shifted samples of a class leaves a smooth picture of its
    # template; two classes' averages must differ by far more than the noise left in them.
    x, y, _, _ = datasets.blobs(4000, 0, seed=0)
    means = np.stack([x[y == k].mean(axis=0).ravel() for k in range(10)])
    residual = 0.35 / np.sqrt(400)  # the pixel noise's standard deviation left in a mean
    gaps = [np.sqrt(np.mean((means[i] - means[j]) ** 2))
            for i in range(10) for j in range(i + 1, 10)]
    assert min(gaps) > 3 * residual


def test_learnable_but_not_linearly_trivial():
    x, y, x_val, y_val = datasets.blobs(3000, 1000, seed=0)
    accuracy = ridge_probe_accuracy(x, y, x_val, y_val)
    assert 0.2 < accuracy < 0.6  # far above chance (0.1), far below 1 for a linear probe
