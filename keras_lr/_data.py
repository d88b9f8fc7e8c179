"""Batches for the range test from whatever `fit` accepts, read again and again.

Whole batches only, as fastai's `lr_find` reads them (its training loader drops the
last partial batch): every batch has the first one's size, so the range test's one
train function is traced once. With arrays, the rows past the last whole batch of
`batch_size` are not read (all of them form one batch when there are fewer); from a
`tf.data.Dataset`, `PyDataset`, `DataLoader` or generator, a batch whose size differs
from the first one's is skipped.
"""

import sys

import keras

__all__ = ["batches", "size"]


def size(batch):
    """The number of rows of a batch `(x, y, sample_weight)`."""
    return int(keras.tree.flatten(batch[0])[0].shape[0])


def batches(x, y, sample_weight, batch_size):
    """The whole batches of `x`, read again and again; none at all if a pass yields none."""
    first = None
    for batch in _all_batches(x, y, sample_weight, batch_size):
        rows = size(batch)
        first = rows if first is None else first
        if rows == first:
            yield batch


def _all_batches(x, y, sample_weight, batch_size):
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
        batch_size = min(batch_size or 32, n)
        pick = lambda data, a, b: keras.tree.map_structure(lambda v: v[a:b], data)  # noqa: E731
        while n:
            for start in range(0, n - batch_size + 1, batch_size):  # whole batches only
                stop = start + batch_size
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
