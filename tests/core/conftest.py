"""An app without tables, for tests of static files and headers."""

import pytest


@pytest.fixture(scope="module")
def plain_app():
    """An app whose database has no tables, for tests that must not need one (static files, headers)."""
    from workshop import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "threading", "TESTING": True})


@pytest.fixture
def plain_client(plain_app):
    return plain_app.test_client()
