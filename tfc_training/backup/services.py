"""Copying the whole database to one file and back, with each database's own tools.

SQLite is copied page by page with its online backup API, which gives a consistent
copy while the site keeps running. PostgreSQL is dumped with ``pg_dump`` in its
custom format and read back with ``pg_restore`` in a single transaction, so that a
restore that fails changes nothing.

A backup holds every registrant's personal data: keep the file as safe as the
database itself.
"""

import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, make_url

from ..caching.versions import raise_version
from ..calendar.state import leap_past_restore
from ..extensions import db

logger = logging.getLogger(__name__)

#: The first bytes of each kind of backup file.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

#: Tables that the migrations fill themselves; rows there are not the site's data.
REFERENCE_TABLES = frozenset({"alembic_version", "feed_state", "sector"})


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass
class Restored:
    """What a restore brought back: the schema revision of the backup."""

    revision: str | None


def backup(target: Path, *, force: bool = False) -> int:
    """Write a copy of the whole database to ``target``; return its size in bytes.

    The copy is written beside ``target`` first and moved into place when it is
    complete, so an interrupted backup never leaves half a file under that name.

    :raise BackupError: when ``target`` exists and ``force`` is not given, or the
        database tools fail.
    """
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(
            f"{target} already exists. Choose another file name, or add --force to"
            " replace it."
        )
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")

    url = db.engine.url
    handle, partial = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), Path(partial))
        else:
            _pg_dump(url, Path(partial))
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)

    size = target.stat().st_size
    logger.info("backup written: %s bytes", size)
    return size


def restore(source: Path, *, force: bool = False) -> Restored:
    """Replace the whole database with the backup in ``source``.

    :raise BackupError: when the file is missing or not a backup for this kind of
        database, when the database holds data and ``force`` is not given, or when
        the database tools fail (the database is then left as it was).
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no file {source}.")

    url = db.engine.url
    backend = url.get_backend_name()
    kind = _kind_of(source)
    if kind is None:
        raise BackupError(
            f"{source} is not a backup made by this command (neither a SQLite"
            " database nor a pg_dump file in custom format)."
        )
    if kind != backend:
        raise BackupError(
            f"{source} is a {_NAMES[kind]} backup, but the site's database is"
            f" {_NAMES.get(backend, backend)}. Restore it into a database of the"
            " same kind."
        )

    held = data_held()
    if held and not force:
        counts = ", ".join(f"{table}: {rows}" for table, rows in sorted(held.items()))
        raise BackupError(
            f"The database already holds data ({counts}). Restoring replaces all of"
            " it; add --force if that is what you want."
        )

    # Every pooled connection of this process is closed first: a restore must not
    # wait behind our own idle transactions, and nothing may be kept from before.
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _pg_restore(url, source)
    db.engine.dispose()
    # The feeds' version came back with the data: calendar apps must not take the
    # feeds for unchanged when it reaches, again, a number they were given before.
    leap_past_restore()
    # The restore wrote behind every session's back: workers must drop the pages
    # and feed answers they keep from the data it replaced.
    raise_version()

    revision = _revision()
    logger.info("backup restored at revision %s", revision)
    return Restored(revision=revision)


def data_held() -> dict[str, int]:
    """The tables of the site that hold rows, with how many; empty for a new site."""
    existing = set(inspect(db.engine).get_table_names())
    held = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in REFERENCE_TABLES or table.name not in existing:
                continue
            rows = connection.scalar(select(func.count()).select_from(table))
            if rows:
                held[table.name] = rows
    return held


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _kind_of(source: Path) -> str | None:
    with source.open("rb") as file:
        start = file.read(len(SQLITE_MAGIC))
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def _revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT version_num FROM alembic_version"
        ).scalar()


# --- SQLite --------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> None:
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        # The copy stands alone: one file, without a write-ahead log beside it.
        copy.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy the database: {error}") from error
    finally:
        copy.close()
        source.close()


def _sqlite_restore(source: Path, database: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = backup_file.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source} is damaged: SQLite reports {check!r}.")
        target = sqlite3.connect(database, timeout=30)
        try:
            backup_file.backup(target)
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"SQLite could not restore {source}: {error}") from error
    finally:
        backup_file.close()


# --- PostgreSQL ----------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client programs"
            " (Debian: postgresql-client) in the version of the server or newer."
        )
    return path


def _pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq address of the database, and the environment holding its password.

    The password travels in the environment, never on the command line, where any
    user of the machine could read it.
    """
    plain = make_url(url).set(drivername="postgresql", password=None)
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    finished = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True
    )
    if finished.returncode != 0:
        detail = finished.stderr.strip() or f"exit status {finished.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _pg_dump(url: URL, target: Path) -> None:
    address, env = _pg_connection(url)
    _run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={target}", address],
        env,
        "pg_dump",
    )


def _pg_restore(url: URL, source: Path) -> None:
    address, env = _pg_connection(url)
    _run([_pg_tool("pg_restore"), "--list", str(source)], env, "Reading the backup")
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={address}",
            str(source),
        ],
        env,
        "pg_restore",
    )
