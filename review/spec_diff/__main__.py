"""`python -m review.spec_diff`: the command line of `make diff` (see review/spec_diff/cli.py)."""

import sys

from .cli import main

sys.exit(main())
