"""The browser benchmark's pure parts (its timings are measured by running it, never asserted)."""
from __future__ import annotations

import pytest

from fgnn.benchmarks.browser import (
    GOAL_RATIOS,
    METRICS,
    REFERENCE_FOR,
    REFERENCE_PAGE,
    format_result,
    goals_met,
    main,
    ratios,
    summarise,
)

REFERENCE = {"cold_load_ms": {"median": 1000.0, "p90": 1100.0, "n": 2},
             "rerun_ms": {"median": 200.0, "p90": 250.0, "n": 2}, "points": 600}


def test_summarise_is_median_and_interpolated_p90():
    assert summarise([100, 300, 200]) == {"median": 200.0, "p90": 280.0, "n": 3}
    assert summarise([50.0]) == {"median": 50.0, "p90": 50.0, "n": 1}


def test_format_result_names_every_metric_and_the_load():
    result = {m: summarise([10, 20]) for m in METRICS}
    result["server_first_load_ms"] = 1234.0
    result["inspect_first_ms"] = 25678.0
    result["setup"] = {"dataset": "d", "checkpoint": "c", "repeats": 2, "cpus": 2,
                       "load_avg_before": [1.5, 1, 1], "load_avg_after": [2.5, 1, 1]}
    text = format_result(result)
    for m in METRICS:
        assert m[:-3] in text
    assert "load average 1.5 before / 2.5 after" in text
    assert "Inspect, first visit (every test pair ranked): 25678 ms" in text


def test_bad_arguments_are_refused_before_anything_starts(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--repeats", "0"])
    assert "--repeats must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--settle-ms", "-5"])
    assert "--settle-ms must be 0 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--checkpoint", str(tmp_path / "nope.pt")])
    assert "no such file" in capsys.readouterr().err


def test_ratios_divide_a_load_by_the_reference_load_and_an_interaction_by_its_rerun():
    result = {m: summarise([400, 400]) for m in METRICS}
    result["cold_load_ms"] = summarise([2500, 2500])
    result["inspect_first_ms"] = 10_000.0
    r = ratios(result, REFERENCE)
    assert r["cold_load_ms"] == 2.5  # 2,500 / 1,000
    assert r["map_click_ms"] == 2.0 and r["inspect_revisit_ms"] == 2.0  # 400 / 200
    assert r["inspect_first_ms"] == 50.0  # a number, not a summary
    assert set(r) == set(REFERENCE_FOR)
    assert ratios({"map_click_ms": {"median": 1234.5}}, REFERENCE) == {"map_click_ms": 6.17}  # 2 decimals


def test_no_ratio_without_a_figure_or_a_positive_reference():
    result = {"map_click_ms": {"median": 300.0}, "cold_load_ms": {"median": 2000.0}}
    assert ratios(result, {}) == {}
    assert ratios(result, {"rerun_ms": {"median": 0.0}, "cold_load_ms": {"median": 500.0}}) == {"cold_load_ms": 4.0}
    assert ratios({}, REFERENCE) == {}


def test_goals_are_ratios_and_say_whether_each_is_met():
    assert set(GOAL_RATIOS) <= set(REFERENCE_FOR) and all(g > 0 for g in GOAL_RATIOS.values())
    met = goals_met({"map_click_ms": GOAL_RATIOS["map_click_ms"], "view_switch_ms": GOAL_RATIOS["view_switch_ms"] + 0.01})
    assert met == {"map_click_ms": True, "view_switch_ms": False}  # a goal is met at equality


def test_format_result_puts_the_reference_and_the_ratio_beside_each_figure():
    result = {m: summarise([400, 400]) for m in METRICS}
    result["server_first_load_ms"] = 1234.0
    result["inspect_first_ms"] = 10_000.0
    result["reference"] = REFERENCE
    result["setup"] = {"dataset": "d", "checkpoint": "c", "repeats": 2, "cpus": 2,
                       "load_avg_before": [1.5, 1, 1], "load_avg_after": [2.5, 1, 1]}
    lines = format_result(result).splitlines()
    map_line = next(line for line in lines if line.split()[0] == "map_click")
    assert map_line.split()[1:6] == ["400", "400", "2", "200", "2.00x"]
    assert f"<= {GOAL_RATIOS['map_click_ms']:g}x" in map_line
    assert "  Inspect, first visit (every test pair ranked): 10000 ms (50.0x the reference rerun)" in lines
    assert any("reference page (600 points, one selectbox): cold load 1000 ms, rerun 200 ms" in line for line in lines)


def test_the_reference_page_is_a_file_of_the_package():
    assert REFERENCE_PAGE.is_file() and REFERENCE_PAGE.parent.name == "benchmarks"
    assert "FGNN_REFERENCE_POINTS" in REFERENCE_PAGE.read_text()
