"""Batches for the range test from whatever `fit` accepts, read again and again."""

import sys

import keras

__all__ = ["batches"]


def batches(x, y, sample_weight, batch_size):
    """The batches of `x`, read again and again; none at all if a pass yields none."""
    if reiterable(x):  # a tf.data.Dataset, a torch DataLoader: one pass per epoch
        while True:
            empty = True
            for batch in x:
                empty = False
                yield keras.utils.unpack_x_y_sample_weight(batch)
            if empty:
                return
    elif isinstance(x, keras.utils.PyDataset):
        while len(x):
            for i in range(len(x)):
                yield keras.utils.unpack_x_y_sample_weight(x[i])
            x.on_epoch_end()
    elif hasattr(x, "__next__"):
        for batch in x:
            yield keras.utils.unpack_x_y_sample_weight(batch)
    else:
        n = len(keras.tree.flatten(x)[0])
        batch_size = batch_size or 32
        pick = lambda data, a, b: keras.tree.map_structure(lambda v: v[a:b], data)  # noqa: E731
        while n:
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                yield (pick(x, start, stop), None if y is None else pick(y, start, stop),
                       None if sample_weight is None else pick(sample_weight, start, stop))


def reiterable(x):
    """A `tf.data.Dataset` or a `torch.utils.data.DataLoader` (checked without importing either)."""
    for module, name in (("tensorflow", "data.Dataset"), ("torch", "utils.data.DataLoader")):
        lib = sys.modules.get(module)
        if lib is not None:
            cls: object = lib
            for part in name.split("."):
                cls = getattr(cls, part, None)
            if isinstance(cls, type) and isinstance(x, cls):
                return True
    return False
