"""``python -m investigate ...`` runs the command line, as the ``investigate`` script does."""

from investigate.cli.console import main

if __name__ == "__main__":
    main()
