"""The `keras-lr` command: compare schedules on real data, run the range test, plot.

    keras-lr compare [--quick] [--schedules ...] [--optimizers ...] [--epochs N]
                     [--seed N] [--seeds N] [--lr LR | --tune] [--data D.npz [--model M.keras]]
                     [--output DIR]
    keras-lr find [--model M.keras --data D.npz] [--output PNG]
    keras-lr plot NAME key=value ... | --config FILE.json  [--steps N] [--output PNG]

User errors (an unknown name, a bad value, a missing or corrupt file, an
unusable output path, a model that does not fit the data) print one line and
exit with status 2, without a traceback, before any training starts. The
backend's start-up logs are hushed (`KERAS_LR_BACKEND_LOGS=1` shows them).
"""

import argparse
import csv
import json
import os
import pathlib
import re
import sys
import time

SCHEDULES = ("constant", "exponential", "step", "polynomial", "plateau", "restarts",
             "cyclical", "one-cycle", "wsd")
OPTIMIZERS = ("sgd", "adam", "adamw", "nadam")
QUICK = dict(schedules=("constant", "cyclical", "one-cycle"), optimizers=("sgd", "adam"),
             epochs=3)


class UserError(Exception):
    """A mistake in the command line: one line, exit status 2."""


MAX_PLOT_STEPS = 10**6  # a plot of more steps than this is refused (memory grows with it)
MAX_SEED = 2**32 - 1  # NumPy's seeds


def _first_line(error):
    """The informative line of an error's message (Keras wraps it in a preamble), plain."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", li).strip() for li in str(error).splitlines()]
    lines = [li for li in lines if li] or [type(error).__name__]
    if lines[0].startswith("Exception encountered when calling") and len(lines) > 1:
        return lines[1][:300]
    return lines[0][:300]


def _integer(low, high):
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


def _output_file(path):
    """Check before any work that a plot can be written to `path`."""
    target = pathlib.Path(path)
    if target.is_dir():
        raise UserError(f"--output {path} is a folder; give a file such as {target / 'plot.png'}")
    folder = target.parent
    if not folder.is_dir():
        raise UserError(f"--output {path}: no such folder: {folder}")
    if not os.access(folder, os.W_OK):
        raise UserError(f"--output {path}: cannot write to the folder {folder}")
    plt = _pyplot()
    formats = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if target.suffix and target.suffix[1:].lower() not in formats:
        raise UserError(f"--output {path}: unknown image format {target.suffix!r}; "
                        f"use one of: {', '.join(sorted(formats))}")
    return target


def _output_folder(path):
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


# --- data and models ------------------------------------------------------------------------------

def load_digits(seed):
    """scikit-learn's bundled 8x8 handwritten digits (no download), scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise UserError("the digits data needs scikit-learn: pip install 'keras-lr[cli]'") from None

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    return train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)


def small_model(inputs, classes, activation="softmax"):
    import keras

    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(classes, activation=activation),
    ])


def make_optimizer(name, learning_rate):
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "nadam": keras.optimizers.Nadam}[name]
    return cls(learning_rate)


