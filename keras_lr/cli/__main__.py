"""`python -m keras_lr.cli` is the `keras-lr` command (as `python -m keras_lr` is)."""

import sys

from keras_lr.cli import main

sys.exit(main())
