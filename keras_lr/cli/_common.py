"""What the subcommands share: the one-line user error, checks of paths and files, data, models.

Every check here runs before any training, so a mistake costs the user no time.
"""

import argparse
import os
import pathlib
import re

import keras
import numpy as np

from keras_lr import recipes

MAX_PLOT_STEPS = 10**6  # a plot of more steps than this is refused (memory grows with it)
MAX_SEED = 2**32 - 1  # NumPy's seeds


class UserError(Exception):
    """A mistake in the command line: one line, exit status 2."""


def first_line(error):
    """The informative line of an error's message (Keras wraps it in a preamble), plain."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", li).strip() for li in str(error).splitlines()]
    lines = [li for li in lines if li] or [type(error).__name__]
    if lines[0].startswith("Exception encountered when calling") and len(lines) > 1:
        return lines[1][:300]
    return lines[0][:300]


def integer(low, high):
    """An argparse type: an integer in [low, high], else a one-line error."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low}, {high}], got {value}")
        return value

    parse.__name__ = "integer"
    return parse


# --- paths ----------------------------------------------------------------------------------------

def existing(path):
    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise UserError(f"{path} is not a file")
    return path


def output_file(path):
    """Check before any work that a plot can be written to `path`."""
    target = pathlib.Path(path)
    if target.is_dir():
        raise UserError(f"--output {path} is a folder; give a file such as {target / 'plot.png'}")
    folder = target.parent
    if not folder.is_dir():
        raise UserError(f"--output {path}: no such folder: {folder}")
    if not os.access(folder, os.W_OK):
        raise UserError(f"--output {path}: cannot write to the folder {folder}")
    plt = pyplot()
    formats = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if target.suffix and target.suffix[1:].lower() not in formats:
        raise UserError(f"--output {path}: unknown image format {target.suffix!r}; "
                        f"use one of: {', '.join(sorted(formats))}")
    return target


def output_folder(path):
    """The folder `path`, created if needed; checked before any work."""
    folder = pathlib.Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--output {path} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"--output {path}: cannot create the folder ({error.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"--output {path}: cannot write to the folder")
    return folder


# --- plots ----------------------------------------------------------------------------------------

def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise UserError("plots need matplotlib: pip install 'keras-lr[cli]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path):
    try:
        figure.savefig(path, dpi=100)
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or first_line(error)}") from None


# --- data and models ------------------------------------------------------------------------------

def digits(seed):
    """`recipes.digits(seed)`; without scikit-learn, the one-line user error."""
    try:
        return recipes.digits(seed)
    except ImportError as error:
        raise UserError(str(error)) from None


def small_model(inputs, classes, activation="softmax"):
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(classes, activation=activation),
    ])


def user_model_and_data(model_path, data_path, batch_size):
    """A compiled model and its `x`, `y`, checked on one batch before any training."""
    try:
        model = keras.models.load_model(existing(model_path))
    except UserError:
        raise
    except Exception as error:
        raise UserError(f"{model_path}: not a Keras model file ({first_line(error)})") from None
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise UserError(f"{model_path}: the model is not compiled; compile it with an "
                        "optimizer and a loss before saving it")
    try:
        with np.load(existing(data_path)) as data:
            if "x" not in data or "y" not in data:
                raise UserError(f"{data_path} must hold arrays named 'x' and 'y'")
            x, y = data["x"], data["y"]
    except UserError:
        raise
    except OSError as error:
        reason = error.strerror or first_line(error)
        raise UserError(f"cannot read {data_path}: {reason}") from None
    except Exception:
        raise UserError(f"{data_path}: not a .npz file (numpy.savez writes one)") from None
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
    """For `compare`: {"x", "y", "x_val", "y_val", "classes" (None: regression), "about"}."""
    if not args.data:
        x_tr, x_va, y_tr, y_va = digits(args.seed)
        return {"x": x_tr, "y": y_tr, "x_val": x_va, "y_val": y_va, "classes": 10,
                "about": "Digits (scikit-learn)"}
    try:
        with np.load(existing(args.data)) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError) as error:
        raise UserError(f"{args.data}: not a .npz file ({error})") from None
    if "x" not in arrays or "y" not in arrays:
        raise UserError(f"{args.data} must hold arrays named 'x' and 'y'")
    if ("x_val" in arrays) != ("y_val" in arrays):
        raise UserError(f"{args.data}: give both x_val and y_val, or neither")
    x, y = arrays["x"], arrays["y"]
    if len(x) != len(y) or len(x) < 2:
        raise UserError(f"{args.data}: x and y need the same length >= 2, got {len(x)} and "
                        f"{len(y)}")
    if "x_val" in arrays:
        x_va, y_va = arrays["x_val"], arrays["y_val"]
    else:  # a seeded 25 % split
        order = np.random.default_rng(args.seed).permutation(len(x))
        cut = max(1, len(x) // 4)
        x_va, y_va, x, y = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    whole = np.issubdtype(y.dtype, np.integer)
    classes = int(max(y.max(), y_va.max())) + 1 if whole else None
    if not args.model:  # the MLP family reads flat float vectors
        x, x_va = (a.reshape(len(a), -1).astype("float32") for a in (x, x_va))
    return {"x": x, "y": y, "x_val": x_va, "y_val": y_va, "classes": classes,
            "about": pathlib.Path(args.data).name}
