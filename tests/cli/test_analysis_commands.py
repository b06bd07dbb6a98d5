"""`modes` and `charts model` on the command line: what they print, store, and refuse in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.__main__ import main
from samples.generate.charts import write_charts

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "my_spotify_data.zip"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory):
    """The bundled sample export (the one `make demo` ingests), in a lake of its own."""
    lake = tmp_path_factory.mktemp("sample") / "lake"
    assert main(["ingest", str(SAMPLE), "--lake", str(lake)]) == 0
    return lake


def test_modes_prints_plain_word_modes_and_wrapped_and_the_report_show_them(sample_lake, capsys, tmp_path):
    code, out, err = run(capsys, "modes", "--lake", sample_lake, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert 2 <= len(result["modes"]) <= 8 and result["sessions"] > 1000
    assert sum(m["sessions"] for m in result["modes"]) == result["sessions"]
    assert "at least 5 listeners" in result["segments"]["skipped"]
    code, text, _ = run(capsys, "modes", "--lake", sample_lake)
    assert code == 0 and text.startswith("Listening modes of me, the start to the end (UTC):")
    assert "Listener segments: not computed: segmenting listeners needs at least 5 listeners" in text
    _, out, _ = run(capsys, "wrapped", "--json", "--lake", sample_lake)
    shown = json.loads(out)["listening_modes"]
    assert [m["label"] for m in shown["modes"]] == [m["label"] for m in result["modes"]]
    assert [m["sessions"] for m in shown["modes"]] == [m["sessions"] for m in result["modes"]]
    _, text, _ = run(capsys, "wrapped", "--lake", sample_lake)
    assert "\nListening modes (" in text and result["modes"][0]["label"] in text
    page = tmp_path / "r.html"
    assert run(capsys, "report", "--lake", sample_lake, "--out", page)[0] == 0
    assert 'data-chart="modes"' in page.read_text()


def test_modes_refuses_a_period_with_too_few_sessions_in_one_line(sample_lake, capsys):
    code, out, err = run(capsys, "modes", "--lake", sample_lake, "--from", "2099-01-01")
    assert code == 2 and out == ""
    assert err == "error: listening modes need at least 20 sessions; the period has 0\n"


def test_charts_model_without_charts_or_a_lake_says_what_to_do(sample_lake, capsys, tmp_path):
    code, _, err = run(capsys, "charts", "model", "--lake", sample_lake)
    assert code == 2 and err.startswith("error: no Top 200 chart entries are loaded") and err.count("\n") == 1
    code, _, err = run(capsys, "charts", "model", "--lake", tmp_path / "nowhere")
    assert code == 2 and "no lake at" in err and not (tmp_path / "nowhere").exists()
    code, _, err = run(capsys, "charts", "model", "--lake", sample_lake, "--horizon", "3")
    assert code == 2 and "--horizon must be at least 7 days" in err


def test_charts_model_trains_reports_against_the_baseline_and_wrapped_gains_nothing_it_cannot_back(
    tmp_path, capsys
):
    charts = tmp_path / "charts.csv"
    write_charts(charts, 4 * 250 * 100, seed=5, regions=4)
    lake = tmp_path / "lake"
    assert run(capsys, "ingest", charts, "--lake", lake)[0] == 0
    code, out, err = run(capsys, "charts", "model", "--lake", lake, "--horizon", "30")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("hit model ") and "4 regions" in lines[0]
    assert lines[2].startswith("  peak rank      model R² ") and "baseline (its rank on day 7)" in lines[2]
    assert lines[3].startswith("  days on chart  model R² ")
    assert "beats the baseline" in lines[2] and "fact_chart_prediction" in lines[4]
    assert (lake / "models" / "hit-model").is_dir()
    # No personal history in this lake: wrapped has no chart figures to show, so none appear.
    _, out, _ = run(capsys, "wrapped", "--json", "--lake", lake)
    assert "ahead_of_charts" not in json.loads(out)
