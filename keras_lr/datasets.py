"""Small generated tasks for benchmarks and `keras-lr compare`, made in NumPy (no download).

`blobs` is a 10-class image task on which the learning-rate schedule matters: a
large rate trains fast but stalls on the noise, and annealing it pays off. To
compare schedules on it from the command line, `keras-lr compare --data blobs` trains
`blobs_model()` on it; other sizes or a model of your own go through a `.npz` file:

```python
import numpy as np
from keras_lr import datasets

x, y, x_val, y_val = datasets.blobs(5000, 2000, seed=0)
np.savez("blobs.npz", x=x, y=y, x_val=x_val, y_val=y_val)
# keras-lr compare --data blobs.npz --model my_conv_net.keras
```
"""

from typing import TYPE_CHECKING, Any

import numpy as np

from keras_lr import _checks as check

if TYPE_CHECKING:
    import keras

__all__ = ["blobs", "blobs_model"]

SIZE = 16  # image side, pixels
CLASSES = 10
BLOBS_PER_CLASS = 3
SHIFT = 3  # samples move up to this many pixels each way
SCALES = (0.8, 1.2)  # and are rescaled about the centre by a factor in this range
NOISE = 0.35  # standard deviation of the added Gaussian pixel noise


def blobs(n_train: int, n_val: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Ten classes of 16x16 grey images, each class a random template of Gaussian blobs.

    Each class's template is a few Gaussian blobs at random places, widths and
    brightnesses (drawn once from `seed`). Each sample is its class's template
    translated by up to 3 pixels each way and rescaled by a factor in [0.8, 1.2]
    about the image centre, plus one distractor blob at a random place and
    Gaussian pixel noise (standard deviation 0.35). Classes are balanced (to
    within one sample) and shuffled. The same `seed` gives the same arrays.

    Args:
        n_train: The number of training samples, >= 0.
        n_val: The number of validation samples, >= 0.
        seed: The seed of the templates and of every sample, an integer >= 0.

    Returns:
        A tuple `(x_train, y_train, x_val, y_val)`: images as float32 arrays of
        shape `(n, 16, 16, 1)`, labels as int32 arrays of shape `(n,)` in 0..9.

    Raises:
        ValueError: If a count or the seed is negative or not an integer.

    Example:

    >>> x, y, x_val, y_val = blobs(100, 20, seed=0)
    >>> x.shape, x.dtype.name, y.shape, x_val.shape
    ((100, 16, 16, 1), 'float32', (100,), (20, 16, 16, 1))
    """
    n_train, n_val = check.integer("n_train", n_train), check.integer("n_val", n_val)
    rng = np.random.default_rng(check.integer("seed", seed))
    centres = rng.uniform(4.0, SIZE - 4.0, size=(CLASSES, BLOBS_PER_CLASS, 2))
    widths = rng.uniform(1.0, 2.2, size=(CLASSES, BLOBS_PER_CLASS))
    heights = rng.uniform(0.5, 1.0, size=(CLASSES, BLOBS_PER_CLASS))
    x_train, y_train = _samples(rng, n_train, centres, widths, heights)
    x_val, y_val = _samples(rng, n_val, centres, widths, heights)
    return x_train, y_train, x_val, y_val


def blobs_model() -> "keras.Sequential":
    """The batch-norm conv net that the benchmarks and `keras-lr compare` train on `blobs`.

    Four 3x3 convolutions (16, 32, 32, 48 filters), each followed by batch
    normalization and ReLU, max pooling after the first and third, global
    average pooling and a 10-way softmax: 28,794 weights. Not compiled.

    Returns:
        A `keras.Sequential` model taking `(n, 16, 16, 1)` images.

    Example:

    ```python
    x, y, x_val, y_val = keras_lr.datasets.blobs(3000, 1000)
    model = keras_lr.datasets.blobs_model()
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=128, epochs=4, validation_data=(x_val, y_val))
    ```
    """
    import keras  # only when a model is made: importing this module loads no backend

    def block(filters: int) -> list[Any]:
        return [keras.layers.Conv2D(filters, 3, padding="same", use_bias=False),
                keras.layers.BatchNormalization(), keras.layers.ReLU()]

    return keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        *block(16), keras.layers.MaxPooling2D(),
        *block(32), *block(32), keras.layers.MaxPooling2D(),
        *block(48), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(CLASSES, activation="softmax"),
    ])


def _samples(rng: np.random.Generator, n: int, centres: np.ndarray, widths: np.ndarray,
             heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = rng.permutation(np.arange(n) % CLASSES).astype("int32")
    shift = rng.integers(-SHIFT, SHIFT + 1, size=(n, 1, 2))
    scale = rng.uniform(*SCALES, size=(n, 1, 1))
    mid = (SIZE - 1) / 2
    c = mid + scale * (centres[y] - mid) + shift  # (n, blobs, 2)
    w = scale[..., 0] * widths[y]  # (n, blobs)
    h = heights[y]
    # One distractor blob per sample, anywhere, as bright as a template's blobs.
    c = np.concatenate([c, rng.uniform(2.0, SIZE - 2.0, size=(n, 1, 2))], axis=1)
    w = np.concatenate([w, rng.uniform(1.0, 2.2, size=(n, 1))], axis=1)
    h = np.concatenate([h, rng.uniform(0.5, 1.0, size=(n, 1))], axis=1)
    grid = np.arange(SIZE, dtype="float64")
    gy = np.exp(-((grid - c[..., 0:1]) ** 2) / (2 * w[..., None] ** 2))  # (n, blobs, SIZE)
    gx = np.exp(-((grid - c[..., 1:2]) ** 2) / (2 * w[..., None] ** 2))
    images = np.einsum("nb,nbi,nbj->nij", h, gy, gx)
    images += rng.normal(0.0, NOISE, size=images.shape)
    return images[..., None].astype("float32"), y
