import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

from tfc_training.caching.versions import raise_version

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Keep the loggers the application already set up: without this, running the
# migrations from inside a process (the tests, a command) would silence them.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    # A copy: the callback set below belongs to this run only, and a process that
    # migrates several times (the tests) must not gather one per run.
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    applied = []

    def note_applied(*, step, **kwargs):
        # A stamp only writes down a revision; it changes neither schema nor data.
        if step.is_migration:
            applied.append(step)

    conf_args["on_version_apply"] = note_applied

    connectable = get_engine()

    try:
        with connectable.connect() as connection:
            context.configure(
                connection=connection, target_metadata=get_metadata(), **conf_args
            )

            with (
                sqlite_foreign_keys_deferred(connection),
                context.begin_transaction(),
            ):
                context.run_migrations()
    finally:
        # Also after a failure: the steps before it may have been committed.
        if applied:
            data_changed_behind_the_sessions()


def data_changed_behind_the_sessions():
    """Tell every worker that the data changed, so that none goes on handing out
    pages and feed answers it kept from before the migrations.

    The migrations write through no session, so nothing else raises the data
    version for them. A Redis that is not configured or cannot be reached leaves
    the upgrade done: what the workers kept then expires within a minute.
    """
    if raise_version():
        logger.info("Data version raised after the migrations.")


@contextmanager
def sqlite_foreign_keys_deferred(connection):
    """Switch SQLite's foreign keys off while the migrations run, and check them after.

    SQLite changes a table by copying it into a new one and dropping the old; with
    foreign keys on, dropping a table that other rows refer to fails, so a database
    holding data could not be upgraded or downgraded. The pragma only takes effect
    outside a transaction, hence on the driver's connection before anything begins.
    """
    if connection.dialect.name != "sqlite":
        yield
        return

    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(
                f"the migrations left {len(broken)} rows whose foreign keys point"
                f" nowhere, first in table {broken[0][0]!r}"
            )
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