def make_schedule(name, peak, steps_per_epoch, epochs):
    """(learning rate for the optimizer, callbacks) of a named schedule at `peak`."""
    import keras

    import keras_lr

    total = steps_per_epoch * epochs
    spe = steps_per_epoch
    if name == "constant":
        return peak, []
    if name == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(peak, spe, 0.85), []
    if name == "step":
        return keras_lr.PerEpoch(keras_lr.StepDecay(peak, max(1, epochs // 3), 0.3), spe), []
    if name == "polynomial":
        return keras.optimizers.schedules.PolynomialDecay(peak, total, peak / 100, power=2.0), []
    if name == "plateau":
        return peak, [keras_lr.ReduceLROnPlateau("val_loss", factor=0.3, patience=2)]
    if name == "restarts":
        return keras_lr.CosineWarmRestarts(peak, max(1, total // 7), t_mul=2.0), []
    if name == "cyclical":
        return peak, [keras_lr.CyclicalScheduler(peak / 10, peak, max(1, total // 6))]
    if name == "one-cycle":
        return peak, [keras_lr.OneCycleScheduler(peak)]
    warm = max(1, total // 10)  # "wsd"
    return keras_lr.WarmupStableDecay(peak, warm, total // 2, total - warm - total // 2), []


PEAKS = {"sgd": 0.05, "adam": 2e-3, "adamw": 2e-3, "nadam": 2e-3}


# --- compare --------------------------------------------------------------------------------------

def compare(args):
    schedules = _choose(args.schedules, SCHEDULES, "schedule")
    optimizers = _choose(args.optimizers, OPTIMIZERS, "optimizer")
    if args.epochs < 1:
        raise UserError(f"--epochs must be >= 1, got {args.epochs}")
    _check_compare_flags(args)
    out = _output_folder(args.output)

    import keras
    import numpy as np

    data = _compare_data(args)
    batch = 64
    steps = -(-len(data["x"]) // batch)
    peaks = _tuned_peaks(data, optimizers, args) if args.tune else {
        o: args.lr or PEAKS[o] for o in optimizers}
    seeds = [args.seed + i for i in range(args.seeds)]
    runs = [(s, o) for s in schedules for o in optimizers]
    bar = keras.utils.Progbar(len(runs) * len(seeds), unit_name="run")
    rows, curves = [], {}
    for schedule, optimizer in runs:
        results = []
        for seed in seeds:
            results.append(_compare_run(data, schedule, optimizer, peaks[optimizer], seed,
                                        steps, batch, args))
            bar.add(1, values=[("best val loss", results[-1]["best_val_loss"])])
        rows.append(_summarize(results, schedule, optimizer, peaks[optimizer]))
        curves[(schedule, optimizer)] = np.mean([r.pop("curve") for r in results], axis=0)
    rows.sort(key=lambda r: r["best_val_loss"])
    _write_tables(rows, out, args)
    _plot_compare(curves, schedules, optimizers, steps, args.epochs, out)
    print(_markdown(rows, args))
    print(f"\nWrote {out / 'results.csv'}, {out / 'results.md'}, {out / 'lr_curves.png'}, "
          f"{out / 'val_loss.png'}")


def _check_compare_flags(args):
    if args.seeds < 1:
        raise UserError(f"--seeds must be >= 1, got {args.seeds}")
    if args.lr is not None and not args.lr > 0:
        raise UserError(f"--lr must be > 0, got {args.lr}")
    if args.lr is not None and args.tune:
        raise UserError("give --lr (a fixed peak rate) or --tune (the range test's), not both")
    if args.model and not args.data:
        raise UserError("--model needs --data (a .npz file with arrays x and y)")


def _compare_data(args):
    """{"x", "y", "x_val", "y_val", "classes" (None: regression), "about"}."""
    import numpy as np

    if not args.data:
        x_tr, x_va, y_tr, y_va = load_digits(args.seed)
        return {"x": x_tr, "y": y_tr, "x_val": x_va, "y_val": y_va, "classes": 10,
                "about": "Digits (scikit-learn)"}
    try:
        with np.load(_existing(args.data)) as f:
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
    integer = np.issubdtype(y.dtype, np.integer)
    classes = int(max(y.max(), y_va.max())) + 1 if integer else None
    if not args.model:  # the MLP family reads flat float vectors
        x, x_va = (a.reshape(len(a), -1).astype("float32") for a in (x, x_va))
    return {"x": x, "y": y, "x_val": x_va, "y_val": y_va, "classes": classes,
            "about": pathlib.Path(args.data).name}


def _compare_model(data, args):
    """A fresh model: the user's (weights as saved) or the small MLP family."""
    import keras

    if args.model:
        try:
            return keras.models.load_model(_existing(args.model), compile=False)
        except (OSError, ValueError) as error:
            raise UserError(f"{args.model}: cannot load ({str(error).splitlines()[0]})") from None
    if data["classes"] is None:
        return small_model(data["x"].shape[1], 1, activation=None)
    return small_model(data["x"].shape[1], data["classes"])


def _compile(model, data, optimizer):
    classification = data["classes"] is not None
    model.compile(optimizer, loss="sparse_categorical_crossentropy" if classification else "mse",
                  metrics=["accuracy"] if classification else None)


def _tuned_peaks(data, optimizers, args):
    """The range test's suggestion per optimizer (find_lr's defaults), printed."""
    import keras

    import keras_lr

    peaks = {}
    for name in optimizers:
        keras.utils.set_random_seed(args.seed)
        model = _compare_model(data, args)
        _compile(model, data, make_optimizer(name, 0.01))
        result = keras_lr.find_lr(model, data["x"], data["y"], batch_size=64)
        peaks[name] = result.suggestion
    print(f"Peak rates from the range test ({result.method}): "
          + ", ".join(f"{name} {lr:.3g}" for name, lr in peaks.items()))
    return peaks


def _compare_run(data, schedule, optimizer, peak, seed, steps, batch, args):
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    lr, callbacks = make_schedule(schedule, peak, steps, args.epochs)
    model = _compare_model(data, args)
    _compile(model, data, make_optimizer(optimizer, lr))
    start = time.perf_counter()
    try:
        history = model.fit(data["x"], data["y"], batch_size=batch, epochs=args.epochs,
                            verbose=0, validation_data=(data["x_val"], data["y_val"]),
                            callbacks=callbacks).history
    except ValueError as error:  # the user's model does not fit the user's data
        raise UserError(f"cannot train on this data: {str(error).splitlines()[0]}") from None
    loss = np.array(history["val_loss"], dtype="float64")
    acc = np.array(history.get("val_accuracy", [np.nan] * len(loss)), dtype="float64")
    reached = np.nonzero(acc >= args.target)[0]
    return {"final_val_loss": float(loss[-1]), "best_val_loss": float(np.nanmin(loss)),
            "final_val_accuracy": float(acc[-1]), "best_val_accuracy": float(np.nanmax(acc))
            if np.isfinite(acc).any() else float("nan"),
            "epochs_to_target": int(reached[0]) + 1 if len(reached) else None,
            "seconds": time.perf_counter() - start, "curve": loss}


def _summarize(results, schedule, optimizer, peak):
    """One row: the run's values (one seed), or mean and std over the seeds."""
    import numpy as np

    row = {"schedule": schedule, "optimizer": optimizer, "peak_lr": float(f"{peak:.4g}")}
    keys = ("final_val_loss", "best_val_loss", "final_val_accuracy", "best_val_accuracy")
    reached = [r["epochs_to_target"] for r in results if r["epochs_to_target"] is not None]
    if len(results) == 1:
        row.update({k: results[0][k] for k in keys})
        row["epochs_to_target"] = reached[0] if reached else ""
        row["seconds"] = round(results[0]["seconds"], 2)
        return row
    for k in keys:
        values = np.array([r[k] for r in results])
        row[k], row[k + "_std"] = float(np.mean(values)), float(np.std(values))
    row["epochs_to_target"] = float(np.mean(reached)) if reached else ""
    row["epochs_to_target_std"] = float(np.std(reached)) if reached else ""
    row["seeds_reaching_target"] = f"{len(reached)}/{len(results)}"
    row["seconds"] = round(float(np.mean([r["seconds"] for r in results])), 2)
    return row


def _choose(given, known, what):
    chosen = list(given or known)
    for name in chosen:
        if name not in known:
            raise UserError(f"unknown {what} {name!r}; choose from: {', '.join(known)}")
    return chosen


def _markdown(rows, args):
    import numpy as np

    seeds = args.seeds > 1

    def cell(row, key, fmt):
        value = row[key]
        if value == "" or np.isnan(value):
            return "-"
        text = format(value, fmt)
        return f"{text} ± {format(row[key + '_std'], fmt)}" if seeds else text

    target = f"epochs to {args.target:g} acc" + (" (seeds reaching)" if seeds else "")
    head = ["rank", "schedule", "optimizer", "peak lr", "final val loss", "best val loss",
            "final val acc", "best val acc", target, "seconds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, r in enumerate(rows, 1):
        epochs = cell(r, "epochs_to_target", ".1f" if seeds else "")
        if seeds:
            epochs += f" ({r['seeds_reaching_target']})"
        lines.append(
            f"| {rank} | {r['schedule']} | {r['optimizer']} | {r['peak_lr']:.3g} | "
            f"{cell(r, 'final_val_loss', '.4f')} | {cell(r, 'best_val_loss', '.4f')} | "
            f"{cell(r, 'final_val_accuracy', '.4f')} | {cell(r, 'best_val_accuracy', '.4f')} | "
            f"{epochs} | {r['seconds']} |")
    return "\n".join(lines)


def _write_tables(rows, out, args):
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    model = args.model or "MLP 128-64"
    rates = "peak rates from the range test" if args.tune else "fixed peak rates"
    seeds = f"seed {args.seed}" if args.seeds == 1 else (
        f"seeds {args.seed}..{args.seed + args.seeds - 1} (mean ± std)")
    intro = (f"{args.data or 'Digits (scikit-learn)'}, {model}, batch 64, {args.epochs} epochs, "
             f"{rates}, {seeds}; ranked by best validation loss.\n\n")
    (out / "results.md").write_text(intro + _markdown(rows, args) + "\n")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise UserError("plots need matplotlib: pip install 'keras-lr[cli]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_compare(curves, schedules, optimizers, steps, epochs, out):
    import keras_lr

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in schedules:
        lr, callbacks = make_schedule(name, 1.0, steps, epochs)
        schedule = _effective_schedule(lr, callbacks, steps, epochs)
        keras_lr.plot_schedule(schedule, steps * epochs, ax=ax, label=name)
    ax.set_title("Learning rate per update (relative to the peak); plateau as if never reduced")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "lr_curves.png", dpi=100)
    fig, axes = plt.subplots(1, len(optimizers), figsize=(4.5 * len(optimizers), 4),
                             squeeze=False, sharey=True)
    for ax, optimizer in zip(axes[0], optimizers):
        for name in schedules:
            loss = curves[(name, optimizer)]
            ax.plot(range(1, len(loss) + 1), loss, label=name)
        ax.set_title(optimizer)
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
    axes[0][0].set_ylabel("validation loss")
    axes[0][-1].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "val_loss.png", dpi=100)
    plt.close("all")


def _effective_schedule(lr, callbacks, steps, epochs):
    """The schedule a callback would install, for the LR plot."""
    import keras_lr

    for callback in callbacks:
        if isinstance(callback, (keras_lr.OneCycleScheduler, keras_lr.CyclicalScheduler)):
            return callback.schedule_for(epochs, steps)
    return lr if not isinstance(lr, float) else keras_lr.Constant(lr)


# --- find -----------------------------------------------------------------------------------------

def find(args):
    import keras

    import keras_lr

    if (args.model is None) != (args.data is None):
        raise UserError("give both --model and --data, or neither (then: digits)")
    try:
        keras_lr.finder.check_arguments(start_lr=args.start_lr, end_lr=args.end_lr,
                                        num_steps=args.num_steps, batch_size=args.batch_size)
    except (ValueError, TypeError) as error:
        raise UserError(str(error)) from None
    _output_file(args.output)
    if args.model:
        model, x, y = _user_model_and_data(args.model, args.data, args.batch_size)
    else:
        keras.utils.set_random_seed(args.seed)
        x, _, y, _ = load_digits(args.seed)
        model = small_model(x.shape[1], 10)
        model.compile(make_optimizer(args.optimizer, 0.01),
                      loss="sparse_categorical_crossentropy")
    result = keras_lr.find_lr(model, x, y, batch_size=args.batch_size, start_lr=args.start_lr,
                              end_lr=args.end_lr, num_steps=args.num_steps)
    for name, lr in result.suggestions.items():
        print(f"{name:>9}: {lr:.3g}")
    plt = _pyplot()
    result.plot()
    _save(plt.gcf(), args.output)
    plt.close("all")
    print(f"Wrote {args.output}")


def _existing(path):
    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise UserError(f"{path} is not a file")
    return path


def _user_model_and_data(model_path, data_path, batch_size):
    """A compiled model and its `x`, `y`, checked on one batch before any training."""
    import keras
    import numpy as np

    try:
        model = keras.models.load_model(_existing(model_path))
    except UserError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the file holds, it is not a model
        raise UserError(f"{model_path}: not a Keras model file ({_first_line(error)})") from None
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise UserError(f"{model_path}: the model is not compiled; compile it with an "
                        "optimizer and a loss before saving it")
    try:
        with np.load(_existing(data_path)) as data:
            if "x" not in data or "y" not in data:
                raise UserError(f"{data_path} must hold arrays named 'x' and 'y'")
            x, y = data["x"], data["y"]
    except UserError:
        raise
    except OSError as error:
        reason = error.strerror or _first_line(error)
        raise UserError(f"cannot read {data_path}: {reason}") from None
    except Exception:  # noqa: BLE001 - a corrupt or foreign file
        raise UserError(f"{data_path}: not a .npz file (numpy.savez writes one)") from None
    if len(x) == 0 or len(x) != len(y):
        raise UserError(f"{data_path}: x and y need the same number of rows, at least one "
                        f"(got {len(x)} and {len(y)})")
    n = min(len(x), batch_size)
    try:
        model.test_on_batch(x[:n], y[:n])
    except Exception as error:  # noqa: BLE001 - shapes or dtypes that do not fit
        raise UserError(f"the model {model_path} does not fit the data {data_path}: "
                        f"{_first_line(error)}") from None
    return model, x, y


# --- plot -----------------------------------------------------------------------------------------

def plot(args):
    import keras

    import keras_lr

    _output_file(args.output)
    if args.config:
        try:
            config = json.loads(pathlib.Path(_existing(args.config)).read_text())
            schedule = keras.saving.deserialize_keras_object(config)
        except UserError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever the file holds, not a config
            reason = _first_line(error)
            raise UserError(f"{args.config}: not a schedule config ({reason})") from None
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            raise UserError(f"{args.config}: not a schedule config")
        label = type(schedule).__name__
    else:
        if not args.name:
            raise UserError("give a schedule name (e.g. OneCycle) or --config FILE.json")
        cls = getattr(keras_lr, args.name, None)
        if not (isinstance(cls, type)
                and issubclass(cls, keras.optimizers.schedules.LearningRateSchedule)):
            names = [n for n in keras_lr.__all__ if n[0].isupper() and issubclass(
                getattr(keras_lr, n), keras.optimizers.schedules.LearningRateSchedule)]
            raise UserError(f"unknown schedule {args.name!r}; choose from: {', '.join(names)}")
        kwargs = dict(map(_keyword, args.arguments))
        if not cls.__module__.startswith("keras_lr"):  # Keras's schedules want float rates
            kwargs = {k: _floats(v) if not k.endswith(("steps", "boundaries")) else v
                      for k, v in kwargs.items()}
        try:
            schedule = cls(**kwargs)
        except (ValueError, TypeError) as error:
            raise UserError(str(error)) from None
        label = args.name
    plt = _pyplot()
    try:
        ax = keras_lr.plot_schedule(schedule, args.steps, label=label)
    except Exception as error:  # noqa: BLE001 - any evaluation error is the user's input
        raise UserError(f"cannot evaluate {label}: {str(error).splitlines()[0]}") from None
    ax.set_title(label)
    _save(ax.figure, args.output)
    plt.close("all")
    print(f"Wrote {args.output}")


def _save(figure, path):
    try:
        figure.savefig(path, dpi=100)
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or _first_line(error)}") from None


def _floats(value):
    """Integers as floats (lists too): `initial_learning_rate=1` means 1.0."""
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _keyword(item):
    """`key=value`, the value read as JSON (a number, list, string, true/false), never eval'd."""
    key, sep, text = item.partition("=")
    if not sep or not key.isidentifier():
        raise UserError(f"expected key=value, got {item!r}")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text  # a bare word is a string: mode=triangular2


# --- entry point ----------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (its usage is in --help)."""

    def error(self, message):
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def parser():
    top = _Parser(prog="keras-lr", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compare", help="train one model under many schedules and optimizers",
                       description="Train a small MLP on scikit-learn's bundled digits under "
                       "each schedule and optimizer (same budget and seed), print a ranked "
                       "table, write CSV, Markdown and PNG plots.")
    p.add_argument("--schedules", nargs="+", metavar="NAME",
                   help=f"from: {', '.join(SCHEDULES)} (default: all)")
    p.add_argument("--optimizers", nargs="+", metavar="NAME",
                   help=f"from: {', '.join(OPTIMIZERS)} (default: all)")
    p.add_argument("--epochs", type=int, help="epochs per run (default 12; 3 with --quick)")
    p.add_argument("--seed", type=_integer(0, MAX_SEED), default=0)
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
    p.add_argument("--data", help="a .npz file with arrays x, y (optional x_val, y_val): "
                   "compare on your data (integer y: classes; float y: regression)")
    p.add_argument("--model", help="a .keras model to compare with instead of the MLP "
                   "(needs --data; its saved weights are every run's start)")
    p.set_defaults(run=compare)

    p = sub.add_parser("find", help="the LR range test, on digits or your model and data",
                       description="Run keras_lr.find_lr and save its plot.")
    p.add_argument("--model", help="a .keras model (compiled)")
    p.add_argument("--data", help="a .npz file with arrays x and y")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                   help="for the built-in digits model")
    p.add_argument("--batch-size", type=_integer(1, 2**31 - 1), default=32)
    p.add_argument("--start-lr", type=float, default=1e-6)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--num-steps", type=_integer(2, 2**31 - 1), default=100)
    p.add_argument("--seed", type=_integer(0, MAX_SEED), default=0)
    p.add_argument("--output", default="lr_find.png")
    p.set_defaults(run=find)

    p = sub.add_parser("plot", help="preview a schedule as a PNG",
                       description="Plot a keras-lr or Keras schedule from its class name and "
                       "key=value arguments (values read as JSON), or from a JSON config.")
    p.add_argument("name", nargs="?", help="a class name, e.g. OneCycle or CosineDecay")
    p.add_argument("arguments", nargs="*", metavar="key=value")
    p.add_argument("--config", help="a JSON file from keras.saving.serialize_keras_object")
    p.add_argument("--steps", type=_integer(1, MAX_PLOT_STEPS), default=1000,
                   help=f"steps to plot, 1 to {MAX_PLOT_STEPS}")
    p.add_argument("--output", default="schedule.png")
    p.set_defaults(run=plot)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "compare":
        quick = args.quick
        args.schedules = args.schedules or (list(QUICK["schedules"]) if quick else None)
        args.optimizers = args.optimizers or (list(QUICK["optimizers"]) if quick else None)
        if args.epochs is None:
            args.epochs = QUICK["epochs"] if quick else 12
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        args.run(args)
    except UserError as error:
        print(f"keras-lr {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
