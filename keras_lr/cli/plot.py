"""`keras-lr plot`: a schedule, from its class name and key=value arguments or a JSON config."""

import json
import pathlib

import keras

import keras_lr
from keras_lr.cli._common import UserError, existing, first_line, output_file, pyplot, save


def plot(args):
    output_file(args.output)
    if args.config:
        try:
            config = json.loads(pathlib.Path(existing(args.config)).read_text())
            schedule = keras.saving.deserialize_keras_object(config)
        except UserError:
            raise
        except Exception as error:
            reason = first_line(error)
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
    plt = pyplot()
    try:
        ax = keras_lr.plot_schedule(schedule, args.steps, label=label)
    except Exception as error:
        raise UserError(f"cannot evaluate {label}: {str(error).splitlines()[0]}") from None
    ax.set_title(label)
    save(ax.figure, args.output)
    plt.close("all")
    print(f"Wrote {args.output}")


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
