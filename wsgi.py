"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from tfc_training import create_app

app = create_app()
