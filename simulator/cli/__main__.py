"""``python -m simulator.cli``: the ``simulate`` command run as a module."""

import sys

from simulator.cli import main

sys.exit(main())
