from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Load sample data for trying the site.")
