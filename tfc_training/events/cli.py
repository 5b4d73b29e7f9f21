import click
from flask.cli import AppGroup

events_cli = AppGroup("events", help="Manage events.")
