"""Certificates of participation: a rule over attendance, PDFs in any script with a QR code, and a public page
that verifies a certificate's code."""

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    """The blueprint, the home page's certificate section and the command that prepares the fonts."""
    from workshop.certificates import commands, models, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
    app.add_template_global(routes.certificate_section)
    app.cli.add_command(commands.certificate_fonts)
    # fpdf2 subsets every font it embeds with fontTools, which logs each table at INFO: a hundred lines a PDF.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
