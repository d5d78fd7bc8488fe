"""Prefect flows, settings and the `centinela` command line (thin shells over the library)."""
