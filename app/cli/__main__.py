"""``python -m app.cli``: the ``dagport`` command."""

import sys

from app.cli import main

sys.exit(main())
