"""Where runs execute. ``base`` defines the interface (submit / poll / cancel); ``local`` runs them
as subprocesses of this process. An executor only starts, watches and stops processes: the runner
prepares each run directory before ``submit`` and writes the record after the outcome comes back."""

# Import from the modules (``executors.base``, ``executors.local``): the package itself imports
# nothing, so a command that only registers ``--executor`` does not load the process machinery.
