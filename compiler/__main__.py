"""``python -m retrograd``: the command line (see ``retrograd.cli``)."""
import sys

from retrograd.cli import main

sys.exit(main())
