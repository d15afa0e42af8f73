"""WSGI entry point for gunicorn: ``gunicorn -k gevent -w 1 wsgi:app`` (the gevent worker patches the stdlib)."""

from workshop import create_app

app = create_app()
