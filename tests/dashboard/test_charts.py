"""The SVG charts drawn from hand-built reports: the right bars and points for known numbers,
escaped labels, and an image a screen reader can name."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from dashboard.charts import (
    LEFT,
    TOP,
    members_chart,
    nice_step,
    products_chart,
    revenue_chart,
    scale,
    short_money,
)
from tests.dashboard.hand_built import realistic_report, small_report

SVG = "{http://www.w3.org/2000/svg}"
PLOT_HEIGHT = 240 - TOP - 44


def parse(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own output, no entities


def shapes(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [el for el in root.iter(SVG + tag) if el.get("class") == css]


@pytest.mark.parametrize(
    ("span", "step"), [(1, 1), (4, 1), (7, 2), (20, 5), (20_000, 5_000), (23_000, 10_000)]
)
def test_axis_steps_are_round(span, step):
    assert nice_step(span) == step


def test_the_scale_covers_zero_and_negative_values():
    assert scale([100, 20_000]) == (0, 20_000, 5_000)
    assert scale([-3_000, 9_000]) == (-5_000, 10_000, 5_000)
    assert scale([]) == (0, 1, 1)


def test_revenue_bars_and_mrr_points_for_known_numbers():
    root = parse(revenue_chart(small_report(), "EUR"))

    bars = shapes(root, "rect", "dash-bar")
    assert [bar.get("data-value") for bar in bars] == ["8000", "20000", "4000"]
    # The axis runs 0 to 20,000: the largest bar fills the plot, the others in proportion.
    heights = [float(bar.get("height")) for bar in bars]
    assert heights == pytest.approx([PLOT_HEIGHT * 0.4, PLOT_HEIGHT, PLOT_HEIGHT * 0.2], abs=0.1)
    bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars}
    assert bottoms == {TOP + PLOT_HEIGHT}
    points = shapes(root, "circle", "dash-point")
    assert [point.get("data-value") for point in points] == ["4000", "5000", "3000"]
    assert float(points[1].get("cy")) == pytest.approx(TOP + PLOT_HEIGHT * 0.75, abs=0.1)
    line = shapes(root, "polyline", "dash-line")[0].get("points").split()
    assert [pair.split(",")[1] for pair in line] == [p.get("cy") for p in points]
    assert bars[1].find(SVG + "title").text == "November 2026: net revenue €200.00"
    ticks = [t.text for t in root.iter(SVG + "text") if "dash-y" in t.get("class")]
    assert ticks == ["€0", "€50", "€100", "€150", "€200"]


def test_a_refund_heavy_month_draws_below_the_axis():
    report = small_report()
    month = report.months[0]
    object.__setattr__(month.revenue, "net", {"EUR": -10_000})

    bars = shapes(parse(revenue_chart(report, "EUR")), "rect", "dash-bar")

    zero_y = float(bars[1].get("y")) + float(bars[1].get("height"))
    assert float(bars[0].get("y")) == pytest.approx(zero_y)  # hangs from the zero line
    assert float(bars[0].get("height")) > 0


def test_new_and_churned_side_by_side():
    root = parse(members_chart(small_report()))

    assert [b.get("data-value") for b in shapes(root, "rect", "dash-bar")] == ["4", "2", "1"]
    churned = shapes(root, "rect", "dash-bar-churn")
    assert [b.get("data-value") for b in churned] == ["0", "1", "2"]
    assert float(churned[0].get("x")) > float(shapes(root, "rect", "dash-bar")[0].get("x"))


def test_products_largest_first_with_escaped_names():
    chart = products_chart(small_report(), "EUR")
    root = parse(chart)

    bars = shapes(root, "rect", "dash-bar")
    assert [b.get("data-value") for b in bars] == ["30000", "15000"]
    assert float(bars[1].get("width")) == pytest.approx(float(bars[0].get("width")) / 2, abs=0.1)
    assert "Course &lt;b&gt;A&lt;/b&gt;" in str(chart.svg)
    assert "<b>" not in str(chart.svg)


def test_a_currency_without_product_revenue_has_no_product_chart():
    assert products_chart(small_report(), "USD") is None


def test_each_chart_is_a_named_image_with_its_numbers_in_a_table():
    chart = revenue_chart(realistic_report(), "USD")
    root = parse(chart)

    assert root.get("role") == "img"
    title, desc = root.get("aria-labelledby").split()
    assert root.find(SVG + "title").get("id") == title
    assert root.find(SVG + "desc").get("id") == desc
    assert "Highest net revenue in December 2026: $846.00." in root.find(SVG + "desc").text
    assert root.get("viewBox") == "0 0 560 240"
    assert [row[0].text for row in chart.table.body][:2] == ["January 2026", "February 2026"]
    assert chart.table.body[-1][1].text == "$846.00"
    assert float(shapes(root, "rect", "dash-bar")[0].get("x")) >= LEFT


def test_labels_follow_the_language():
    with translation.override("de"):
        root = parse(revenue_chart(small_report(), "EUR"))
        assert short_money(1_234_500, "EUR") == "12.345\u00a0€"
    months = [t.text for t in root.iter(SVG + "text") if t.get("class", "").startswith("dash-tick")]
    assert {"Okt", "Dez"} <= set(months)
