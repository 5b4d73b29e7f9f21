"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import sys

from tfc_training import ConfigurationError, create_app

#: gunicorn's own exit status for "the application failed to load" (its
#: ``APP_LOAD_ERROR``), so not to be tidied into 1: its master reads it and then
#: stops, instead of starting new workers that fail the same way forever. Any
#: status other than 0 tells a shell or cron that a ``flask`` command failed.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigurationError as error:
    # A setting to fix is not a bug: say which one in a line, without a traceback.
    print(f"tfc-training cannot start: {error}", file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)
