"""The per-domain escape-rate chart: bars, Wilson whiskers, untested domains, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from simulations.svg import _nice_max, domain_escape_svg

NS = "{http://www.w3.org/2000/svg}"


def rows():
    return [
        {"domain": "PSF-1", "tested": 1000, "escaped": 20, "escape_rate": 0.02, "ci95": [0.013, 0.0307]},
        {"domain": "PSF-2", "tested": 500, "escaped": 0, "escape_rate": 0.0, "ci95": [0.0, 0.0076]},
        {"domain": "PSF-3", "tested": 0, "escaped": 0, "escape_rate": None, "ci95": None},
    ]


def test_bars_whiskers_and_untested_domains():
    svg = domain_escape_svg(rows(), names={"PSF-1": "Input Governance"})
    root = ET.fromstring(svg)  # well-formed XML
    groups = root.findall(f"{NS}g")
    assert len(groups) == 2  # one per tested domain, each with its interval
    # PSF-1: a bar plus a whisker with two caps; PSF-2: no bar (no escapes), but its interval shows.
    assert len(groups[0].findall(f"{NS}rect")) == 1 and len(groups[0].findall(f"{NS}line")) == 3
    assert len(groups[1].findall(f"{NS}rect")) == 0 and len(groups[1].findall(f"{NS}line")) == 3
    assert "20 of 1,000 escaped (2.00 %; 95 % interval 1.30 % to 3.07 %)" in groups[0].find(f"{NS}title").text
    assert "PSF-1 Input Governance" in svg and "not tested by this traffic" in svg


def test_bar_lengths_follow_the_rates():
    root = ET.fromstring(domain_escape_svg(rows()))
    bar = root.findall(f"{NS}g")[0].find(f"{NS}rect")
    whisker = root.findall(f"{NS}g")[0].findall(f"{NS}line")[0]
    # Scale 0–5 % (the upper bound 3.07 % rounded up): 2 % is 40 % of the 340 px plot, from x = 230.
    assert float(bar.get("width")) == 136.0
    assert (float(whisker.get("x1")), float(whisker.get("x2"))) == (
        230 + 340 * 0.013 / 0.05,
        round(230 + 340 * 0.0307 / 0.05, 1),
    )


def test_labels_are_escaped():
    svg = domain_escape_svg(rows(), names={"PSF-1": '<script>alert("x")</script>'})
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_domain_tolerance_mark():
    svg = domain_escape_svg(rows(), tolerances={"PSF-2": 0.01})
    assert "stroke-dasharray" in svg and "tolerated: 1.00 %" in svg


def test_nice_scale():
    assert [_nice_max(x) for x in (0.0, 0.0031, 0.012, 0.03, 0.07, 0.6)] == [
        0.001,
        0.005,
        0.02,
        0.05,
        0.1,
        1.0,
    ]
