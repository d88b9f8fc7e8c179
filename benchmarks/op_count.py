"""Compute-op count of each schedule's graph, beside its closest Keras built-in.

A schedule's compute ops are the nodes of
`tf.function(schedule).get_concrete_function(int64 scalar)` other than
Const/Identity/Placeholder/NoOp, counting the bodies of nested functions
(`cond` branches) too (the definition in the design notes).

    python benchmarks/op_count.py [--quick]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

import keras_lr

KS = keras.optimizers.schedules
FREE = {"Const", "Identity", "Placeholder", "NoOp"}


def compute_ops(schedule):
    fn = tf.function(lambda step: schedule(step))
    graph = fn.get_concrete_function(tf.TensorSpec([], tf.int64)).graph.as_graph_def()
    nodes = list(graph.node)
    for function in graph.library.function:
        nodes.extend(function.node_def)
    return sum(node.op not in FREE for node in nodes)


def rows():
    cosine = KS.CosineDecay(0.1, 1000)
    return [
        # (keras-lr schedule, its object, closest Keras built-in, its object)
        ("Constant", keras_lr.Constant(0.1), "(float LR)", None),
        ("StepDecay", keras_lr.StepDecay(0.1, 100, 0.5),
         "ExponentialDecay(staircase)", KS.ExponentialDecay(0.1, 100, 0.5, staircase=True)),
        ("MultiStepDecay (3 boundaries)", keras_lr.MultiStepDecay(0.1, [10, 20, 30]),
         "PiecewiseConstantDecay (3)",
         KS.PiecewiseConstantDecay([10, 20, 30], [1., .1, .01, .001])),
        ("InverseSqrtDecay", keras_lr.InverseSqrtDecay(0.1, 100),
         "InverseTimeDecay", KS.InverseTimeDecay(0.1, 100, 1.0)),
        ("Cyclical triangular", keras_lr.Cyclical(0.01, 0.1, 100),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 900, warmup_steps=100, warmup_target=0.1)),
        ("Cyclical triangular2", keras_lr.Cyclical(0.01, 0.1, 100, policy="triangular2"),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 900, warmup_steps=100, warmup_target=0.1)),
        ("Cyclical exp_range", keras_lr.Cyclical(0.01, 0.1, 100, policy="exp_range", gamma=0.999),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 900, warmup_steps=100, warmup_target=0.1)),
        ("OneCycle", keras_lr.OneCycle(0.1, 1000),
         "CosineDecay with warmup",
         KS.CosineDecay(0.004, 700, warmup_steps=300, warmup_target=0.1)),
        ("OneCycle three_phase linear",
         keras_lr.OneCycle(0.1, 1000, anneal_strategy="linear", three_phase=True),
         "CosineDecay with warmup",
         KS.CosineDecay(0.004, 700, warmup_steps=300, warmup_target=0.1)),
        ("CosineWarmRestarts t_mul=1", keras_lr.CosineWarmRestarts(0.1, 100, t_mul=1.0),
         "CosineDecayRestarts t_mul=1", KS.CosineDecayRestarts(0.1, 100, t_mul=1.0)),
        ("CosineWarmRestarts t_mul=2", keras_lr.CosineWarmRestarts(0.1, 100),
         "CosineDecayRestarts t_mul=2", KS.CosineDecayRestarts(0.1, 100)),
        ("Warmup(CosineDecay)", keras_lr.Warmup(cosine, 100),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 1000, warmup_steps=100, warmup_target=0.1)),
        ("WarmupStableDecay cosine", keras_lr.WarmupStableDecay(0.1, 100, 500, 400),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 900, warmup_steps=100, warmup_target=0.1)),
        ("SequentialSchedule(Constant, CosineDecay)",
         keras_lr.SequentialSchedule([keras_lr.Constant(0.1), cosine], [100]),
         "CosineDecay with warmup", KS.CosineDecay(0.0, 900, warmup_steps=100, warmup_target=0.1)),
        ("Scaled(CosineDecay)", keras_lr.Scaled(cosine), "CosineDecay", cosine),
        ("PerEpoch(StepDecay)", keras_lr.PerEpoch(keras_lr.StepDecay(0.1, 10), 100),
         "ExponentialDecay(staircase)", KS.ExponentialDecay(0.1, 1000, 0.1, staircase=True)),
        ("PerUpdate(CosineDecay)", keras_lr.PerUpdate(cosine, 4), "CosineDecay", cosine),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="same run (it is quick already)")
    parser.parse_args()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}\n")
    print("| keras-lr schedule | compute ops | closest Keras built-in | compute ops |")
    print("|---|---:|---|---:|")
    for name, ours, keras_name, theirs in rows():
        theirs_ops = "—" if theirs is None else compute_ops(theirs)
        print(f"| {name} | {compute_ops(ours)} | {keras_name} | {theirs_ops} |")
    print("\nKeras reference points: " + ", ".join(
        f"{n} {compute_ops(s)}" for n, s in [
            ("ExponentialDecay", KS.ExponentialDecay(0.1, 100, 0.5)),
            ("PolynomialDecay", KS.PolynomialDecay(0.1, 100)),
            ("CosineDecay", KS.CosineDecay(0.1, 100)),
            ("CosineDecay+warmup", KS.CosineDecay(0.0, 100, warmup_steps=10, warmup_target=0.1)),
            ("PiecewiseConstantDecay(3)", KS.PiecewiseConstantDecay([1, 2, 3], [1., .5, .2, .1])),
            ("CosineDecayRestarts", KS.CosineDecayRestarts(0.1, 100)),
        ]))


if __name__ == "__main__":
    main()
