"""One module per `centinela` command; `pipelines.cli` wires them into one app."""
