"""The keras-lr command: compare, find, plot, in this process (`keras_lr.cli.main`); one run of
each command through a new process; no backend for `--help` or a mistake in the arguments."""

import csv
import json
import math
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_lr
from keras_lr import cli, recipes
from keras_lr.cli import _common, compare

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    """`keras-lr ARGS` in this process, in `tmp_path`: (exit status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run_(*args):
        try:
            status = cli.main([str(a) for a in args])
        except SystemExit as exit_:  # argparse: --help, usage errors
            status = exit_.code
        out, err = capsys.readouterr()
        return status, out, err

    return run_


def rows_of(folder):
    return list(csv.DictReader((pathlib.Path(folder) / "results.csv").read_text().splitlines()))


def keras_lr_cmd(*args, cwd):
    """`python -m keras_lr ARGS` in a new process."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "keras_lr", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_every_optimizer_has_a_default_peak():
    assert set(_common.PEAKS) == set(_common.OPTIMIZERS)


def test_quick_chooses_three_schedules_two_optimizers_three_epochs(run, monkeypatch):
    """What `--quick` runs (its tables and plots are those of any run: see the README run)."""
    seen = []
    monkeypatch.setattr(compare, "compare", seen.append)
    assert run("compare", "--quick")[0] == 0
    assert (seen[0].schedules, seen[0].optimizers, seen[0].epochs) == (
        ["constant", "cyclical", "one-cycle"], ["sgd", "adam"], 3)
    assert run("compare", "--quick", "--epochs", "5", "--optimizers", "adamw")[0] == 0
    assert (seen[1].schedules, seen[1].optimizers, seen[1].epochs) == (
        ["constant", "cyclical", "one-cycle"], ["adamw"], 5)
    assert run("compare")[0] == 0
    assert (len(seen[2].schedules), seen[2].optimizers, seen[2].epochs) == (
        9, ["sgd", "adam", "adamw", "nadam"], 12)


