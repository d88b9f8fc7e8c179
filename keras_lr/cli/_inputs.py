"""The subcommands' data and models: read, checked against each other before any training.

Imports Keras (the subcommands import this module only once their arguments are checked).
"""


import keras
import numpy as np

from keras_lr import datasets, recipes
from keras_lr.cli._common import UserError, existing, first_line

BLOBS = "blobs"  # `--data blobs`: keras_lr.datasets.blobs and its conv net
BLOBS_SIZES = {False: (3000, 1000), True: (1000, 500)}  # (training, validation); by --quick
MAX_CLASSES = 10_000  # integer labels beyond this are ids or regression targets, not classes


def digits(seed):
    """`recipes.digits(seed)`; without scikit-learn, the one-line user error."""
    try:
        return recipes.digits(seed)
    except ImportError as error:
        raise UserError(str(error)) from None


def small_model(inputs, classes, activation="softmax"):
    """The MLP 128-64 that `compare` and `find` train when the user gives no model."""
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(classes, activation=activation, name="output"),
    ])


def load_model(path, compile=True):
    """A `.keras` model, or the one-line user error."""
    try:
        return keras.models.load_model(existing(path), compile=compile)
    except UserError:
        raise
    except Exception as error:
        raise UserError(f"{path}: not a Keras model file ({first_line(error)})") from None


def read_npz(path):
    """The arrays of a `.npz` file holding at least `x` and `y`, by name."""
    try:
        with np.load(existing(path)) as data:
            arrays = {k: data[k] for k in data.files}
    except UserError:
        raise
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or first_line(error)}") from None
    except Exception:
        raise UserError(f"{path}: not a .npz file (numpy.savez writes one)") from None
    if "x" not in arrays or "y" not in arrays:
        raise UserError(f"{path} must hold arrays named 'x' and 'y'")
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise UserError(f"{path}: {name} must hold numbers, got dtype {array.dtype}")
    return arrays


def user_model_and_data(model_path, data_path, batch_size):
    """A compiled model and its `x`, `y`, checked on one batch before any training."""
    model = load_model(model_path)
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise UserError(f"{model_path}: the model is not compiled; compile it with an "
                        "optimizer and a loss before saving it")
    arrays = read_npz(data_path)
    x, y = arrays["x"], arrays["y"]
    if len(x) == 0 or len(x) != len(y):
        raise UserError(f"{data_path}: x and y need the same number of rows, at least one "
                        f"(got {len(x)} and {len(y)})")
    n = min(len(x), batch_size)
    try:
        model.test_on_batch(x[:n], y[:n])
    except Exception as error:
        raise UserError(f"the model {model_path} does not fit the data {data_path}: "
                        f"{first_line(error)}") from None
    return model, x, y


def compare_data(args):
    """For `compare`: {"x", "y", "x_val", "y_val", "classes" (None: regression), "about",
    "builtin": (its name, a function making the model trained without `--model`)}."""
    if not args.data:
        x_tr, x_va, y_tr, y_va = digits(args.seed)
        return {"x": x_tr, "y": y_tr, "x_val": x_va, "y_val": y_va, "classes": 10,
                "about": "Digits (scikit-learn)", "builtin": _mlp(x_tr, 10)}
    if args.data == BLOBS:
        n_train, n_val = BLOBS_SIZES[bool(args.quick)]
        x_tr, y_tr, x_va, y_va = datasets.blobs(n_train, n_val, seed=args.seed)
        return {"x": x_tr, "y": y_tr, "x_val": x_va, "y_val": y_va, "classes": 10,
                "about": f"Blobs (keras_lr.datasets.blobs, {n_train} + {n_val} images)",
                "builtin": ("conv net (batch norm, 29k weights)", datasets.blobs_model)}
    arrays = read_npz(args.data)
    if ("x_val" in arrays) != ("y_val" in arrays):
        raise UserError(f"{args.data}: give both x_val and y_val, or neither")
    x, y = arrays["x"], arrays["y"]
    _same_rows(args.data, x, y, "x", "y", 2)
    if "x_val" in arrays:
        x_va, y_va = arrays["x_val"], arrays["y_val"]
        _same_rows(args.data, x_va, y_va, "x_val", "y_val", 1)
        for train, val, a, b in ((x, x_va, "x", "x_val"), (y, y_va, "y", "y_val")):
            if train.shape[1:] != val.shape[1:]:
                raise UserError(f"{args.data}: each row of {b} has shape {val.shape[1:]}, "
                                f"each row of {a} {train.shape[1:]}; they must match")
    else:  # a seeded 25 % split
        order = np.random.default_rng(args.seed).permutation(len(x))
        cut = max(1, len(x) // 4)
        x_va, y_va, x, y = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    classes = _classes(args.data, y, y_va) if y.dtype.kind in "iu" else None
    if not args.model:  # the MLP family reads flat float vectors
        x, x_va = (a.reshape(len(a), -1).astype("float32") for a in (x, x_va))
    return {"x": x, "y": y, "x_val": x_va, "y_val": y_va, "classes": classes,
            "about": args.data, "builtin": _mlp(x, classes)}


def _mlp(x, classes):
    """The MLP family's (name, maker) for flat inputs `x`; `classes` None: regression."""
    if classes is None:
        return "MLP 128-64", lambda: small_model(x.shape[1], 1, activation=None)
    return "MLP 128-64", lambda: small_model(x.shape[1], classes)


def _same_rows(path, x, y, a, b, least):
    if len(x) != len(y) or len(x) < least:
        raise UserError(f"{path}: {a} and {b} need the same number of rows, at least {least} "
                        f"(got {len(x)} and {len(y)})")


def _classes(path, y, y_val):
    """Integer labels: classes 0..C-1 (C >= 2), as `sparse_categorical_crossentropy` wants."""
    both = np.concatenate([y.ravel(), y_val.ravel()])
    low, high = int(both.min()), int(both.max())
    advice = "integer y means classes 0..C-1; for regression, save y as floats"
    if low < 0:
        raise UserError(f"{path}: y holds the label {low}; {advice}")
    if high >= MAX_CLASSES:
        raise UserError(f"{path}: y holds the label {high}, so {high + 1} classes (at most "
                        f"{MAX_CLASSES}); {advice}")
    if high == 0:
        raise UserError(f"{path}: y holds a single class (0); classification needs at least 2")
    return high + 1


def check_model(model, data, path):
    """One step on the first batches of the training and validation data, or the user error.

    Run on a throwaway model before any timed run: the model's output must fit the labels
    (and its loss), the validation data must fit the model.
    """
    for x, y, which in ((data["x"], data["y"], "data"), (data["x_val"], data["y_val"],
                                                           "validation data")):
        try:
            model.test_on_batch(x[:64], y[:64])
        except Exception as error:
            raise UserError(f"the model {path} does not fit the {which}: "
                            f"{first_line(error)}") from None
