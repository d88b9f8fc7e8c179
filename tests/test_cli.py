"""The keras-lr command: compare, find, plot, and one-line user errors."""

import csv
import json
import math
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # every test runs the command in a new process

ROOT = pathlib.Path(__file__).resolve().parents[1]


def keras_lr_cmd(*args, cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "keras_lr", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_readme_main_command_quick_writes_tables_and_plots(tmp_path):
    result = keras_lr_cmd("compare", "--quick", "--output", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "out"
    for name in ("results.csv", "results.md", "lr_curves.png", "val_loss.png"):
        assert (out / name).stat().st_size > 0, name
    rows = list(csv.DictReader((out / "results.csv").read_text().splitlines()))
    assert {(r["schedule"], r["optimizer"]) for r in rows} == {
        (s, o) for s in ("constant", "cyclical", "one-cycle") for o in ("sgd", "adam")}
    for row in rows:
        for key in ("final_val_loss", "best_val_loss", "final_val_accuracy", "seconds"):
            assert math.isfinite(float(row[key])), (row, key)
    losses = [float(r["best_val_loss"]) for r in rows]
    assert losses == sorted(losses)  # ranked
    assert "| 1 |" in result.stdout


def test_compare_tune_prints_and_uses_the_range_tests_rate(tmp_path):
    result = keras_lr_cmd("compare", "--quick", "--tune", "--output", tmp_path / "out",
                          cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(li for li in result.stdout.splitlines() if li.startswith("Peak rates from"))
    printed = dict(re.findall(r"(sgd|adam) ([0-9.e-]+)", line))
    assert set(printed) == {"sgd", "adam"}
    # the same range test, run here: digits split of seed 0, the MLP, find_lr's defaults
    import keras

    import keras_lr
    from keras_lr import cli, recipes

    x, _, y, _ = recipes.digits(0)
    for name in ("sgd", "adam"):
        keras.utils.set_random_seed(0)
        model = cli.small_model(x.shape[1], 10)
        model.compile(recipes.optimizer(name, 0.01), loss="sparse_categorical_crossentropy")
        expected = keras_lr.find_lr(model, x, y, batch_size=64).suggestion
        assert float(printed[name]) == pytest.approx(expected, rel=1e-2), name
        results = (tmp_path / "out" / "results.csv").read_text().splitlines()
        rows = [r for r in csv.DictReader(results)
                if r["optimizer"] == name]
        assert len(rows) == 3
        assert all(float(r["peak_lr"]) == pytest.approx(expected, rel=1e-3) for r in rows)


def test_compare_seeds_on_users_data_and_model(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    result = keras_lr_cmd("compare", "--data", tmp_path / "d.npz", "--seeds", "2",
                          "--schedules", "constant", "one-cycle", "--optimizers", "adam",
                          "--epochs", "2", "--lr", "0.01", "--output", tmp_path / "out",
                          cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(csv.DictReader((tmp_path / "out" / "results.csv").read_text().splitlines()))
    assert len(rows) == 2
    for row in rows:
        assert float(row["peak_lr"]) == 0.01
        assert float(row["best_val_loss_std"]) >= 0.0 and row["seeds_reaching_target"]
    assert " ± " in result.stdout and "(seeds reaching)" in result.stdout

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "m.keras")
    result = keras_lr_cmd("compare", "--data", tmp_path / "d.npz", "--model", tmp_path / "m.keras",
                          "--schedules", "constant", "--optimizers", "sgd", "--epochs", "2",
                          "--tune", "--output", tmp_path / "out2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Peak rates from the range test" in result.stdout
    row = next(csv.DictReader((tmp_path / "out2" / "results.csv").read_text().splitlines()))
    assert math.isfinite(float(row["best_val_loss"])) and float(row["best_val_accuracy"]) > 0.5


def test_find_on_digits_and_on_a_users_model(tmp_path):
    result = keras_lr_cmd("find", "--num-steps", "30", "--output", tmp_path / "a.png",
                          cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "valley:" in result.stdout and (tmp_path / "a.png").stat().st_size > 0

    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    np.savez(tmp_path / "d.npz", x=x, y=x.sum(axis=1, keepdims=True))
    result = keras_lr_cmd("find", "--model", tmp_path / "m.keras", "--data", tmp_path / "d.npz",
                          "--num-steps", "20", "--output", tmp_path / "b.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "b.png").stat().st_size > 0


def test_plot_accepts_integers_for_keras_schedules_and_refuses_non_schedule_configs(tmp_path):
    for args in (["CosineDecayRestarts", "initial_learning_rate=1", "first_decay_steps=10"],
                 ["PiecewiseConstantDecay", "boundaries=[3,6]", "values=[1,0.5,0.1]"]):
        result = keras_lr_cmd("plot", *args, "--steps", "20", "--output", tmp_path / "k.png",
                              cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
    (tmp_path / "list.json").write_text("[1, 2]")
    result = keras_lr_cmd("plot", "--config", tmp_path / "list.json", cwd=tmp_path)
    assert result.returncode == 2 and "not a schedule config" in result.stderr
    assert "Traceback" not in result.stderr


def test_plot_from_name_and_from_config(tmp_path):
    result = keras_lr_cmd("plot", "Cyclical", "initial_learning_rate=0.01",
                          "max_learning_rate=0.1", "step_size=20", "mode=triangular2",
                          "--steps", "200", "--output", tmp_path / "c.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    import keras

    import keras_lr

    config = keras.saving.serialize_keras_object(
        keras_lr.Warmup(keras.optimizers.schedules.CosineDecay(0.1, 100), 10))
    (tmp_path / "s.json").write_text(json.dumps(config))
    result = keras_lr_cmd("plot", "--config", tmp_path / "s.json", "--output",
                          tmp_path / "w.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "c.png").stat().st_size > 0 and (tmp_path / "w.png").stat().st_size > 0


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "--schedules", "cosine-ish"], "unknown schedule 'cosine-ish'"),
    (["compare", "--optimizers", "lamb"], "unknown optimizer 'lamb'"),
    (["plot", "Nope"], "unknown schedule 'Nope'"),
    (["plot", "OneCycle", "max_learning_rate=-1", "total_steps=10"],
     "Argument `max_learning_rate` must be > 0"),
    (["plot", "OneCycle", "oops"], "expected key=value"),
    (["plot", "--config", "missing.json"], "no such file: missing.json"),
    (["find", "--model", "m.keras"], "give both --model and --data"),
    (["compare", "--epochs", "0"], "--epochs must be >= 1"),
    (["compare", "--seeds", "0"], "--seeds must be >= 1"),
    (["compare", "--lr", "-1"], "--lr must be > 0"),
    (["compare", "--lr", "0.1", "--tune"], "not both"),
    (["compare", "--data", "missing.npz"], "no such file: missing.npz"),
    (["compare", "--model", "m.keras"], "--model needs --data"),
])
def test_user_errors_are_one_line_without_traceback(args, message, tmp_path):
    result = keras_lr_cmd(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("keras-lr ")]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sub", [[], ["compare"], ["find"], ["plot"]])
def test_help(sub, tmp_path):
    result = keras_lr_cmd(*sub, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "usage: keras-lr" in result.stdout


def test_readme_main_command_runs_verbatim(tmp_path):
    """The README's main command, exactly as written there (the full default run)."""
    import re
    import shlex
    import shutil

    readme = (ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    line = next(li for li in block.splitlines() if li.startswith("keras-lr "))
    words = shlex.split(re.sub(r"\s+#.*$", "", line))
    assert words == ["keras-lr", "compare"]
    exe = shutil.which("keras-lr")
    command = [exe] if exe else [sys.executable, "-m", "keras_lr"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command + words[1:], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    results = tmp_path / "keras-lr-compare" / "results.csv"
    rows = list(csv.DictReader(results.read_text().splitlines()))
    assert len(rows) == 9 * 4
