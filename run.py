"""Entry point: ``python run.py [init|serve|scheduler|user add|sync-roles] --help``."""

import sys

import click
from flask.cli import ScriptInfo

from app import ConfigError, create_app
from app.cli import dms_group
from app.config import load_config


def main() -> None:
    try:
        load_config()
    except ConfigError as error:
        sys.exit(f"error: {error}")
    cli = click.Group(
        name="run.py",
        help="Dealer management platform. Every command is also available as `flask dms <command>`.",
        commands=dms_group.commands,
    )
    cli.main(prog_name="run.py", obj=ScriptInfo(create_app=create_app, load_dotenv_defaults=False))


if __name__ == "__main__":
    main()
