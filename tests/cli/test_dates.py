"""One date parser for every command: 2024-01-05, 2024-1-5 and 20240105 are the same day, on
`wrapped`, `report` and `modes` alike; anything else is refused with the format, in one line."""

from __future__ import annotations

import json

import pytest

from cli.__main__ import main
from cli.common import parse_day, parse_month, parse_year
from tests.exports import small_export

PERIOD_COMMANDS = ("wrapped", "report", "modes")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-01-05", "2024-01-05"),
        ("2024-1-5", "2024-01-05"),
        ("20240105", "2024-01-05"),
        (" 2024-12-31 ", "2024-12-31"),
        ("2024-2-29", "2024-02-29"),
    ],
)
def test_the_day_forms_that_mean_the_same_day(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize(
    "text",
    ["2024-13-01", "2023-2-29", "2024/01/05", "05.01.2024", "202415", "2024-01-05T00:00", "٢٠٢٤-٠١-٠٥", ""],
)
def test_anything_else_is_refused_naming_the_format(text):
    with pytest.raises(ValueError, match=r"must be a date like 2024-01-31 \(or 2024-1-31, 20240131\)"):
        parse_day(text)


def test_months_and_years_the_same_way():
    assert parse_month("2025-3") == parse_month("202503") == parse_month("2025-03") == "2025-03"
    assert parse_year("2025") == "2025"
    for bad in ("2025-13", "March", "25-03"):
        with pytest.raises(ValueError, match="must be a month like 2025-03"):
            parse_month(bad)
    with pytest.raises(ValueError, match="must be a year like 2025"):
        parse_year("25")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("dates")
    export = root / "export.zip"
    export.write_bytes(small_export())
    assert main(["ingest", str(export), "--lake", str(root / "lake")]) == 0
    return root / "lake"


def test_wrapped_takes_every_form_of_the_same_dates_alike(lake, capsys):
    answers = []
    for first, last in (("2024-01-01", "2024-01-02"), ("2024-1-1", "2024-1-2"), ("20240101", "20240102")):
        assert main(["wrapped", "--json", "--lake", str(lake), "--from", first, "--to", last]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    assert answers[0] == answers[1] == answers[2]
    assert (answers[0]["from"], answers[0]["to"], answers[0]["streams"]) == ("2024-01-01", "2024-01-02", 2)
    assert main(["wrapped", "--json", "--lake", str(lake), "--month", "20241"]) == 2  # not a month
    assert main(["wrapped", "--json", "--lake", str(lake), "--month", "2024-1"]) == 0
    assert json.loads(capsys.readouterr().out)["to"] == "2024-01-31"


@pytest.mark.parametrize("command", PERIOD_COMMANDS)
@pytest.mark.parametrize("value", ["2024-1-5", "20240105"])
def test_every_command_accepts_both_forms(tmp_path, capsys, command, value):
    """Accepted by the parser on each command: what is left is the missing lake, not the date."""
    code = main([command, "--from", value, "--lake", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2 and "no lake at" in err and "--from" not in err


@pytest.mark.parametrize("command", PERIOD_COMMANDS)
@pytest.mark.parametrize(
    ("option", "value"), [("--from", "2024-13-05"), ("--to", "5.1.2024"), ("--month", "3/2025")]
)
def test_every_command_refuses_a_bad_date_in_one_line_with_the_format(
    tmp_path, capsys, command, option, value
):
    code = main([command, option, value, "--lake", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {option} must be a ")
    assert "like 2024-01-31 (or 2024-1-31, 20240131)" in err or "like 2025-03 (or 2025-3, 202503)" in err
