"""The record rule exists twice: formats.record_problem (upload) and the SQL in transform/history.py.

Each edge case below is a record's JSON text with the verdict both must give; the test runs every
case through record_problem and through curate_history, and asserts they agree with the table.
"""

from __future__ import annotations

import json

import pytest

from contracts.vintages import ACCOUNT_KINDS, EXTENDED, record_problem
from transform.history import curate_history

GOOD_TS = '"2024-05-06T18:43:02Z"'
GOOD_END = '"2024-05-06 18:43"'

# (record JSON text, expected reason or None) for extended history.
EXTENDED_CASES = [
    (f'{{"ts": {GOOD_TS}, "ms_played": 1000}}', None),
    ('{"ts": "2024-05-06 18:43:02Z", "ms_played": 1}', None),  # space separator
    ('{"ts": "2024-05-06T18:43:02", "ms_played": 1}', None),  # no Z
    ('{"ts": "2024-05-06T18:43:02.5Z", "ms_played": 1}', None),  # fractional seconds
    ('{"ts": "2024-05-06T18:43:02.123456Z", "ms_played": 1}', None),
    ('{"ts": "2024-05-06T18:43:02.1234567Z", "ms_played": 1}', "bad ts"),  # 7 digits
    ('{"ts": "2024-05-06T18:43:02+00:00", "ms_played": 1}', "bad ts"),  # offset, not Z
    ('{"ts": "2024-05-06T18:43:02z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-05-06t18:43:02Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-05-06", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-5-06T18:43:02Z", "ms_played": 1}', "bad ts"),
    ('{"ts": " 2024-05-06T18:43:02Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-05-06T18:43:02Z\\n", "ms_played": 1}', "bad ts"),  # trailing newline
    ('{"ts": "\\u0662\\u0660\\u0662\\u0664-05-06T18:43:02Z", "ms_played": 1}', "bad ts"),  # Arabic digits
    ('{"ts": "2024-05-06T18:43:02.\\u0665Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-13-01T00:00:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-04-31T00:00:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2023-02-29T00:00:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-02-29T00:00:00Z", "ms_played": 1}', None),  # leap day
    ('{"ts": "2024-01-01T24:00:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-01-01T23:60:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "2024-01-01T23:59:60Z", "ms_played": 1}', "bad ts"),  # leap second
    ('{"ts": "0000-01-01T00:00:00Z", "ms_played": 1}', "bad ts"),
    ('{"ts": "0001-01-01T00:00:00Z", "ms_played": 1}', None),
    ('{"ts": "9999-12-31T23:59:59Z", "ms_played": 1}', None),
    ('{"ts": "", "ms_played": 1}', "bad ts"),
    ('{"ts": 1714999382, "ms_played": 1}', "bad ts"),
    ('{"ts": true, "ms_played": 1}', "bad ts"),
    ('{"ts": false, "ms_played": 1}', "bad ts"),
    ('{"ts": {"a": 1}, "ms_played": 1}', "bad ts"),
    ('{"ts": ["2024-05-06T18:43:02Z"], "ms_played": 1}', "bad ts"),
    ('{"ts": null, "ms_played": 1}', "missing ts"),
    ('{"ms_played": 1}', "missing ts"),
    ('{"TS": "2024-05-06T18:43:02Z", "ms_played": 1}', "missing ts"),  # keys are case-sensitive
    ("{}", "missing ts"),
    ('{"ts": "nope", "ms_played": -1}', "bad ts"),  # the time is checked first
    (f'{{"ts": {GOOD_TS}}}', "missing ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": null}}', "missing ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 0}}', None),
    (f'{{"ts": {GOOD_TS}, "ms_played": -0}}', None),
    (f'{{"ts": {GOOD_TS}, "ms_played": -1}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": true}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": false}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 1.0}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 1.5}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 1e3}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": "1000"}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": [1000]}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": {{"ms": 1}}}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 9223372036854775807}}', None),  # int64 max
    (f'{{"ts": {GOOD_TS}, "ms_played": 9223372036854775808}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 18446744073709551616}}', "bad ms_played"),
    (f'{{"ts": {GOOD_TS}, "ms_played": 1000, "ms_played_extra": "x", "username": "u"}}', None),
]

