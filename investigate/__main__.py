"""``python -m investigate ...`` runs the command line, as the ``investigate`` script does."""

from investigate.cli import entry

if __name__ == "__main__":
    entry()
