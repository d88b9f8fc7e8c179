"""Execute the notebooks at their full budget and save them with their outputs.

The committed notebooks hold these outputs (plots as PNG), so they can be read
on a code host without running anything. CI re-executes each at the quick
budget (tests/test_notebooks.py) without saving.

    python notebooks/execute.py [NAME.ipynb ...]
"""

import os
import pathlib
import sys
import tempfile
import time

import nbclient
import nbformat

HERE = pathlib.Path(__file__).resolve().parent
# TensorFlow's C++ start-up lines (printed before TF_CPP_MIN_LOG_LEVEL is read): noise.
NOISE = ("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 ",
         "To enable the following instructions", "This TensorFlow binary is optimized")


def clean(notebook):
    """Drop TensorFlow's start-up lines from stderr and machine-specific cell metadata."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                lines = [li for li in output.text.splitlines(keepends=True)
                         if not li.startswith(NOISE)]
                if not "".join(lines).strip():
                    continue
                output.text = "".join(lines)
            kept.append(output)
        cell.outputs = kept


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    os.environ.update(env)
    os.environ.pop("KERAS_LR_NOTEBOOK_QUICK", None)  # the full budget
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:  # nothing lands next to the notebooks
        client = nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                                         resources={"metadata": {"path": work}})
        client.execute()
    notebook.metadata["keras_lr"] = {"budget": "full", "executed_by": "notebooks/execute.py"}
    clean(notebook)
    nbformat.write(notebook, path)
    print(f"{path.name}: {time.perf_counter() - start:.0f} s", flush=True)


def main():
    names = sys.argv[1:]
    paths = [HERE / n for n in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main()
