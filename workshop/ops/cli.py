"""``flask backup DIR`` and ``flask restore DIR``."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from workshop.ops.backup import BackupError, backup, read_manifest, restore


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """Save the database and the uploads folder into DESTINATION (a new or empty folder)."""
    try:
        manifest = backup(destination)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the {manifest.database} database and {manifest.files} uploaded files to {destination}.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database and the uploads folder with the backup in SOURCE. Stop the workers first."""
    try:
        manifest = read_manifest(source)
        if not yes:
            click.confirm(f"Replace this instance's database and uploads with the backup of {manifest.created_at}?",
                          abort=True)
        restore(source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored the backup of {manifest.created_at} ({manifest.files} uploaded files).")
