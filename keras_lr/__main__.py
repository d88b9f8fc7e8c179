"""`python -m keras_lr` is the `keras-lr` command."""

import sys

from keras_lr.cli import main

sys.exit(main())
