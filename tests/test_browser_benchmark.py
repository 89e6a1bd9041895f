"""The browser benchmark's pure parts (its timings are measured by running it, never asserted)."""
from __future__ import annotations

import pytest

from fgnn.benchmarks.browser import METRICS, format_result, main, summarise


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
