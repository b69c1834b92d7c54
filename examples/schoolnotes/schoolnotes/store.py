"""The notes, in SQLite."""

import os
import sqlite3


class NotMigrated(RuntimeError):
    pass


class Store:
    def __init__(self, path):
        if not os.path.exists(path):
            raise NotMigrated(
                "no database at %s; run `python -m schoolnotes.migrate --data-dir %s` first"
                % (path, os.path.dirname(path))
            )
        self.path = path

    def _connect(self):
        conn = sqlite3.connect(self.path)
        conn.row_factory = sqlite3.Row
        return conn

    def notes(self):
        conn = self._connect()
        try:
            rows = conn.execute("SELECT id, title, body, created FROM notes ORDER BY id DESC").fetchall()
            return [dict(row) for row in rows]
        finally:
            conn.close()

    def add(self, title, body):
        conn = self._connect()
        try:
            with conn:
                cur = conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (title, body))
            return cur.lastrowid
        finally:
            conn.close()