@pytest.mark.slow
def test_compare_tune_prints_and_uses_the_range_tests_rate(run, tmp_path):
    status, out, err = run("compare", "--schedules", "constant", "one-cycle", "--optimizers",
                           "sgd,adam", "--epochs", "1", "--tune", "--output", "out")
    assert status == 0, err[-2000:]
    line = next(li for li in out.splitlines() if li.startswith("Peak rates from"))
    printed = dict(re.findall(r"(sgd|adam) ([0-9.e-]+)", line))
    assert set(printed) == {"sgd", "adam"}
    # the same range test, run here: digits split of seed 0, the MLP, find_lr's defaults
    x, _, y, _ = recipes.digits(0)
    rows = rows_of(tmp_path / "out")
    for name in ("sgd", "adam"):
        keras.utils.set_random_seed(0)
        model = cli.small_model(x.shape[1], 10)
        model.compile(recipes.optimizer(name, 0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        expected = keras_lr.find_lr(model, x, y, batch_size=64).suggestion
        assert float(printed[name]) == pytest.approx(expected, rel=1e-2), name
        mine = [r for r in rows if r["optimizer"] == name]
        assert len(mine) == 2
        assert all(float(r["peak_lr"]) == pytest.approx(expected, rel=1e-3) for r in mine)


@pytest.fixture
def binary(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    return x, y


@pytest.mark.slow
def test_compare_seeds_on_users_data_and_model(run, tmp_path, binary):
    status, out, err = run("compare", "--data", "d.npz", "--seeds", "2", "--schedules",
                           "constant", "one-cycle", "--optimizers", "adam", "--epochs", "2",
                           "--lr", "0.01", "--output", "out")
    assert status == 0, err[-2000:]
    rows = rows_of(tmp_path / "out")
    assert len(rows) == 2
    for row in rows:
        assert float(row["peak_lr"]) == 0.01
        assert float(row["best_val_loss_std"]) >= 0.0 and row["seeds_reaching_target"]
    assert " ± " in out and "(seeds reaching)" in out

    # an uncompiled model: the default loss for integer labels
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "m.keras")
    status, out, err = run("compare", "--data", "d.npz", "--model", "m.keras", "--schedules",
                           "constant", "--optimizers", "sgd", "--epochs", "2", "--tune",
                           "--output", "out2")
    assert status == 0, err[-2000:]
    assert "Peak rates from the range test" in out
    row = rows_of(tmp_path / "out2")[0]
    assert math.isfinite(float(row["best_val_loss"])) and float(row["best_val_accuracy"]) > 0.5


def test_compare_ranks_diverged_runs_last(run, tmp_path):
    """repros3/10: a run whose validation loss is NaN at every epoch is ranked last."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    np.savez(tmp_path / "d.npz", x=x * 10, y=(x @ rng.normal(size=6) * 100).astype("float32"))
    status, out, err = run("compare", "--data", "d.npz", "--lr", "0.003", "--optimizers", "sgd",
                           "--epochs", "3", "--schedules", "constant", "one-cycle", "wsd",
                           "cyclical", "--output", "out")
    assert status == 0, err[-2000:]
    best = [float(r["best_val_loss"]) for r in rows_of(tmp_path / "out")]
    assert any(math.isnan(b) for b in best)  # the case this test is about: a run diverged
    finite = [b for b in best if not math.isnan(b)]
    assert best[:len(finite)] == sorted(finite)
    table = [li for li in out.splitlines() if li.startswith("| ")][1:]
    assert table[-1].split(" | ")[5] == "-"  # the last rank's best val loss: none


def test_rank_orders_numbers_and_puts_nan_last():
    rows = [{"best_val_loss": v} for v in (float("nan"), 2.0, float("inf"), 1.0, float("nan"))]
    ranked = [r["best_val_loss"] for r in sorted(rows, key=compare.rank)]
    assert ranked[:3] == [1.0, 2.0, float("inf")] and all(map(math.isnan, ranked[3:]))


def test_compare_trains_the_users_model_with_its_own_loss(run, tmp_path):
    """repros3/11: a logits model keeps `from_logits=True`; a sigmoid binary classifier runs."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    logits = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                               keras.layers.Dense(2)])
    logits.compile("adam", loss=loss)
    logits.save(tmp_path / "logits.keras")
    status, _, err = run("compare", "--data", "d.npz", "--model", "logits.keras", "--schedules",
                         "constant", "--optimizers", "adam", "--epochs", "3", "--output", "out")
    assert status == 0, err[-2000:]
    cli_loss = float(rows_of(tmp_path / "out")[0]["best_val_loss"])
    # The same run with the model's own loss: the seeded 25 % split, Adam 2e-3, batch 64.
    order = np.random.default_rng(0).permutation(len(x))
    val, train = order[:75], order[75:]
    keras.utils.set_random_seed(0)
    own = keras.models.load_model(tmp_path / "logits.keras", compile=False)
    own.compile(keras.optimizers.Adam(2e-3), loss=loss)
    history = own.fit(x[train], y[train], batch_size=64, epochs=3, verbose=0,
                      validation_data=(x[val], y[val])).history
    assert cli_loss == pytest.approx(min(history["val_loss"]), rel=1e-4)

    sigmoid = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1, activation="sigmoid")])
    sigmoid.compile("adam", loss="binary_crossentropy")
    sigmoid.save(tmp_path / "sigmoid.keras")
    status, _, err = run("compare", "--data", "d.npz", "--model", "sigmoid.keras", "--schedules",
                         "constant", "--optimizers", "adam", "--epochs", "1", "--output", "out2")
    assert (status, err) == (0, "")
    assert 0.0 < float(rows_of(tmp_path / "out2")[0]["best_val_accuracy"]) <= 1.0

    # a model whose output cannot fit the labels under the default loss: one line, before training
    keras.Sequential([keras.Input((6,)), keras.layers.Dense(1, activation="sigmoid")]).save(
        tmp_path / "uncompiled.keras")
    status, out, err = run("compare", "--data", "d.npz", "--model", "uncompiled.keras",
                           "--optimizers", "adam", "--output", "out3")
    assert (status, out, len(err.splitlines())) == (2, "", 1), err
    assert "the model uncompiled.keras does not fit the data" in err


