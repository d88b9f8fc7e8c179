"""`keras-lr find`: the LR range test (`keras_lr.find_lr`), on digits or your model and data."""

import keras

import keras_lr
from keras_lr import recipes
from keras_lr.cli._common import UserError, pyplot, save
from keras_lr.cli._inputs import digits, small_model, user_model_and_data


def find(args):
    """Run `find` on arguments that `_common.check_find` has checked."""
    try:
        keras_lr.finder.check_arguments(start_lr=args.start_lr, end_lr=args.end_lr,
                                        num_steps=args.num_steps, batch_size=args.batch_size)
    except (ValueError, TypeError) as error:
        raise UserError(str(error)) from None
    if args.model:
        model, x, y = user_model_and_data(args.model, args.data, args.batch_size)
    else:
        keras.utils.set_random_seed(args.seed)
        x, _, y, _ = digits(args.seed)
        model = small_model(x.shape[1], 10)
        model.compile(recipes.optimizer(args.optimizer, 0.01),
                      loss="sparse_categorical_crossentropy")
    result = keras_lr.find_lr(model, x, y, batch_size=args.batch_size, start_lr=args.start_lr,
                              end_lr=args.end_lr, num_steps=args.num_steps)
    for name, lr in result.suggestions.items():
        print(f"{name:>9}: {lr:.3g}")
    plt = pyplot()
    result.plot()
    save(plt.gcf(), args.output)
    plt.close("all")
    print(f"Wrote {args.output}")
