"""Options and helpers shared by the sub-commands: one parser for dates, one line for every mistake."""

from __future__ import annotations

import argparse
import codecs
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from contracts.layout import DEFAULT_USER, USER_LABEL
from settings import Settings

if TYPE_CHECKING:
    from load.local_time import HomeZone
    from load.period import Period


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2.

    Defined here, not in __main__: `python -m cli` runs __main__ as a second module object,
    and a class defined there would not match the one the commands raise.
    """


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line on stderr (exit 2), not the usage block.

    Sub-command parsers are of the same class (argparse makes them with the parent's class).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def add_lake_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", metavar="DIR", help="folder lake (default ./.lake, or LAKE_DIR)")


def add_user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", default=DEFAULT_USER, metavar="NAME", help=f"whose history (default {DEFAULT_USER!r})"
    )


# Every date option of every command goes through these (period_from): 2024-01-05, 2024-1-5 and
# 20240105 are the same day; anything else is refused naming the format.
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})(\d{2})(\d{2})", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})|(\d{4})(\d{2})", re.ASCII)
_YEAR = re.compile(r"\d{4}", re.ASCII)
DAY_FORMAT = "a date like 2024-01-31 (or 2024-1-31, 20240131)"
MONTH_FORMAT = "a month like 2025-03 (or 2025-3, 202503)"


def parse_day(text: str) -> str:
    """A day as the command line may write it, as ISO `YYYY-MM-DD`; ValueError naming the format."""
    match = _DAY.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) for g in match.groups() if g is not None)
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"must be {DAY_FORMAT}, not {text!r}") from None


def parse_month(text: str) -> str:
    """A month as `YYYY-MM`; ValueError naming the format."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"must be {MONTH_FORMAT}, not {text!r}")
    year, month = (int(g) for g in match.groups() if g is not None)
    if not 1 <= month <= 12:
        raise ValueError(f"must be {MONTH_FORMAT}, not {text!r}")
    return f"{year:04d}-{month:02d}"


def parse_year(text: str) -> str:
    if not _YEAR.fullmatch(text.strip()):
        raise ValueError(f"must be a year like 2025, not {text!r}")
    return text.strip()


def add_period_options(parser: argparse.ArgumentParser) -> None:
    """--from/--to, --year, --month (local dates) and --tz, as `wrapped`, `report` and `modes` take them."""
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day, inclusive")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, inclusive")
    parser.add_argument("--year", metavar="YYYY", help="a whole year (instead of --from/--to)")
    parser.add_argument("--month", metavar="YYYY-MM", help="a whole month (instead of --from/--to)")
    parser.add_argument(
        "--tz",
        metavar="ZONE",
        help="your home time zone, an IANA name such as Europe/Berlin (default USER_TIME_ZONE, else UTC);"
        " dates and hours are local to it",
    )


def period_from(args: argparse.Namespace) -> tuple[Period, HomeZone]:
    """The period and home zone the command line asks for (one-line UserError when it is wrong)."""
    from load.local_time import HomeZone  # lazy: other commands stay fast
    from load.period import Period

    dates: dict[str, str | None] = {}
    for option, attribute, parse in (
        ("--from", "date_from", parse_day),
        ("--to", "date_to", parse_day),
        ("--year", "year", parse_year),
        ("--month", "month", parse_month),
    ):
        value = getattr(args, attribute)
        try:
            dates[attribute] = None if value is None else parse(value)
        except ValueError as error:
            raise UserError(f"{option} {error}") from None
    try:
        period = Period.parse(dates["date_from"], dates["date_to"], dates["year"], dates["month"])
        home = HomeZone.of(args.tz or settings_from(args).user_time_zone)
    except ValueError as error:
        raise UserError(str(error)) from None
    return period, home


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings object from the environment, with the command line's --lake on top."""
    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise UserError(str(error)) from None
    if getattr(args, "lake", None):
        settings = settings.with_lake_dir(args.lake)
    if hasattr(args, "lake") and settings.lake_dir.exists() and not settings.lake_dir.is_dir():
        named = "--lake" if args.lake else "LAKE_DIR"
        raise UserError(
            f"{named} {settings.lake_dir} is a file, not a folder: name the lake's folder "
            "(a new one is made by the first ingest)"
        )
    return settings


