import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfc_training import ConfigurationError, create_app
from tfc_training.config import DEFAULT_SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_refuses_default_secret_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("TFC_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    # Named outright, since `make run` gives a checkout's instance folder a key.
    with pytest.raises(ConfigurationError, match="TFC_SECRET_KEY"):
        create_app(
            {
                "SECRET_KEY": DEFAULT_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
            }
        )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        [sys.executable, "-c", "import wsgi"],
    ],
    ids=["flask", "wsgi-import"],
)
def test_configuration_error_is_one_line_without_traceback(command, tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "FLASK_DEBUG" and not key.startswith("TFC_")
    }
    environment["TFC_SECRET_KEY"] = DEFAULT_SECRET_KEY
    environment["TFC_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/x.sqlite"

    finished = subprocess.run(
        command,
        check=False,
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # 4 is what gunicorn's master reads as "the app failed to load", and stops.
    assert finished.returncode == 4
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tfc-training cannot start: SECRET_KEY is unset")


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("TFC_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("TFC_SITE_HOST", "events.example.org")

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})

    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SITE_HOST"] == "events.example.org"


def test_test_config_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TFC_SITE_HOST", "events.example.org")

    app = create_app(
        {
            "TESTING": True,
            "SITE_HOST": "from-test-config",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
        }
    )

    assert app.config["SITE_HOST"] == "from-test-config"


def test_sqlite_pragmas(app):
    from tfc_training.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


def test_sectors_come_from_the_migration(app):
    from tfc_training.communities.models import Sector
    from tfc_training.extensions import db

    slugs = [s.slug for s in db.session.query(Sector).order_by(Sector.position)]
    assert slugs == [
        "schools",
        "local-business",
        "consumers",
        "media",
        "faith-ngo",
        "first-responders",
        "law-enforcement",
        "legislatures",
    ]
