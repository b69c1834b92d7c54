"""Where the app keeps its data.

Installed by sneakpack, the data folder is ``PREFIX/schoolnotes/data``: it survives upgrades and
rollbacks, while the code lives in a release folder that is replaced. sneakpack tells the app
where it is through ``SCHOOLNOTES_DATA_DIR`` (named by ``data-dir-env`` in pyproject.toml's
``[tool.sneakpack]``): its launchers set it, post-install commands get it, and the release's
``env`` file holds it. ``--data-dir`` overrides it; a checkout run by hand falls back to ``./data``.
"""

import os

#: The environment variable naming the data folder.
DATA_DIR_ENV = "SCHOOLNOTES_DATA_DIR"

DB_NAME = "schoolnotes.sqlite3"


def data_dir(explicit=None):
    if explicit:
        return os.path.abspath(explicit)
    value = os.environ.get(DATA_DIR_ENV)
    if value:
        return os.path.abspath(value)
    return os.path.abspath("data")


def db_path(explicit_data_dir=None):
    return os.path.join(data_dir(explicit_data_dir), DB_NAME)
