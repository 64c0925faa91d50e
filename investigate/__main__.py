"""``python -m investigate ...`` runs the command line, as the ``investigate`` script does."""

import sys

from investigate.cli import main

if __name__ == "__main__":
    sys.exit(main())
