"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from contracts.layout import DEFAULT_USER, USER_LABEL
from settings import Settings


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2.

    Defined here, not in __main__: `python -m cli` runs __main__ as a second module object,
    and a class defined there would not match the one the commands raise.
    """


def add_lake_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", metavar="DIR", help="folder lake (default ./.lake, or LAKE_DIR)")


def add_user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", default=DEFAULT_USER, metavar="NAME", help=f"whose history (default {DEFAULT_USER!r})"
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings object from the environment, with the command line's --lake on top."""
    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise UserError(str(error)) from None
    if getattr(args, "lake", None):
        settings = settings.with_lake_dir(args.lake)
    return settings


def check_user(name: str) -> str:
    if not USER_LABEL.fullmatch(name):
        raise UserError(f"--user must be 1-64 letters, digits, '.', '_' or '-', not {name!r}")
    return name
