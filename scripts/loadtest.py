"""GenLab's load test: `python scripts/loadtest.py --help`. The code is the package scripts/loadtest/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the folder, so `loadtest` is the package beside this file

from loadtest.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
