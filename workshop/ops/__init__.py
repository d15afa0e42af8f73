"""Running it: /healthz, request logs, the graceful stop of a served worker, backup and restore."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.ops import cli, health
    from workshop.ops.lifecycle import Lifecycle
    from workshop.ops.logs import init_request_log

    app.register_blueprint(health.bp)
    init_request_log(app)
    app.extensions["lifecycle"] = Lifecycle(app)
    app.cli.add_command(cli.backup_command)
    app.cli.add_command(cli.restore_command)
