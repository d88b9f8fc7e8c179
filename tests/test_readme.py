"""README.md: every ```python block runs, and every public name is shown as code.

Blocks run in this process, each in a fresh namespace holding what the README leaves to the
reader (`model`, `x`, `y`, `x_train`, ...), in a temporary folder. A block that cannot run
(a sketch with `...`, a download) is marked by the HTML comment `<!-- not-run -->` on the line
(or lines, blank ones) right before it. Blocks that train are `slow`.
"""

import gc
import pathlib
import re
import warnings

import keras
import numpy as np
import pytest

import keras_lr

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
NOT_RUN = "<!-- not-run -->"
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```|~~~)[ \t]*(?P<info>[^\n`]*)$", re.M)


def blocks(text):
    """(first line number, info string, code, marked not-run) of each fenced block."""
    found, pos = [], 0
    while (start := FENCE.search(text, pos)) is not None:
        end = re.compile(rf"^ {{0,3}}{start['fence']}[ \t]*$", re.M).search(text, start.end())
        stop = end.start() if end else len(text)
        before = text[:start.start()].rstrip().splitlines()
        line = text.count("\n", 0, start.start()) + 1
        code = text[start.end() + 1:stop]
        found.append((line, start["info"].strip().split(" ")[0].lower(), code,
                      bool(before) and before[-1].strip() == NOT_RUN))
        pos = end.end() if end else len(text)
    return found


PYTHON = [(line, code, skip) for line, info, code, skip in blocks(README.read_text())
          if info in ("python", "py", "python3")]


# README blocks that fail today, by a snippet of their code: each is a README fix to make
# (then delete the entry). Found by this test.
KNOWN: dict[str, str] = {}  # snippet -> why its block fails (a strict xfail until fixed)


def trains(code):
    return bool(re.search(r"\.fit\(|find_lr\(|recipes\.digits\(", code))


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """The names a README block may take as given: a small classifier and its data."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3200, 8)).astype("float32")  # 100 batches of 32: `steps_per_epoch=100`
    # labels as a column: both `sparse_categorical_crossentropy` and "mse" (broadcast) take them
    y = (x[:, :1] > 0).astype("int64")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    yield {"keras": keras, "keras_lr": keras_lr, "np": np, "model": model, "x": x, "y": y,
           "x_train": x[:2400], "y_train": y[:2400], "x_val": x[2400:], "y_val": y[2400:],
           "__name__": "__readme__"}
    import matplotlib.pyplot as plt

    plt.close("all")


def test_the_readme_has_python_blocks_to_run():
    assert [line for line, _, skip in PYTHON if not skip]


@pytest.mark.parametrize(
    ("line", "code", "skip"),
    [pytest.param(*block, marks=[pytest.mark.slow] if trains(block[1]) else [])
     for block in PYTHON],
    ids=[f"README.md:{line}" for line, _, _ in PYTHON])
def test_python_block_runs(line, code, skip, reader, request):
    if skip:
        pytest.skip(f"marked {NOT_RUN}")
    for snippet, reason in KNOWN.items():
        if snippet in code:  # strict: once README is fixed, this entry must go
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    with warnings.catch_warnings(record=True) as caught:  # other warnings stay errors
        warnings.simplefilter("always", ResourceWarning)
        try:
            exec(compile(code, f"README.md:{line + 1}", "exec"), reader)
        finally:  # what the block left open is closed now, not in a later test
            reader.clear()
            gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, f"README.md:{line + 1}: a block leaves files open: {leaks}"


def test_blocks_are_found_with_their_markers():
    text = "a\n<!-- not-run -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n```bash\nz\n```\n"
    assert blocks(text) == [(3, "python", "x = 1\n", True), (7, "python", "y = 2\n", False),
                            (10, "bash", "z\n", False)]


def code_words(text):
    """Identifiers in the README's code: fenced blocks and `inline` spans."""
    code = [c for _, _, c, _ in blocks(text)]
    prose = FENCE.sub("", text)
    code += re.findall(r"`([^`\n]+)`", prose)
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(code)))


def test_readme_shows_every_public_name_as_code():
    """Each name of `keras_lr.__all__` appears as a whole identifier in code, not as a part of
    a word of prose (`attach` in "attached" does not count)."""
    words = code_words(README.read_text())
    missing = [name for name in keras_lr.__all__ if name not in words]
    assert not missing
    assert "attach" not in code_words("attached, `get_learning_rate_of`")  # the check can fail
