"""`python -m scripts.loadtest` (from the repository root) or `python scripts/loadtest`."""

import sys
from pathlib import Path

if __package__:
    from .cli import main
else:  # run as a folder: its parent holds the package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from loadtest.cli import main

sys.exit(main())
