"""Start-up time of the `keras-lr` command and of `import keras_lr`, and what each imports.

Each case runs in a new process (the median of `--repeats` runs, wall clock, this machine):
the package import, `--help`, a user error in the arguments (answered before any backend
import), and, for scale, a user error that needs the backend (a corrupt file) and `import
keras` alone. The last column says whether the case imported Keras or a backend.

    python benchmarks/startup.py [--quick] [--repeats N]
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BACKENDS = ("keras", "tensorflow", "jax", "torch")
# A command run in-process by the same main() the console script calls, then the backends seen.
PROBE = """
import sys
from keras_lr.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exit_:
    status = exit_.code
print("IMPORTED", *[m for m in {backends!r} if m in sys.modules], file=sys.stderr)
"""


def command():
    exe = pathlib.Path(sys.executable).with_name("keras-lr")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "keras_lr"]


def timed(argv, cwd, env):
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one run of each case that starts no backend")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    probe = PROBE.format(backends=BACKENDS)
    cases = [
        ("python -c 'import keras_lr'", [sys.executable, "-c", "import keras_lr"], None),
        ("keras-lr --help", [*command(), "--help"], [sys.executable, "-c", probe, "--help"]),
        ("keras-lr compare --optimizers lamb (argument error)",
         [*command(), "compare", "--optimizers", "lamb"],
         [sys.executable, "-c", probe, "compare", "--optimizers", "lamb"]),
        ("keras-lr plot --config bad.json (needs the backend)",
         [*command(), "plot", "--config", "bad.json"],
         [sys.executable, "-c", probe, "plot", "--config", "bad.json"]),
        ("python -c 'import keras' (for scale)", [sys.executable, "-c", "import keras"], None),
    ]
    if args.quick:
        cases = cases[:3]
    with tempfile.TemporaryDirectory() as work:
        (pathlib.Path(work) / "bad.json").write_text("{not json")
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '(default)')}, "
              f"median of {repeats} run(s)\n")
        print("| case | seconds | imports Keras or a backend |")
        print("|---|---|---|")
        for name, argv, check in cases:
            seconds = statistics.median(timed(argv, work, env)[0] for _ in range(repeats))
            if check is None:
                check = [sys.executable, "-c", argv[-1] + "; import sys; print('IMPORTED', *["
                         f"m for m in {BACKENDS!r} if m in sys.modules], file=sys.stderr)"]
            _, done = timed(check, work, env)
            line = next((li for li in done.stderr.splitlines() if li.startswith("IMPORTED")), "")
            imported = line.split()[1:]
            print(f"| `{name}` | {seconds:.2f} | {', '.join(imported) or 'no'} |")
    if shutil.which("keras-lr") is None and command()[0] == sys.executable:
        print("\n(no keras-lr console script here: `python -m keras_lr` was timed)")


if __name__ == "__main__":
    main()
