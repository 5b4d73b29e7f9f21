"""Answering from memory what the database already answered, and knowing when not to.

Every transaction that writes raises a shared *data version* once it has committed
(:mod:`.versions`). Anything kept in a worker's memory is filed under the version it
was computed at, and is used only while the version is still the same: public
pages rendered for visitors who are not logged in (:mod:`.pages`), what the
calendar feeds need to answer "not modified", and their 304 answers themselves,
which are given again before Flask is entered (:mod:`.revalidation`). The
version lives in Redis, so that every worker and every command sees a write made
by any of them; without Redis nothing is kept and every request asks the database.
"""

from . import pages, revalidation, versions


def init_app(app) -> None:
    """Connect ``app`` to the shared data version and give it room for pages and
    for the feeds' "not modified" answers."""
    versions.init_app(app)
    pages.init_app(app)
    revalidation.init_app(app)
