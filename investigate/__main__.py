"""``python -m investigate ...`` runs the command line, as the ``investigate`` script does."""

from investigate.console import main

if __name__ == "__main__":
    main()