@pytest.mark.parametrize(("arrays", "fragment"), [
    ({"y": np.where(np.arange(300) % 2, 1, -1)}, "d.npz: y holds the label -1; integer y means "
     "classes 0..C-1; for regression, save y as floats"),
    ({"x": np.array(["a"] * 300)}, "d.npz: x must hold numbers, got dtype <U1"),
    ({"y": np.where(np.arange(300) % 2, 10**9, 3)}, "y holds the label 1000000000, so "
     "1000000001 classes (at most 10000)"),
    ({"y": np.zeros(300, "int64")}, "y holds a single class (0); classification needs at "
     "least 2"),
    ({"x_val": np.zeros((10, 3), "float32"), "y_val": np.zeros(10, "int64")},
     "each row of x_val has shape (3,), each row of x (6,); they must match"),
    ({"x_val": np.zeros((10, 6), "float32"), "y_val": np.zeros(9, "int64")},
     "x_val and y_val need the same number of rows"),
    ({"x_val": np.zeros((10, 6), "float32")}, "give both x_val and y_val, or neither"),
], ids=["negative-labels", "strings", "ids", "one-class", "x_val-width", "val-rows", "no-y_val"])
def test_compare_refuses_unusable_data_in_one_line_before_training(arrays, fragment, run,
                                                                   tmp_path):
    """repros3/12, 13, 14: labels, features and validation shapes are checked up front."""
    x = np.random.default_rng(0).normal(size=(300, 6)).astype("float32")
    np.savez(tmp_path / "d.npz", **{"x": x, "y": (x[:, 0] > 0).astype("int64"), **arrays})
    status, out, err = run("compare", "--data", "d.npz", "--schedules", "constant",
                           "--optimizers", "adam", "--epochs", "1", "--output", "out")
    assert (status, out, len(err.splitlines())) == (2, "", 1), err
    assert err.startswith("keras-lr compare: ") and fragment in err, err
    assert not (tmp_path / "out" / "results.csv").exists()


@pytest.mark.slow
def test_compare_schedule_free_and_muon_on_digits(run, tmp_path):
    """Keras 3.15's optimizers, named with commas as in issue 19; the schedule-free run is the
    one Keras's own optimizer gives (warmup: 5 % of 2 epochs x 22 updates = 2 updates), or,
    on a backend where Keras's ScheduleFreeAdamW is off the paper, skipped with one note."""
    if not hasattr(keras.optimizers, "Muon"):
        pytest.skip("Keras < 3.15 has no ScheduleFreeAdamW or Muon")
    status, _, err = run("compare", "--optimizers", "schedulefree,schedulefree-warmup,muon",
                         "adamw", "--schedules", "constant", "--epochs", "2", "--output", "out")
    assert status == 0, err[-2000:]
    rows = {r["optimizer"]: r for r in rows_of(tmp_path / "out")}
    refused = recipes.optimizer_problems(["schedulefree", "schedulefree-warmup"])
    assert set(rows) == {"schedulefree", "schedulefree-warmup", "muon", "adamw"} - set(refused)
    assert all(math.isfinite(float(r["best_val_loss"])) for r in rows.values())
    if refused:
        assert refused["schedulefree"] == refused["schedulefree-warmup"]
        assert (f"keras-lr compare: note: skipping schedulefree, schedulefree-warmup: "
                f"{refused['schedulefree']}") in err.splitlines()
        return

    x, x_val, y, y_val = recipes.digits(0)
    keras.utils.set_random_seed(0)
    model = cli.small_model(x.shape[1], 10)
    model.compile(keras.optimizers.ScheduleFreeAdamW(0.01, warmup_steps=2),
                  loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0,
                        validation_data=(x_val, y_val)).history
    assert float(rows["schedulefree-warmup"]["best_val_loss"]) == pytest.approx(
        min(history["val_loss"]), rel=1e-4)


def test_the_new_optimizers_as_built():
    if not hasattr(keras.optimizers, "Muon"):
        pytest.skip("Keras < 3.15 has no ScheduleFreeAdamW or Muon")
    muon = recipes.optimizer("muon", 1e-3, 400)
    assert isinstance(muon, keras.optimizers.Muon) and muon.exclude_layers == ["output"]
    if recipes.optimizer_problems(["schedulefree"]):
        return  # refused on this backend: tests/test_recipes.py
    plain = recipes.optimizer("schedulefree", 1e-3, 400)
    warm = recipes.optimizer("schedulefree-warmup", 1e-3, 400)
    assert isinstance(plain, keras.optimizers.ScheduleFreeAdamW) and plain.warmup_steps == 0
    assert warm.warmup_steps == 20  # 5 % of the run


def test_compare_skips_optimizers_this_keras_lacks_with_a_note(run, monkeypatch, binary):
    monkeypatch.delattr(keras.optimizers, "Muon", raising=False)
    status, _, err = run("compare", "--data", "d.npz", "--optimizers", "muon,sgd",
                           "--schedules", "constant", "--epochs", "1", "--output", "out")
    assert status == 0, err
    assert err.splitlines() == [f"keras-lr compare: note: skipping muon: Keras "
                                f"{keras.__version__} lacks keras.optimizers.Muon (Keras >= 3.15)"]
    status, _, err = run("compare", "--data", "d.npz", "--optimizers", "muon", "--output", "o")
    assert status == 2 and "none of the optimizers given is in this Keras" in err


