"""Ops that each schedule and callback adds to the traced train step, by model size.

The train step of a small MLP (4 trainable variables) and of a deeper one
(22) is traced with `tf.function(model.train_step)` after each callback has
installed what it installs for a `fit` (its `on_train_begin` and first
`on_epoch_begin`), and its compute ops are counted as in `op_count.py`
(nodes other than Const/Identity/Placeholder/NoOp, nested function bodies
included), not counting ReadVariableOp either: with a float rate Keras reads
the rate variable once per model variable, which a schedule does not, so
reads would make every schedule look cheaper on larger models. The table
shows what each adds over a constant float rate; a mechanism that costs ops
per variable shows a larger number at 22 variables.

    python benchmarks/step_ops.py [--quick]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf
from op_count import FREE

import keras_lr

KS = keras.optimizers.schedules


def model_with(layers, optimizer):
    model = keras.Sequential([keras.Input((8,))]
                             + [keras.layers.Dense(8, activation="relu") for _ in range(layers - 1)]
                             + [keras.layers.Dense(1)])
    model.compile(optimizer, loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def step_ops(model, callbacks):
    for callback in callbacks:
        callback.set_model(model)
        callback.set_params({"epochs": 2, "steps": 50, "verbose": 0})
        callback.on_train_begin()
        callback.on_epoch_begin(0)
    data = (tf.TensorSpec([None, 8], tf.float32), tf.TensorSpec([None, 1], tf.float32))
    graph = tf.function(model.train_step).get_concrete_function(data).graph.as_graph_def()
    nodes = list(graph.node)
    for function in graph.library.function:
        nodes.extend(function.node_def)
    for callback in callbacks:
        callback.on_train_end()
    return sum(node.op not in FREE | {"ReadVariableOp"} for node in nodes)


def cases():
    sgd = lambda lr: keras.optimizers.SGD(lr, momentum=0.9)  # noqa: E731
    adam = keras.optimizers.Adam
    return [
        # (name, optimizer factory, learning rate factory, callbacks factory)
        ("SGD: Keras CosineDecay", sgd, lambda: KS.CosineDecay(0.1, 1000), list),
        ("SGD: OneCycle schedule", sgd, lambda: keras_lr.OneCycle(0.1, 1000), list),
        ("SGD: ReduceLROnPlateau on CosineDecay", sgd, lambda: KS.CosineDecay(0.1, 1000),
         lambda: [keras_lr.ReduceLROnPlateau()]),
        ("SGD: OneCycleScheduler, momentum cycled", sgd, lambda: 0.1,
         lambda: [keras_lr.OneCycleScheduler(0.1)]),
        ("SGD: OneCycleScheduler, rate only", sgd, lambda: 0.1,
         lambda: [keras_lr.OneCycleScheduler(0.1, cycle_momentum=False)]),
        ("SGD: CyclicalScheduler, momentum cycled", sgd, lambda: 0.1,
         lambda: [keras_lr.CyclicalScheduler(0.01, 0.1, 10, cycle_momentum=True)]),
        ("Adam: OneCycleScheduler, beta_1 cycled", adam, lambda: 0.1,
         lambda: [keras_lr.OneCycleScheduler(0.1)]),
        ("Adam: OneCycleScheduler + ReduceLROnPlateau", adam, lambda: 0.1,
         lambda: [keras_lr.OneCycleScheduler(0.1), keras_lr.ReduceLROnPlateau()]),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three cases only")
    args = parser.parse_args()
    sizes = (2, 11)  # 4 and 22 trainable variables
    chosen = cases()[:3] if args.quick else cases()
    base = {}
    print("| setting | added ops, 4 variables | added ops, 22 variables |")
    print("|---|---:|---:|")
    for name, make_optimizer, make_lr, make_callbacks in chosen:
        added = []
        for layers in sizes:
            key = (make_optimizer, layers)
            if key not in base:
                base[key] = step_ops(model_with(layers, make_optimizer(0.1)), [])
            model = model_with(layers, make_optimizer(make_lr()))
            added.append(step_ops(model, make_callbacks()) - base[key])
        print(f"| {name} | {added[0]} | {added[1]} |")
    variables = [len(model_with(n, keras.optimizers.SGD(0.1)).trainable_variables) for n in sizes]
    print(f"\nModels: {variables[0]} and {variables[1]} trainable variables; baseline: "
          "the same optimizer with a constant float rate.")
    assert np.all(np.array(variables) == [4, 22])


if __name__ == "__main__":
    main()
