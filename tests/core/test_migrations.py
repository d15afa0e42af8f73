"""``flask db upgrade`` builds the whole schema from nothing, matching the models, on both backends."""


import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from workshop import create_app
from workshop.app import MIGRATIONS
from workshop.db import db










def test_upgrade_builds_the_schema_the_models_describe(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading"})
    with app.app_context():
        try:
            assert inspect(db.engine).get_table_names() == []
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                assert set(db.metadata.tables) <= tables
                for name, table in db.metadata.tables.items():
                    columns = {column["name"] for column in inspect(connection).get_columns(name)}
                    assert columns == set(table.columns.keys()), name
                differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
                assert differences == []
                if connection.dialect.name == "sqlite":  # what autogenerate does not compare
                    assert _without_rowid(connection) == {
                        name for name, table in db.metadata.tables.items()
                        if table.dialect_options["sqlite"]["with_rowid"] is False}
                head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert head == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        finally:
            db.engine.dispose()


def _without_rowid(connection) -> set[str]:
    return set(connection.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'")).scalars())


def test_upgrade_twice_is_harmless(empty_sqlite, keep_loggers):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_sqlite, "ASYNC_MODE": "threading"})
    with app.app_context():
        try:
            flask_migrate.upgrade()
            flask_migrate.upgrade()
            assert "person" in inspect(db.engine).get_table_names()
        finally:
            db.engine.dispose()