@pytest.mark.slow
def test_find_on_digits_and_on_a_users_model(run, tmp_path):
    status, out, err = run("find", "--num-steps", "30", "--output", "a.png")
    assert status == 0, err[-2000:]
    assert "valley:" in out and (tmp_path / "a.png").stat().st_size > 0

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    np.savez(tmp_path / "d.npz", x=x, y=x.sum(axis=1, keepdims=True))
    status, out, err = run("find", "--model", "m.keras", "--data", "d.npz", "--num-steps", "20",
                           "--output", "b.png")
    assert status == 0, err[-2000:]
    assert (tmp_path / "b.png").stat().st_size > 0


def test_plot_accepts_integers_for_keras_schedules_and_refuses_non_schedule_configs(run,
                                                                                      tmp_path):
    for args in (["CosineDecay", "initial_learning_rate=1", "decay_steps=10"],
                 ["PiecewiseConstantDecay", "boundaries=[3,6]", "values=[1,0.5,0.1]"]):
        status, _, err = run("plot", *args, "--steps", "20", "--output", "k.png")
        assert status == 0, err[-2000:]
    (tmp_path / "list.json").write_text("[1, 2]")
    status, _, err = run("plot", "--config", "list.json")
    assert status == 2 and "not a schedule config" in err and "Traceback" not in err


def test_plot_from_name_and_from_config(run, tmp_path):
    status, _, err = run("plot", "Cyclical", "initial_learning_rate=0.01",
                         "max_learning_rate=0.1", "step_size=20", "policy=triangular2",
                         "--steps", "200", "--output", "c.png")
    assert status == 0, err[-2000:]
    config = keras.saving.serialize_keras_object(
        keras_lr.Warmup(keras.optimizers.schedules.CosineDecay(0.1, 100), 10))
    (tmp_path / "s.json").write_text(json.dumps(config))
    status, out, err = run("plot", "--config", "s.json", "--output", "w.png")
    assert (status, out) == (0, "Wrote w.png\n"), err[-2000:]
    assert (tmp_path / "c.png").stat().st_size > 0 and (tmp_path / "w.png").stat().st_size > 0


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "--schedules", "cosine-ish"], "unknown schedule 'cosine-ish'"),
    (["compare", "--optimizers", "lamb"], "unknown optimizer 'lamb'"),
    (["compare", "--optimizers", "adam,lamb"], "unknown optimizer 'lamb'"),
    (["plot", "Nope"], "unknown schedule 'Nope'"),
    (["plot", "SpikeGuard"], "unknown schedule 'SpikeGuard'"),
    (["plot", "OneCycle", "max_learning_rate=-1", "total_steps=10"],
     "Argument `max_learning_rate` must be > 0"),
    (["plot", "OneCycle", "oops"], "expected key=value"),
    (["plot"], "give a schedule name"),
    (["plot", "--config", "missing.json"], "no such file: missing.json"),
    (["find", "--model", "m.keras"], "give both --model and --data"),
    (["compare", "--epochs", "0"], "--epochs must be >= 1"),
    (["compare", "--seeds", "0"], "--seeds must be >= 1"),
    (["compare", "--lr", "-1"], "--lr must be > 0"),
    (["compare", "--lr", "0.1", "--tune"], "not both"),
    (["compare", "--data", "missing.npz"], "no such file: missing.npz"),
    (["compare", "--model", "m.keras"], "--model needs --data"),
])
def test_user_errors_are_one_line_without_traceback(args, message, run):
    status, out, err = run(*args)
    assert (status, out, len(err.splitlines())) == (2, "", 1), err
    assert err.startswith(f"keras-lr {args[0]}: ") and message in err


@pytest.mark.parametrize("sub", [[], ["compare"], ["find"], ["plot"]])
def test_help(sub, run):
    status, out, _ = run(*sub, "--help")
    assert status == 0 and "usage: keras-lr" in out


