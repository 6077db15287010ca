"""skinlab: the shared core (settings, errors, the ``skinlab`` command)."""

__version__ = "0.1.0"
