"""Row ids in URLs: whole numbers that the database can hold."""

from werkzeug.routing import IntegerConverter

#: The largest id an ``INTEGER`` column holds on PostgreSQL (a 32-bit signed number).
#: SQLite holds more, but the same URL must answer the same on both.
ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """Werkzeug's ``int``, held to the range of a row id.

    A larger number names no row, so the address is not found; passed on to a query
    it would fail in the database driver instead (PostgreSQL from 2**31 up, SQLite
    from 2**63 up).
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(map, *args, **kwargs)
