"""Where the tests find Redis."""

import os

#: The local Redis, in a database of its own; tests keep their keys under a prefix.
REDIS_URL = os.environ.get("TFC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
