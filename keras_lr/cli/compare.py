"""`keras-lr compare`: train one model under many schedules and optimizers, rank the runs.

The schedules and optimizers are `keras_lr.recipes`'s, each at a peak rate
per optimizer (`PEAKS`), one given with `--lr`, or the range test's (`--tune`). The user's
model (`--model`) trains with its own compiled loss (else the default for the labels).
Writes results.csv, results.md, lr_curves.png and val_loss.png.
"""

import csv
import math
import sys
import time
import warnings

import keras
import numpy as np

import keras_lr
from keras_lr import recipes
from keras_lr.cli import _inputs
from keras_lr.cli._common import PEAKS, UserError, first_line, output_folder, pyplot

BATCH = 64


def compare(args):
    """Run `compare` on arguments that `_common.check_compare` has checked."""
    optimizers = _available(args.optimizers)
    schedules = args.schedules
    out = output_folder(args.output)
    data = _inputs.compare_data(args)
    data["loss"] = _model_loss(args)
    _inputs.check_model(_compare_model(data, args, "sgd", 0.01, 0), data,
                        args.model or data["builtin"][0])
    steps = -(-len(data["x"]) // BATCH)
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
                                        steps, args))
            bar.add(1, values=[("best val loss", results[-1]["best_val_loss"])])
        rows.append(_summarize(results, schedule, optimizer, peaks[optimizer]))
        curves[(schedule, optimizer)] = np.mean([r.pop("curve") for r in results], axis=0)
    rows.sort(key=rank)
    _write_tables(rows, out, args, data)
    _plot_compare(curves, schedules, optimizers, steps, args.epochs, out)
    print(_markdown(rows, args))
    print(f"\nWrote {out / 'results.csv'}, {out / 'results.md'}, {out / 'lr_curves.png'}, "
          f"{out / 'val_loss.png'}")


def rank(row):
    """By best validation loss, increasing; runs without one (diverged: NaN) last."""
    best = row["best_val_loss"]
    return (math.isnan(best), best)


def _available(optimizers):
    """The optimizers this Keras has; a note for each it lacks."""
    missing = recipes.optimizer_problems(optimizers)
    for reason in dict.fromkeys(missing.values()):  # one line per reason, in order
        names = ", ".join(n for n, r in missing.items() if r == reason)
        print(f"keras-lr compare: note: skipping {names}: {reason}", file=sys.stderr)
    kept = [o for o in optimizers if o not in missing]
    if not kept:
        raise UserError("none of the optimizers given is in this Keras")
    return kept


def _model_loss(args):
    """The loss the user's model was compiled with; None: the default for the labels."""
    if not args.model:
        return None
    with warnings.catch_warnings():  # only the loss is kept, not the optimizer's saved state
        warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
        return getattr(_inputs.load_model(args.model), "loss", None)


def _compare_model(data, args, optimizer, lr, total_steps):
    """A fresh compiled model: the user's (weights as saved) or the data's built-in one."""
    model = (_inputs.load_model(args.model, compile=False) if args.model
             else data["builtin"][1]())
    classification = data["classes"] is not None
    default = "sparse_categorical_crossentropy" if classification else "mse"
    model.compile(recipes.optimizer(optimizer, lr, total_steps),
                  loss=data["loss"] or default, metrics=["accuracy"] if classification else None)
    return model


def _tuned_peaks(data, optimizers, args):
    """The range test's suggestion per optimizer (find_lr's defaults), printed."""
    peaks = {}
    for name in optimizers:
        keras.utils.set_random_seed(args.seed)
        model = _compare_model(data, args, name, 0.01, 0)  # no warmup
        result = keras_lr.find_lr(model, data["x"], data["y"], batch_size=BATCH)
        peaks[name] = result.suggestion
    print(f"Peak rates from the range test ({result.method}): "
          + ", ".join(f"{name} {lr:.3g}" for name, lr in peaks.items()))
    return peaks


def _compare_run(data, schedule, optimizer, peak, seed, steps, args):
    keras.utils.set_random_seed(seed)
    lr, callbacks = recipes.schedule(schedule, peak, args.epochs, steps)
    model = _compare_model(data, args, optimizer, lr, args.epochs * steps)
    start = time.perf_counter()
    try:
        history = model.fit(data["x"], data["y"], batch_size=BATCH, epochs=args.epochs,
                            verbose=0, validation_data=(data["x_val"], data["y_val"]),
                            callbacks=callbacks).history
    except ValueError as error:  # the user's model does not fit the user's data
        raise UserError(f"cannot train on this data: {first_line(error)}") from None
    loss = np.array(history["val_loss"], dtype="float64")
    acc = np.array(history.get("val_accuracy", [np.nan] * len(loss)), dtype="float64")
    reached = np.nonzero(acc >= args.target)[0]
    return {"final_val_loss": float(loss[-1]), "best_val_loss": _best(loss, np.nanmin),
            "final_val_accuracy": float(acc[-1]), "best_val_accuracy": _best(acc, np.nanmax),
            "epochs_to_target": int(reached[0]) + 1 if len(reached) else None,
            "seconds": time.perf_counter() - start, "curve": loss}


def _best(values, pick):
    """`pick` over the epochs that have a value; NaN if none has (a run that diverged)."""
    return float(pick(values)) if not np.isnan(values).all() else float("nan")


def _summarize(results, schedule, optimizer, peak):
    """One row: the run's values (one seed), or mean and std over the seeds."""
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


def _markdown(rows, args):
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


def _write_tables(rows, out, args, data):
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    model = args.model or data["builtin"][0]
    rates = "peak rates from the range test" if args.tune else "fixed peak rates"
    seeds = f"seed {args.seed}" if args.seeds == 1 else (
        f"seeds {args.seed}..{args.seed + args.seeds - 1} (mean ± std)")
    intro = (f"{data['about']}, {model}, batch 64, {args.epochs} epochs, "
             f"{rates}, {seeds}; ranked by best validation loss.\n\n")
    (out / "results.md").write_text(intro + _markdown(rows, args) + "\n")


def _plot_compare(curves, schedules, optimizers, steps, epochs, out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in schedules:
        lr, callbacks = recipes.schedule(name, 1.0, epochs, steps)
        schedule = _effective_schedule(lr, callbacks, steps, epochs)
        keras_lr.plot_schedule(schedule, steps * epochs, ax=ax, label=name)
    ax.set_title("Learning rate per update (relative to the peak); plateau as if never reduced")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "lr_curves.png", dpi=100)
    fig, axes = plt.subplots(1, len(optimizers), figsize=(4.5 * len(optimizers), 4),
                             squeeze=False, sharey=True)
    for ax, optimizer in zip(axes[0], optimizers, strict=False):
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
    for callback in callbacks:
        if isinstance(callback, (keras_lr.OneCycleScheduler, keras_lr.CyclicalScheduler)):
            return callback.schedule_for(epochs, steps)
    return lr if not isinstance(lr, float) else keras_lr.Constant(lr)

