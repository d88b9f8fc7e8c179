"""`keras-lr plot`: a schedule, from its class name and key=value arguments or a JSON config."""

import json
import pathlib

import keras

import keras_lr
from keras_lr.cli._common import UserError, existing, first_line, keyword, pyplot, save


def plot(args):
    """Run `plot` on arguments that `_common.check_plot` has checked."""
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
        cls = getattr(keras_lr, args.name)
        kwargs = dict(map(keyword, args.arguments))
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
