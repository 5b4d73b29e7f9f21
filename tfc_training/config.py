"""Default settings.

Every key can be overridden, in this order, by the instance folder's ``config.py``,
by an environment variable with the ``TFC_`` prefix (``TFC_SITE_HOST=...``; values
are parsed as JSON where they can be, so ``TFC_PROXY_FIX=1`` is the number 1), and
finally by the ``test_config`` mapping given to :func:`tfc_training.create_app`.
"""

#: The placeholder key; the app refuses to start with it outside debug and testing.
DEFAULT_SECRET_KEY = "dev"

SECRET_KEY = DEFAULT_SECRET_KEY

#: Left empty so that the factory can point it at ``instance/tfc_training.sqlite``.
SQLALCHEMY_DATABASE_URI = None

#: Database errors must not print the values of a query: they can be a registrant's
#: name or e-mail, which never belong in a log.
SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}

#: Seconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT = 30

#: Host name used in calendar UIDs. It must never change once feeds are public,
#: or every subscriber sees each event twice.
SITE_HOST = "tfc-training.localhost"

#: Name shown in page titles and calendar names.
SITE_NAME = "TraffickFree Communities Los Angeles"

#: Trust one layer of X-Forwarded-For/-Proto/-Host/-Prefix headers.
PROXY_FIX = False

#: Languages the interface is translated into, in order of preference.
LANGUAGES = ["en"]

#: The name of the training curriculum, printed on certificates.
CURRICULUM_TITLE = "TraffickFree Communities Leader Training"

#: Events shown per page on the events list.
EVENTS_PER_PAGE = 20

#: How long past events stay in the site-wide and community feeds.
FEED_PAST_DAYS = 30

#: Time zone for events that do not name one.
DEFAULT_TIMEZONE = "America/Los_Angeles"

#: The largest request body accepted; forms are small, a CSV of events is the
#: biggest thing anyone sends.
MAX_CONTENT_LENGTH = 4 * 1024 * 1024

#: The site's public address, such as ``https://events.example.org``: every link in
#: e-mail starts with it, never with the Host header of the request that caused the
#: message, and so do links built by commands run from cron. Empty leaves it to
#: Flask's ``SERVER_NAME``.
SITE_URL = "http://127.0.0.1:5000"

#: SMTP server for outgoing e-mail. Empty writes each message as an ``.eml`` file
#: into ``MAIL_FOLDER`` instead, so that nothing is lost in development.
MAIL_SERVER = None

#: SMTP port: 25 for a relay on the same network, 587 with ``MAIL_USE_TLS``.
MAIL_PORT = 25

#: Switch the SMTP connection to TLS (STARTTLS) before logging in.
MAIL_USE_TLS = False

#: SMTP login; empty sends without logging in.
MAIL_USERNAME = None
MAIL_PASSWORD = None

#: The From of every message: an address people may reply to, or a no-reply one.
MAIL_DEFAULT_SENDER = "TraffickFree Communities <no-reply@tfc-training.localhost>"

#: Seconds to wait for the SMTP server before keeping the message for a later try.
MAIL_TIMEOUT = 5

#: Folder for ``.eml`` files when ``MAIL_SERVER`` is empty; empty means
#: ``instance/mail``.
MAIL_FOLDER = None

#: Failed attempts after which ``flask mail flush`` stops retrying a message.
MAIL_MAX_ATTEMPTS = 10

#: Send the messages a request queued from a thread of the worker once the request
#: has committed them, so that nobody waits for the mail server to be answered.
#: They are in the outbox first, so whatever that thread does not send (an error,
#: a worker killed) ``flask mail flush`` sends. False sends them in the request.
MAIL_SEND_IN_BACKGROUND = True

#: Cookies are out of reach of scripts, and Lax keeps them off requests that other
#: sites start, apart from following a plain link (from an e-mail, say).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"

#: ``None`` follows ``SITE_URL``: secure cookies for an ``https://`` site, plain
#: ones for ``make run`` on ``http://127.0.0.1``. True or false decides it outright.
SESSION_COOKIE_SECURE = None
REMEMBER_COOKIE_SECURE = None

WTF_CSRF_TIME_LIMIT = None

#: Redis shared by every worker and command, such as ``redis://127.0.0.1:6379/0``.
#: It holds the data version that lets workers reuse rendered public pages and
#: answer calendar apps' "has it changed?" without asking the database. Empty keeps
#: nothing: every request asks the database, which is right but slower. Commands
#: run from cron must be given the same value, so that their writes reach the pages.
REDIS_URL = None

#: Prefix of the keys in that Redis, so that several sites can share one.
REDIS_KEY_PREFIX = "tfc"

#: Rendered public pages each worker keeps at most (about 50 kB each), and as many
#: feed 304 answers to repeat; 0 keeps none of either.
PAGE_CACHE_SIZE = 256

#: Bytes of built public feeds each worker keeps, by ETag; 0 keeps none. A feed of
#: 750 events is about 1 MB.
FEED_CACHE_BYTES = 32 * 1024 * 1024

#: Whether sign-up, log-in and password-reset forms are rate limited. ``None`` means
#: on, except in tests, which turn it on where they test it.
RATELIMIT_ENABLED = None

#: Where the counts are kept: ``memory://`` is per process, so production with
#: several workers uses Redis, such as ``redis://127.0.0.1:6379/0``.
RATELIMIT_STORAGE_URI = "memory://"

#: Prefix of the keys in that storage, so that several sites can share one Redis.
RATELIMIT_KEY_PREFIX = "tfc"

#: If the storage cannot be reached, count in memory meanwhile and never refuse a
#: form because of it: a lost sign-up is worse than a missed limit.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True

#: Limits per client address, in Flask-Limiter's notation. Sign-ups are generous:
#: a room of people signing up together on one Wi-Fi shares one address.
RATE_LIMIT_SIGN_UP = "20 per minute; 200 per hour"
#: Only refused log-ins count; once the limit is reached, the right password waits
#: too until the period is over, or guessing could go on.
RATE_LIMIT_LOGIN = "10 per minute; 50 per hour"
#: Each request may send an e-mail, so these are the tightest.
RATE_LIMIT_PASSWORD_RESET = "5 per minute; 20 per hour"
#: The survey is answered by a whole room at once from the code shown at the door,
#: usually over the venue's one Wi-Fi address, so it allows the most.
RATE_LIMIT_SURVEY = "60 per minute; 600 per hour"
