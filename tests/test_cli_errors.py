"""The real `keras-lr` console script: each user error is one line on stderr and exit 2, and
nothing else is printed (no TensorFlow start-up logs)."""

import concurrent.futures
import os
import pathlib
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLOT = ["plot", "OneCycle", "max_learning_rate=0.1", "total_steps=100"]

# (arguments, a fragment of the one line)
ERRORS = [
    (["plot", "NoSuchSchedule"], "unknown schedule 'NoSuchSchedule'"),
    ([*PLOT, "--steps", "0"], "argument --steps: must be in [1, 1000000], got 0"),
    ([*PLOT, "--steps", "-5"], "argument --steps: must be in [1, 1000000], got -5"),
    ([*PLOT, "--steps", "1000000000"], "argument --steps: must be in [1, 1000000]"),
    ([*PLOT, "--steps", "1e3"], "argument --steps: expected an integer, got '1e3'"),
    ([*PLOT, "--output", "missing_dir/s.png"], "no such folder: missing_dir"),
    ([*PLOT, "--output", "a_folder"], "--output a_folder is a folder"),
    ([*PLOT, "--output", "s.xyz"], "unknown image format '.xyz'"),
    (["plot", "StepDecay", "initial_learning_rate=0.1", "decay_steps=9223372036854775808"],
     "Argument `decay_steps` must be <= 2147483647"),
    (["plot", "Constant", "learning_rate=1e39"],
     "Argument `learning_rate` must be a positive float32"),
    (["plot", "--config", "a_folder"], "a_folder is not a file"),
    (["plot", "--config", "corrupt.json"], "corrupt.json: not a schedule config"),
    (["find", "--num-steps", "1"], "argument --num-steps: must be in [2, 2147483647], got 1"),
    (["find", "--start-lr", "0"], "Argument `start_lr` must be > 0"),
    (["find", "--start-lr", "1e-300"], "Argument `start_lr` must be a positive float32"),
    (["find", "--start-lr", "1", "--end-lr", "0.1"], "Argument `end_lr` must be > start_lr"),
    (["find", "--batch-size", "0"], "argument --batch-size: must be in [1, 2147483647], got 0"),
    (["find", "--seed", "-1"], "argument --seed: must be in [0, 4294967295], got -1"),
    (["find", "--optimizer", "lamb"], "argument --optimizer: invalid choice: 'lamb'"),
    (["find", "--output", "missing_dir/lr.png"], "no such folder: missing_dir"),
    (["find", "--model", "xy.npz", "--data", "xy.npz"], "xy.npz: not a Keras model file"),
    (["find", "--model", "uncompiled.keras", "--data", "xy.npz"], "the model is not compiled"),
    (["find", "--model", "five_inputs.keras", "--data", "xy.npz"],
     "the model five_inputs.keras does not fit the data xy.npz: Input 0"),
    (["find", "--model", "ok.keras", "--data", "corrupt.npz"], "corrupt.npz: not a .npz file"),
    (["find", "--model", "ok.keras", "--data", "empty.npz"], "at least one (got 0 and 0)"),
    (["find", "--model", "ok.keras", "--data", "missing.npz"], "no such file: missing.npz"),
    (["compare", "--seed", "-1"], "argument --seed: must be in [0, 4294967295], got -1"),
    (["compare", "--output", "a_file"], "--output a_file is a file, not a folder"),
]


def console_script():
    exe = pathlib.Path(sys.executable).with_name("keras-lr")
    return str(exe) if exe.exists() else shutil.which("keras-lr")


def run(args, cwd):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_LR_BACKEND_LOGS")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([console_script(), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("cli_errors")
    x = np.zeros((10, 4), "float32")
    np.savez(work / "xy.npz", x=x, y=np.zeros((10, 3), "float32"))
    np.savez(work / "empty.npz", x=x[:0], y=np.zeros((0, 3), "float32"))
    (work / "corrupt.npz").write_text("not an npz")
    (work / "corrupt.json").write_text("{not json")
    (work / "a_file").write_text("in the way")
    (work / "a_folder").mkdir()
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]).save(work / "uncompiled.keras")
    for name, width in (("five_inputs", 5), ("ok", 4)):
        model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(3)])
        model.compile("sgd", "mse")
        model.save(work / f"{name}.keras")
    return work


@pytest.mark.parametrize(("args", "fragment"), ERRORS, ids=[" ".join(a[:3]) for a, _ in ERRORS])
def test_each_user_error_is_one_line_and_exit_2(args, fragment, workdir, capsys, monkeypatch):
    """In this process (fast); the console script itself runs below, one case of each kind."""
    from keras_lr import cli

    monkeypatch.chdir(workdir)
    try:
        status = cli.main(args)
    except SystemExit as exit_:  # argparse's errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert (status, out, len(err.splitlines())) == (2, "", 1), err
    assert err.startswith(f"keras-lr {args[0]}: ") and fragment in err, err
    assert not (workdir / "missing_dir").exists() and not (workdir / "s.xyz").exists()


# Through the real console script: errors answered before the backend starts (a bad name, a step
# count <= 0 and one too large to plot, an unusable output path) and one after it started,
# hushed (a file that is not a model). Every message is checked in-process above.
SCRIPT_CASES = [0, 1, 3, 5, 22]


@pytest.mark.slow
@pytest.mark.skipif(console_script() is None, reason="the keras-lr console script is not installed")
def test_the_console_script_prints_one_line_for_a_user_error(workdir):
    cases = [ERRORS[i] for i in SCRIPT_CASES]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda case: run(case[0], workdir), cases))
    for (args, fragment), result in zip(cases, results, strict=False):
        lines = result.stderr.splitlines()
        assert (result.returncode, result.stdout, len(lines)) == (2, "", 1), (args, result.stderr)
        assert lines[0].startswith(f"keras-lr {args[0]}: ") and fragment in lines[0], (args,
                                                                                      lines[0])


@pytest.mark.slow
@pytest.mark.skipif(console_script() is None, reason="the keras-lr console script is not installed")
def test_a_successful_plot_prints_only_its_own_line(workdir):
    """From a keras-lr schedule's config: Keras, imported after keras_lr by the command, finds
    the class by its registered name (keras_lr's import hook)."""
    import json

    import keras_lr

    config = keras.saving.serialize_keras_object(keras_lr.OneCycle(0.1, 100))
    (workdir / "one_cycle.json").write_text(json.dumps(config))
    result = run(["plot", "--config", "one_cycle.json", "--steps", "200", "--output", "ok.png"],
                 workdir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == "Wrote ok.png\n"
    assert (workdir / "ok.png").stat().st_size > 0
