import pytest

from tfc_training import ConfigurationError, create_app


def test_refuses_default_secret_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("TFC_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    with pytest.raises(ConfigurationError, match="TFC_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


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
        "schools", "local-business", "consumers", "media",
        "faith-ngo", "first-responders", "law-enforcement", "legislatures",
    ]
