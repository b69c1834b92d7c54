"""Create or upgrade the notes database: ``python -m schoolnotes.migrate [--data-dir DIR]``.

Idempotent, so it can run after every install and upgrade (sneakpack's ``post-install``).
"""

import argparse
import os
import sqlite3
import sys

from schoolnotes.config import data_dir, db_path

WELCOME_TITLE = "Welcome to School Notes"
WELCOME_BODY = """This board was installed by **sneakpack** -- no internet needed.

- Write a note with the form below
- Notes are kept in the "data" folder, which upgrades never touch"""

# Each entry moves the schema one version up; never edit an entry once released.
MIGRATIONS = (
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created TEXT NOT NULL DEFAULT (datetime('now'))
    )""",
)


def migrate(path):
    """Bring the database at `path` to the latest schema; return (from_version, to_version)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        with conn:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for sql in MIGRATIONS[current:]:
                conn.execute(sql)
            conn.execute("PRAGMA user_version = %d" % len(MIGRATIONS))
            if conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0:
                conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (WELCOME_TITLE, WELCOME_BODY))
        return current, len(MIGRATIONS)
    finally:
        conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="schoolnotes-migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="the data folder (default: $SCHOOLNOTES_DATA_DIR, else ./data)")
    args = parser.parse_args(argv)
    path = db_path(args.data_dir)
    before, after = migrate(path)
    print("schoolnotes: database %s at schema %d (was %d)" % (path, after, before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