@pytest.mark.slow
def test_help_and_argument_errors_start_no_backend(tmp_path):
    """In a new process: the package, `--help` and mistakes in the arguments import no Keras.
    Then a keras_lr module that imports Keras itself: Keras finds every schedule by name (for
    load_model) once that import is over. (Keras imported by the user: test_cli_errors.py.)"""
    code = """
        import contextlib, io, sys
        import keras_lr
        from keras_lr.cli import main
        names = set(dir(keras_lr))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for argv in (["--help"], ["compare", "--help"], ["compare", "--optimizers", "lamb"],
                         ["compare", "--epochs", "0"], ["plot", "Nope"], ["find", "--data", "d"],
                         ["find", "--seed", "-1"]):
                try:
                    status = main(argv)
                except SystemExit as exit_:
                    status = exit_.code
                assert status == (0 if "--help" in argv else 2), argv
        started = [m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules]
        print("backend:", started, set(keras_lr.__all__) <= names)
        from keras_lr.callbacks import OneCycleScheduler  # imports Keras mid-way
        import keras
        print(all(keras.saving.get_registered_object(f"keras_lr>{name}") is getattr(keras_lr, name)
                  for name in ("OneCycle", "Tabulated", "Scaled", "Cyclical")))
    """
    import textwrap

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["backend: [] True", "True"]


# One run of each command in a new process: `compare` is the README's run below, `plot` and the
# console script's one-line errors are in tests/test_cli_errors.py.

@pytest.mark.slow
def test_find_runs_in_a_new_process(tmp_path):
    result = keras_lr_cmd("find", "--num-steps", "10", "--output", "f.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "valley:" in result.stdout and (tmp_path / "f.png").stat().st_size > 0


@pytest.mark.slow
def test_readme_main_command_runs_verbatim(tmp_path):
    """The README's main command, exactly as written there (the full default run), in a new
    process: the tables and plots it writes."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    line = next(li for li in block.splitlines() if li.startswith("keras-lr "))
    words = shlex.split(re.sub(r"\s+#.*$", "", line))
    assert words == ["keras-lr", "compare"]
    exe = shutil.which("keras-lr")
    command = [exe] if exe else [sys.executable, "-m", "keras_lr"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command + words[1:], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "keras-lr-compare"
    for name in ("results.csv", "results.md", "lr_curves.png", "val_loss.png"):
        assert (out / name).stat().st_size > 0, name
    rows = rows_of(out)
    assert {(r["schedule"], r["optimizer"]) for r in rows} == {
        (s, o) for s in recipes.schedule_names() for o in ("sgd", "adam", "adamw", "nadam")}
    for row in rows:
        for key in ("final_val_loss", "best_val_loss", "final_val_accuracy", "seconds"):
            assert math.isfinite(float(row[key])), (row, key)
    losses = [float(r["best_val_loss"]) for r in rows]
    assert losses == sorted(losses)  # ranked
    assert "| 1 |" in result.stdout and "| 36 |" in result.stdout


def test_compare_on_blobs_trains_the_conv_net_on_the_generated_images(run, tmp_path,
                                                                       monkeypatch):
    """`--data blobs`: keras_lr.datasets.blobs (sizes made small here) and its conv net."""
    from keras_lr import datasets
    from keras_lr.cli import _inputs

    monkeypatch.setattr(_inputs, "BLOBS_SIZES", {False: (96, 64), True: (96, 64)})
    seen = []
    original = _inputs.compare_data
    monkeypatch.setattr(_inputs, "compare_data", lambda args: seen.append(original(args)) or
                        seen[-1])
    status, _, err = run("compare", "--data", "blobs", "--seed", "3", "--schedules",
                           "constant", "--optimizers", "sgd", "--epochs", "1", "--lr", "0.05",
                           "--output", "out")
    assert status == 0, err[-2000:]
    x, y, x_val, y_val = datasets.blobs(96, 64, seed=3)
    for name, array in dict(x=x, y=y, x_val=x_val, y_val=y_val).items():
        np.testing.assert_array_equal(seen[0][name], array)  # images, not flattened
    model = seen[0]["builtin"][1]()
    assert model.count_params() == datasets.blobs_model().count_params() == 28_794
    intro = (tmp_path / "out" / "results.md").read_text().splitlines()[0]
    assert intro.startswith("Blobs (keras_lr.datasets.blobs, 96 + 64 images), conv net")
    row = rows_of(tmp_path / "out")[0]
    assert 0.0 <= float(row["best_val_accuracy"]) <= 1.0 and math.isfinite(
        float(row["best_val_loss"]))
