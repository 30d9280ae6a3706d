"""The ``sql`` source: one SELECT per metric against any SQLAlchemy database."""

from connectors.sql.config import SqlQuery, SqlSourceConfig
from connectors.sql.connector import SqlConnector

__all__ = ["SqlConnector", "SqlQuery", "SqlSourceConfig"]