# (record JSON text, expected reason or None) for every account-data kind.
ACCOUNT_CASES = [
    (f'{{"endTime": {GOOD_END}, "msPlayed": 216783}}', None),
    (f'{{"endTime": {GOOD_END}, "artistName": "A", "trackName": "T", "msPlayed": 0}}', None),
    ('{"endTime": "2024-05-06T18:43", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-05-06 18:43:00", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-05-06 18:43Z", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-05-06", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-13-01 00:00", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-02-30 00:00", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-01-01 24:00", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-01-01 12:60", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "0000-01-01 00:00", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": "2024-01-01 12:00\\n", "msPlayed": 1}', "bad endTime"),
    ('{"endTime": 202401011200, "msPlayed": 1}', "bad endTime"),
    ('{"endTime": true, "msPlayed": 1}', "bad endTime"),
    ('{"endTime": null, "msPlayed": 1}', "missing endTime"),
    ('{"msPlayed": 1}', "missing endTime"),
    ('{"ts": "2024-05-06T18:43:02Z", "ms_played": 1}', "missing endTime"),  # extended record
    (f'{{"endTime": {GOOD_END}}}', "missing msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": null}}', "missing msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": -5}}', "bad msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": true}}', "bad msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": 2.0}}', "bad msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": "2"}}', "bad msPlayed"),
    (f'{{"endTime": {GOOD_END}, "msPlayed": 99999999999999999999}}', "bad msPlayed"),
]


def _sql_verdicts(tmp_path, kind: str, cases) -> dict[int, str | None]:
    """Run all cases as one file through curate_history: record index → reason (None = a stream)."""
    path = tmp_path / f"{kind}.json"
    path.write_text("[" + ",\n".join(text for text, _ in cases) + "]", encoding="utf-8")
    streams, rejects = curate_history(path, kind, "u", f"up/{kind}/{path.name}")
    verdicts: dict[int, str | None] = dict(
        zip(rejects["record_index"].to_pylist(), rejects["reason"].to_pylist(), strict=True)
    )
    assert streams.num_rows + rejects.num_rows == len(cases)
    for index in range(len(cases)):
        verdicts.setdefault(index, None)
    return verdicts


def test_extended_records_are_judged_the_same_by_the_upload_check_and_by_curation(tmp_path):
    sql = _sql_verdicts(tmp_path, EXTENDED, EXTENDED_CASES)
    for index, (text, expected) in enumerate(EXTENDED_CASES):
        assert record_problem(EXTENDED, json.loads(text)) == expected, text
        assert sql[index] == expected, text


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_account_records_are_judged_the_same_by_the_upload_check_and_by_curation(tmp_path, kind):
    sql = _sql_verdicts(tmp_path, kind, ACCOUNT_CASES)
    for index, (text, expected) in enumerate(ACCOUNT_CASES):
        assert record_problem(kind, json.loads(text)) == expected, text
        assert sql[index] == expected, text


def test_valid_streams_keep_file_order(tmp_path):
    """Streams come out in file order, so record positions and stream rows line up."""
    sql = _sql_verdicts(tmp_path, EXTENDED, EXTENDED_CASES)
    path = tmp_path / f"{EXTENDED}.json"
    streams, _ = curate_history(path, EXTENDED, "u", "o")
    expected_ms = [
        json.loads(text)["ms_played"] for index, (text, _) in enumerate(EXTENDED_CASES) if sql[index] is None
    ]
    assert streams["ms_played"].to_pylist() == expected_ms


@pytest.mark.parametrize(
    "text",
    [
        "[null]",
        f'[{{"ts": {GOOD_TS}, "ms_played": 1}}, null]',
        f'[{{"ts": {GOOD_TS}, "ms_played": 1}}, 5]',
        f'[{{"ts": {GOOD_TS}, "ms_played": 1}}, "x"]',
        f'[{{"ts": {GOOD_TS}, "ms_played": 1}}, [1]]',
    ],
)
def test_non_object_elements_refuse_the_file(tmp_path, text):
    """record_problem says "not an object"; the upload stage refuses such files, and so does curation."""
    assert record_problem(EXTENDED, json.loads(text)[-1]) == "not an object"
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="not a JSON array of objects"):
        curate_history(path, EXTENDED, "u", "up/extended/x.json")
