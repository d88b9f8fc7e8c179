"""What the subcommands share, without a backend: the one-line user error, names, paths, plots.

Nothing here imports Keras, so `--help` and a mistake in the arguments are answered at once
(`_inputs` holds the checks that need the backend). Every check runs before any training.
"""

import argparse
import json
import os
import pathlib
import re
from typing import Any

from keras_lr import recipes  # its names only: it imports Keras when it builds something

MAX_PLOT_STEPS = 10**6  # a plot of more steps than this is refused (memory grows with it)
MAX_SEED = 2**32 - 1  # NumPy's seeds
SCHEDULES = recipes.schedule_names()
OPTIMIZERS = recipes.optimizer_names()
# Keras 3.15's optimizers that need no schedule (or do their own): opt-in in `compare`.
NEWER_OPTIMIZERS = tuple(recipes.NEEDS_KERAS_3_15)
RECIPE_OPTIMIZERS = tuple(n for n in OPTIMIZERS if n not in NEWER_OPTIMIZERS)
# The peak rate per optimizer. ScheduleFreeAdamW: 5 × Adam's, the middle of the 1-10 × that
# its authors advise (facebookresearch/schedule_free README); Muon scales its update to AdamW's
# RMS (`rms_rate`), so AdamW's rate carries over. `--tune` measures them instead.
PEAKS = {"sgd": 0.05, "adam": 2e-3, "adamw": 2e-3, "nadam": 2e-3, "schedulefree": 0.01,
         "schedulefree-warmup": 0.01, "muon": 2e-3}
QUICK: dict[str, Any] = {"schedules": ("constant", "cyclical", "one-cycle"),
                         "optimizers": ("sgd", "adam"), "epochs": 3}


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


# --- the arguments, checked before the backend starts --------------------------------------------

def check_compare(args):
    """`compare`'s flags: names, counts and rates; fills in `--quick`'s and the defaults."""
    if args.quick:
        args.schedules = args.schedules or list(QUICK["schedules"])
        args.optimizers = args.optimizers or list(QUICK["optimizers"])
    if args.epochs is None:
        args.epochs = QUICK["epochs"] if args.quick else 12
    args.schedules = choose(args.schedules, SCHEDULES, "schedule")
    args.optimizers = choose(args.optimizers, OPTIMIZERS, "optimizer")
    if args.epochs < 1:
        raise UserError(f"--epochs must be >= 1, got {args.epochs}")
    if args.seeds < 1:
        raise UserError(f"--seeds must be >= 1, got {args.seeds}")
    if args.lr is not None and not args.lr > 0:
        raise UserError(f"--lr must be > 0, got {args.lr}")
    if args.lr is not None and args.tune:
        raise UserError("give --lr (a fixed peak rate) or --tune (the range test's), not both")
    if args.model and not args.data:
        raise UserError("--model needs --data (a .npz file with arrays x and y)")


def choose(given, known, what):
    """`given` (None: every known name, in order) with each name checked."""
    if given is None:
        return [name for name in known if name not in NEWER_OPTIMIZERS]  # opt-in, as --help says
    chosen = []
    for text in given:  # `a b` and `a,b` alike
        for name in filter(None, text.split(",")):
            if name not in known:
                raise UserError(f"unknown {what} {name!r}; choose from: {', '.join(known)}")
            if name not in chosen:
                chosen.append(name)
    return chosen


def check_find(args):
    if (args.model is None) != (args.data is None):
        raise UserError("give both --model and --data, or neither (then: digits)")
    output_file(args.output)


def check_plot(args):
    """The output path; a schedule's name, one of keras_lr's (known without importing them)."""
    output_file(args.output)
    if args.config or not args.name:
        if not args.config:
            raise UserError("give a schedule name (e.g. OneCycle) or --config FILE.json")
        return
    names = schedule_classes()
    if args.name not in names:
        raise UserError(f"unknown schedule {args.name!r}; choose from: {', '.join(names)}")
    for item in args.arguments:
        keyword(item)


def schedule_classes():
    """The schedule classes `keras_lr` exports (its own and Keras's), by name."""
    from keras_lr import _SOURCES, __all__  # the package's table of its lazy names

    return [name for name in __all__ if name[0].isupper()
            and _SOURCES.get(name) in ("keras_lr.schedules", "keras.optimizers.schedules")]


def keyword(item):
    """`key=value`, the value read as JSON (a number, list, string, true/false), never eval'd."""
    key, sep, text = item.partition("=")
    if not sep or not key.isidentifier():
        raise UserError(f"expected key=value, got {item!r}")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text  # a bare word is a string: mode=triangular2
