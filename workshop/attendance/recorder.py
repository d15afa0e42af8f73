"""Placeholder: the live recorder."""


def init_app(app) -> None:
    pass
