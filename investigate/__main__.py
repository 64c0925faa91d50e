import sys

from investigate.cli import main

sys.exit(main())
