"""Database object, declarative base and the UTC datetime column type."""

import enum
from datetime import datetime, timezone
from itertools import chain

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


class NaiveDatetimeError(ValueError):
    """A datetime without a timezone reached the database layer."""


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC.

    SQLite has no timezone type, so values are normalised to UTC on the way
    in and marked UTC on the way out. A naive datetime is refused: its zone
    is a guess, and a guessed zone is how a session gets missed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        _refuse_naive(value)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _refuse_naive(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"naive datetime {value!r} refused: give it a timezone")


@event.listens_for(Session, "before_flush")
def _refuse_naive_before_flush(session, flush_context, instances):
    """Check model datetimes before any SQL is sent.

    The column type checks too, but SQLAlchemy wraps what it raises in a
    StatementError; from here callers get NaiveDatetimeError itself.
    """
    for obj in chain(session.new, session.dirty):
        state = inspect(obj)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if value is not None and isinstance(attribute.columns[0].type, UTCDateTime):
                _refuse_naive(value)


def string_enum(kind: type[enum.Enum]) -> Enum:
    """An enum column stored as its values in a short string with a CHECK constraint, the same on every database."""
    return Enum(kind, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [m.value for m in members])


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    """WAL lets readers run beside a writer; the busy timeout makes a writer wait instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
