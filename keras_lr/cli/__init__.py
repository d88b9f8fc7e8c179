"""The `keras-lr` command: compare schedules on real data, run the range test, plot.

    keras-lr compare [--quick] [--schedules ...] [--optimizers ...] [--epochs N]
                     [--seed N] [--seeds N] [--lr LR | --tune]
                     [--data blobs|D.npz [--model M.keras]] [--output DIR]
    keras-lr find [--model M.keras --data D.npz] [--output PNG]
    keras-lr plot NAME key=value ... | --config FILE.json  [--steps N] [--output PNG]

User errors (an unknown name, a bad value, a missing or corrupt file, an
unusable output path, a model that does not fit the data) print one line and
exit with status 2, without a traceback, before any training starts. The
backend's start-up logs are hushed (`KERAS_LR_BACKEND_LOGS=1` shows them).

Here: the parser and `main`; one module per subcommand (`compare`, `find`, `plot`),
imported once the arguments are checked, so `--help` and a mistake in the arguments are
answered before the backend starts; `_common`, what they share without the backend;
`_inputs`, data and models. Schedules, optimizers and the digits data are `keras_lr.recipes`'s.
"""

import argparse
import importlib
import os
import sys

from keras_lr import _quiet
from keras_lr.cli import _common
from keras_lr.cli._common import (
    MAX_PLOT_STEPS,
    MAX_SEED,
    OPTIMIZERS,
    PEAKS,
    RECIPE_OPTIMIZERS,
    SCHEDULES,
    UserError,
    integer,
)

__all__ = ["UserError", "main", "parser", "small_model"]


def __getattr__(name):  # `small_model` needs Keras: imported on first use
    if name == "small_model":
        from keras_lr.cli._inputs import small_model

        return small_model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (its usage is in --help)."""

    def error(self, message):
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def parser():
    top = _Parser(prog="keras-lr", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compare", help="train one model under many schedules and optimizers",
                       description="Train a small MLP on scikit-learn's bundled digits (or a "
                       "batch-norm conv net on generated images: --data blobs) under "
                       "each schedule and optimizer (same budget and seed), print a ranked "
                       "table, write CSV, Markdown and PNG plots.")
    p.add_argument("--schedules", nargs="+", metavar="NAME",
                   help=f"from: {', '.join(SCHEDULES)} (default: all); `a b` or `a,b`")
    p.add_argument("--optimizers", nargs="+", metavar="NAME",
                   help=f"from: {', '.join(OPTIMIZERS)} (default: "
                   f"{', '.join(RECIPE_OPTIMIZERS)}; the others need Keras >= 3.15)")
    p.add_argument("--epochs", type=int, help="epochs per run (default 12; 3 with --quick)")
    p.add_argument("--seed", type=integer(0, MAX_SEED), default=0)
    p.add_argument("--target", type=float, default=0.95, help="accuracy for 'epochs to target'")
    p.add_argument("--output", default="keras-lr-compare", help="folder for tables and plots")
    p.add_argument("--quick", action="store_true",
                   help="3 schedules x 2 optimizers x 3 epochs (about 30 s)")
    p.add_argument("--lr", type=float,
                      help="one fixed peak rate for every optimizer (default: per optimizer, "
                      + ", ".join(f"{k} {v:g}" for k, v in PEAKS.items()) + ")")
    p.add_argument("--tune", action="store_true",
                      help="run the range test once per optimizer first and use its "
                      "suggestion as every schedule's peak rate")
    p.add_argument("--seeds", type=int, default=1,
                   help="runs per schedule and optimizer, seeds --seed, --seed+1, ...; with "
                   "N > 1 the table shows mean ± std")
    p.add_argument("--data", help="`blobs`: keras_lr.datasets.blobs, 10 classes of 16x16 "
                   "images (3000 training, 1000 validation; 1000 and 500 with --quick), "
                   "trained with its batch-norm conv net; or a .npz file with arrays x, y "
                   "(optional x_val, y_val): compare on your data (integer y: classes; float "
                   "y: regression; a file named blobs: ./blobs)")
    p.add_argument("--model", help="a .keras model to compare with instead of the built-in "
                   "one (needs --data; its saved weights are every run's start)")
    p.set_defaults(check=_common.check_compare)

    p = sub.add_parser("find", help="the LR range test, on digits or your model and data",
                       description="Run keras_lr.find_lr and save its plot.")
    p.add_argument("--model", help="a .keras model (compiled)")
    p.add_argument("--data", help="a .npz file with arrays x and y")
    p.add_argument("--optimizer", choices=RECIPE_OPTIMIZERS, default="sgd",
                   help="for the built-in digits model")
    p.add_argument("--batch-size", type=integer(1, 2**31 - 1), default=32)
    p.add_argument("--start-lr", type=float, default=1e-6)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--num-steps", type=integer(2, 2**31 - 1), default=100)
    p.add_argument("--seed", type=integer(0, MAX_SEED), default=0)
    p.add_argument("--output", default="lr_find.png")
    p.set_defaults(check=_common.check_find)

    p = sub.add_parser("plot", help="preview a schedule as a PNG",
                       description="Plot a keras-lr or Keras schedule from its class name and "
                       "key=value arguments (values read as JSON), or from a JSON config.")
    p.add_argument("name", nargs="?", help="a class name, e.g. OneCycle or CosineDecay")
    p.add_argument("arguments", nargs="*", metavar="key=value")
    p.add_argument("--config", help="a JSON file from keras.saving.serialize_keras_object")
    p.add_argument("--steps", type=integer(1, MAX_PLOT_STEPS), default=1000,
                   help=f"steps to plot, 1 to {MAX_PLOT_STEPS}")
    p.add_argument("--output", default="schedule.png")
    p.set_defaults(check=_common.check_plot)
    return top


def main(argv=None):
    """The `keras-lr` command on `argv` (default: `sys.argv[1:]`); returns the exit status.

    User errors print one line on stderr and return 2 (argparse's exit with status 2).
    """
    args = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        args.check(args)  # no backend yet
        if argv is None or _quiet.running_as_command():
            _quiet.quiet_startup()
        command = importlib.import_module(f"{__name__}.{args.command}")
        getattr(command, args.command)(args)
    except UserError as error:
        print(f"keras-lr {args.command}: {error}", file=sys.stderr)
        return 2
    return 0
