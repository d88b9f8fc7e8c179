"""The `keras-lr` command prints only its own output: the backend's start-up logs are hushed.

TensorFlow's C++ code logs at import (oneDNN, CUDA, CPU features) through absl,
which writes before `TF_CPP_MIN_LOG_LEVEL` is read and ignores it, and again
when its runtime starts (a failed CUDA probe is logged as an error on a
machine without a GPU). So when the package is imported by the command, and
only then, the backend is imported and started with the process's stderr
(file descriptor 2) pointed at the null device; it is restored before
anything else runs, so Python errors (an import that fails included) and
everything later still reach the terminal. Set `KERAS_LR_BACKEND_LOGS=1` to
see the start-up logs.
"""

import os
import sys


def running_as_command():
    """Whether this process is the `keras-lr` command (or `python -m keras_lr`)."""
    argv = getattr(sys, "argv", None) or [""]
    if os.path.basename(argv[0]) == "keras-lr":
        return True
    # While `python -m keras_lr` locates the package, argv[0] is "-m".
    orig = getattr(sys, "orig_argv", [])
    return argv[0] == "-m" and "-m" in orig and orig[orig.index("-m") + 1:][:1] == ["keras_lr"]


def quiet_startup():
    """Import Keras (and its backend) with the C++ start-up logs silenced."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's INFO and WARNING, not ERROR
    if os.environ.get("KERAS_LR_BACKEND_LOGS") or "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        try:
            import keras

            keras.ops.zeros(())  # the runtime starts: device probing logs too (no GPU: cuInit)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
    finally:
        os.close(saved)
    try:
        from absl import logging as absl_logging
    except ImportError:  # another backend, without absl
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
