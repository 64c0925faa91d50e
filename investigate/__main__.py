"""``python -m investigate ...`` runs the command line, as the ``investigate`` script does."""

from investigate.cli.main import run_program

if __name__ == "__main__":
    run_program()