def check_user(name: str) -> str:
    if not USER_LABEL.fullmatch(name):
        raise UserError(f"--user must be 1-64 letters, digits, '.', '_' or '-', not {name!r}")
    return name


def require_lake(settings: Settings, writes: bool = False) -> None:
    """What reading the warehouse needs: a lake that exists, or the deployed app's key.

    Reading must not create a lake (or a new pseudonymisation key) at a mistyped path; against the
    deployed warehouse, a key generated here would match nobody (an empty summary). A command that
    `writes` results for the warehouse to load (the analyses) needs the lake Synapse reads from.
    """
    if writes and settings.warehouse == "synapse" and not settings.uses_storage_account:
        raise UserError(
            "WAREHOUSE=synapse loads from the deployed lake: set DataLake__blobServiceUri and "
            "DataLake__queueServiceUri (azd env get-values) so the results land where Synapse reads"
        )
    if settings.warehouse == "synapse" and not (settings.user_id_key or settings.uses_storage_account):
        raise UserError(
            "WAREHOUSE=synapse needs the app's USER_ID_KEY (azd env get-value USER_ID_KEY), or "
            "DataLake__blobServiceUri naming the lake that holds the key the app generated"
        )
    # The deployed warehouse with the app's key needs no local lake.
    local = settings.warehouse != "synapse" and not settings.uses_storage_account
    if local and not settings.lake_dir.is_dir():
        raise UserError(f"no lake at {settings.lake_dir}: ingest an export first (python -m cli ingest ...)")


def refusal_line(settings: Settings, source: Path, refused) -> str:
    """The one line a refused upload prints: the user's own file name, the reason, where the copy is.

    The lake names an upload by its content (`<hash>-my_spotify_data.zip`); that name is the lake's,
    never shown. The quarantine folder is printed whole (an absolute path for a folder lake).
    """
    from contracts.layout import QUARANTINE_CONTAINER  # lazy: only a refusal needs it
    from storage import open_lake

    reason = re.sub(rf"\b[0-9a-f]{{8,64}}-(?={re.escape(source.name)})", "", str(refused))
    reason = reason.removeprefix(f"{source.name}: ")  # the line names the file already
    line = f"error: {source.name}: refused: {reason}"
    if refused.upload_id:
        where = open_lake(settings).url(QUARANTINE_CONTAINER, refused.upload_id)
        line += f"; kept with its reason.json in {where}"
    return line


# Text that a terminal or file without UTF-8 cannot take (PYTHONIOENCODING=ascii, a latin-1 locale):
# readable ASCII instead of a UnicodeEncodeError. Only called for characters the encoding lacks.
ASCII_FALLBACK = {
    "→": "->",
    "←": "<-",
    "≥": ">=",
    "≤": "<=",
    "·": "-",
    "…": "...",
    "–": "-",
    "—": "-",
    "×": "x",
    "²": "2",
    "░": ":",
    "▒": "=",
    "▓": "%",
    "█": "#",
    "’": "'",
    "“": '"',
    "”": '"',
}
FALLBACK_ERRORS = "cli-ascii-fallback"


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
        out.append(ASCII_FALLBACK.get(char) or plain or "?")
    return "".join(out), error.end


codecs.register_error(FALLBACK_ERRORS, _ascii_fallback)


def tolerate_output_encoding() -> None:
    """Make stdout and stderr write what their encoding lacks as ASCII, instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding not in ("utf8", "utf8sig"):
            reconfigure(errors=FALLBACK_ERRORS)
