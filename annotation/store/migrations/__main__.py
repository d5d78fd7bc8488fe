"""Write a new migration: `python -m annotation.store.migrations revision "what changed"`.

Autogenerates against a scratch SQLite database migrated to the current head, numbering
the file after the last one. Review the result by hand: autogenerate misses renames.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from annotation.store.db import MIGRATIONS_PATH, open_store


def write_revision(message: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    head = ScriptDirectory.from_config(config).get_current_head()
    rev_id = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            with store.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            store.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit(__doc__)
    write_revision(sys.argv[2])
