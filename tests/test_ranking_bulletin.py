"""Bulletins: the 通报 workbook checked cell by cell, formula injection, HTML/PDF, charts, monthly bulletin."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import re
import shutil
import zlib
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from test_ranking import engine_config, make_values
from test_ranking_warehouse import (  # noqa: F401 - `hand` is a fixture
    JIAYUGUAN,
    LANZHOU,
    XINQU,
    hand,
    month,
    project,
    small_config,
    year_of_months,
)

from analytics.publication import bulletin, monthly, workbook
from analytics.publication.archive import Publication
from analytics.ranking import charts
from analytics.ranking.attribution import attribute_change
from analytics.ranking.composite import rank_values
from core import spreadsheet
from core.spreadsheet import neutralise

ROWS = {"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30], "620171": [25, None, 5]}


@pytest.fixture
def ranking():
    return rank_values(make_values(ROWS, incomplete=("620171",), late={"620300": 1}),
                       engine_config(units=list(ROWS)))


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_ranking_workbook_cell_by_cell(ranking):
    wb = _workbook(workbook.ranking_xlsx(ranking))
    assert wb.sheetnames == ["综合排名", "1.甲指标", "2.乙指标", "3.丙指标", "指标说明"]
    ws = wb["综合排名"]
    assert ws["A1"].value == "2025年第三季度招商引资工作综合排名通报（测试组）"
    assert ws["A2"].value == "所用报表收件截至：2025年10月05日 10:00；权重：专家权重（配置）"
    assert ws["A3"].value == "预览：尚未发布"
    assert [c.value for c in ws[4]] == ["被考核单位", "指标完成情况", "得分", "排名", "备注"]
    table = ranking.table.to_dicts()
    for row, r in zip(ws.iter_rows(min_row=5, max_row=4 + len(table)), table):
        name, achieved, score, rank, remark = (c.value for c in row)
        assert name == r["unit_name"] and score == r["score"] and rank == r["rank"]
        assert row[2].number_format == "0.00"
        assert f"排名区间 {r['rank_q05']}–{r['rank_q95']}" in remark
    by_name = {row[0].value: row for row in ws.iter_rows(min_row=5, max_row=8)}
    assert by_name["兰州市"][1].value == "甲指标 30.0%；乙指标 2个；丙指标 10.0%"
    assert by_name["兰州新区"][1].value == "甲指标 25.0%；乙指标 —；丙指标 5.0%"
    assert by_name["兰州新区"][4].value.startswith("数据不完整（缺2025年9月报表）")
    assert "迟报扣分 -1.0分" in by_name["金昌市"][4].value
    # single-indicator board of a lower-is-better indicator: the smallest value ranks first
    single = wb["3.丙指标"]
    assert single["A1"].value == "2025年第三季度单项指标：丙指标（越低越好）"
    assert [single.cell(r, 1).value for r in range(4, 8)] == ["兰州新区", "兰州市", "嘉峪关市", "金昌市"]
    assert [single.cell(r, 2).value for r in range(4, 8)] == [5, 10, 20, 30]
    assert [single.cell(r, 4).value for r in range(4, 8)] == [1, 2, 3, 4]
    method = wb["指标说明"]
    assert [c.value for c in method[1]] == ["指标", "方向", "单位", "权重", "标准化方法", "计算公式"]
    assert [method.cell(4, c).value for c in (1, 2, 3, 4)] == ["丙指标", "越低越好", "%", "20.0%"]
    assert method.cell(5, 1).value == "迟报扣分" and method.cell(5, 4).value == "每项 -1 分，最多 2 分"


def test_formula_injection_is_neutralised(ranking):
    for text in ("=1+1", "+1", "-1", "@SUM(A1)"):
        assert neutralise(text) == "'" + text
    assert neutralise("兰州市") == "兰州市"
    cfg = engine_config(units=list(ROWS))
    evil = rank_values(make_values(ROWS), cfg)
    pub = Publication("2025Q3-01", "2025Q3", dt.datetime(2025, 10, 10, 9), "=cmd|' /C calc'!A0", None, None, None,
                      "0" * 64, cfg, evil)
    hostile_names = evil.indicators.with_columns(name=evil.indicators["name"].str.replace("甲指标", "=HYPERLINK(\"x\")"))
    evil = dataclasses.replace(evil, indicators=hostile_names)
    wb = _workbook(workbook.ranking_xlsx(evil, pub))
    assert wb["指标说明"]["A2"].value == "'=HYPERLINK(\"x\")"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
                assert not (isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))), c.coordinate


def test_html_says_when_charts_are_omitted(ranking, monkeypatch):
    page = bulletin.ranking_html(ranking, charts=False)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<th>被考核单位</th><th>指标完成情况</th><th>得分</th><th>排名</th><th>备注</th>" in page
    for name in ("兰州市", "嘉峪关市", "金昌市", "兰州新区"):
        assert f"<td>{name}</td>" in page
    assert charts.CHART_OMITTED in page and "http" not in page  # self-contained

    def unavailable(figures):
        raise RuntimeError("no Chromium")

    monkeypatch.setattr(bulletin, "render_pngs", unavailable)
    page = bulletin.ranking_html(ranking)
    assert charts.CHART_OMITTED in page and "<td>兰州市</td>" in page and "data:image/png" not in page


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium not installed: charts cannot be rendered")
def test_html_embeds_rendered_charts(ranking):
    page = bulletin.ranking_html(ranking)
    assert page.count('src="data:image/png;base64,') == 2 and charts.CHART_OMITTED not in page


def _pdf_fonts(pdf: bytes) -> set[bytes]:
    """Font names of a PDF, looking inside its compressed object streams."""
    text = pdf
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            text += zlib.decompress(m.group(1))
    return set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([^\s/>]+)", text))


def test_pdf_embeds_a_cjk_font(ranking):
    pdf = bulletin.ranking_pdf(ranking, charts=False)
    assert pdf.startswith(b"%PDF")
    assert any(b"WenQuanYi" in f or b"CJK" in f for f in _pdf_fonts(pdf)), _pdf_fonts(pdf)


def test_figures(ranking):
    fig = charts.rank_interval_figure(ranking)
    ranked = ranking.table.filter(ranking.table["ranked"])
    bars, nominal, median = fig.data
    assert bars.type == "bar" and bars.orientation == "h" and list(bars.y) == ranked["unit_name"].to_list()
    pad = charts.INTERVAL_PAD
    assert [b + pad for b in bars.base] == pytest.approx(ranked["rank_q05"].to_list())
    assert [b + w - pad for b, w in zip(bars.base, bars.x)] == pytest.approx(ranked["rank_q95"].to_list())
    assert list(nominal.x) == ranked["rank"].to_list() and list(median.x) == ranked["rank_median"].to_list()
    m = charts.score_map_figure(ranking)
    # Nothing that needs a map server, a CDN topojson or WebGL: plain SVG scatter traces only.
    assert {t.type for t in m.data} == {"scatter"}
    outlines = [t for t in m.data if t.fill == "toself"]
    assert len(outlines) == 14  # every 市州 drawn, scored or not
    labels = next(t for t in m.data if t.mode == "text")
    names = {text.split("<br>")[0].removeprefix("<b>").removesuffix("</b>") for text in labels.text}
    assert len(names) == 14 and {"酒泉市", "陇南市", "兰州市", "嘉峪关市"} <= names
    # 兰州新区 has no outline: a marked point with a callout naming it
    assert any(a.text.startswith("<b>兰州新区</b>") for a in m.layout.annotations)
    # nothing clipped: every outline lies inside the drawn ranges
    xs = [x for t in outlines for x in t.x if x is not None]
    ys = [y for t in outlines for y in t.y if y is not None]
    assert m.layout.xaxis.range[0] < min(xs) and max(xs) < m.layout.xaxis.range[1]
    assert m.layout.yaxis.range[0] < min(ys) and max(ys) < m.layout.yaxis.range[1]


def test_monthly_bulletin_by_hand(hand):
    # 2024: 10,000 万元 a month each → task 144,000. 2025 to September:
    # 兰州 13,000/month → 117,000 = 81.25 % of task vs 序时进度 75 % → ahead; growth +30 %
    # 嘉峪关 9,000/month → 81,000 = 56.25 % → 18.75 points behind → black list; growth −10 %
    # 兰州新区 11,000/month, September missing → 88,000 = 61.11 % → black list; growth (88,000 − 90,000)/90,000
    for unit, per_month, months in ((LANZHOU, "13000", 9), (JIAYUGUAN, "9000", 9), (XINQU, "11000", 8)):
        year_of_months(hand, unit, 2024, "10000")
        for m in range(1, months + 1):
            hand.submit(unit, month(2025, m), [project(f"{unit}-n", funds_month_wan=per_month, funds_cum_wan="1")])
    b = monthly.monthly_bulletin(hand.write(), dt.date(2025, 9, 17), small_config())
    rows = {r["unit_code"]: r for r in b.table.iter_rows(named=True)}
    assert rows[LANZHOU]["funds_month_yi"] == Decimal("1.30") and rows[LANZHOU]["funds_ytd_yi"] == Decimal("11.70")
    assert rows[LANZHOU]["task_yi"] == Decimal("14.40") and rows[LANZHOU]["growth_pct"] == pytest.approx(30.0)
    assert rows[LANZHOU]["completion_pct"] == pytest.approx(81.25) and rows[LANZHOU]["gap_pct"] == pytest.approx(6.25)
    assert rows[JIAYUGUAN]["growth_pct"] == pytest.approx(-10.0) and rows[JIAYUGUAN]["list_mark"] == "黑榜"
    assert rows[XINQU]["submitted"] is False and rows[XINQU]["funds_month_yi"] == Decimal("0.00")
    assert rows[XINQU]["completion_pct"] == pytest.approx(88000 / 144000 * 100)
    assert (b.ahead_count, b.growing_count, b.reported_count) == (1, 1, 2)
    assert b.red == ("兰州市",) and b.black == ("嘉峪关市", "兰州新区")
    assert b.total_ytd_yi == Decimal("28.60") and b.total_growth_pct == pytest.approx(16000 / 270000 * 100)

    wb = _workbook(monthly.monthly_bulletin_xlsx(b))
    ws = wb["月度通报"]
    assert ws["A1"].value == "2025年9月招商引资到位资金通报（测试组）"
    assert ws["A3"].value.startswith("本月到位资金 2.20 亿元，1—9月累计 28.60 亿元，同比增长 5.9%；1 个单位达到序时进度")
    assert ws["A4"].value == "被考核单位" and ws["J4"].value == "红黑榜"
    assert [ws.cell(5, c).value for c in (1, 2, 3, 4, 6)] == ["兰州市", 1.3, 11.7, 9.0, 14.4]
    assert [ws.cell(5, c).value for c in (10, 11)] == ["红榜", "已报"]
    assert ws.cell(7, 1).value == "兰州新区" and ws.cell(7, 11).value == "未报"
    assert ws["A9"].value == "红榜：兰州市" and ws["A10"].value == "黑榜：嘉峪关市、兰州新区"

    fig = monthly.monthly_progress_figure(b)
    bars = fig.data[0]
    assert list(bars.x) == ["兰州市", "兰州新区", "嘉峪关市"]  # by completion: 81.25 %, 61.11 %, 56.25 %
    assert list(bars.y) == pytest.approx([81.25, 88000 / 144000 * 100, 56.25])
    assert list(bars.marker.color) == ["#c00000", "#333333", "#333333"]  # red list, black list, black list
    assert fig.layout.shapes[0].y0 == 75.0  # 序时进度 9/12


def test_contribution_waterfall_adds_up_to_the_score(ranking):
    fig = charts.contribution_waterfall(ranking, "620300")
    w = fig.data[0]
    score = ranking.table.filter(ranking.table["unit_code"] == "620300")["score"][0]
    # the three indicators, then the late-report deduction (non-zero for 金昌市); zero items are left out
    assert list(w.x) == ["甲指标", "乙指标", "丙指标", "迟报扣分", "综合得分"]
    assert list(w.measure) == ["relative"] * 4 + ["total"]
    assert sum(w.y[:-1]) == pytest.approx(score) and w.y[-1] == score
    assert w.y[3] == -1.0
    assert fig.layout.title.text.startswith("金昌市：综合得分构成（单位：分")
    assert "迟报扣分" not in charts.contribution_waterfall(ranking, "620100").data[0].x


def test_attribution_figure_bars_add_up_to_this_quarter_score():
    cfg = engine_config(units=list(ROWS))
    attribution = attribute_change(make_values({**ROWS, "620200": [28, 1, 12]}, late={"620300": 1}),
                                   make_values(ROWS, quarter="2025Q2"), cfg)
    fig = charts.attribution_figure(attribution, "620200")
    w = fig.data[0]
    s = attribution.summary.filter(attribution.summary["unit_code"] == "620200").row(0, named=True)
    assert w.x[0] == "2025年第二季度得分" and w.x[-1] == "2025年第三季度得分" and "参照变动（其他单位数据变化等）" in w.x
    assert w.measure[0] == "absolute" and w.measure[-1] == "total"
    assert w.y[0] + sum(w.y[1:-1]) == pytest.approx(w.y[-1]) and w.y[-1] == pytest.approx(s["score_current"])


def test_rank_history_figure_puts_rank_one_on_top():
    history = pl.DataFrame({"quarter": ["2025Q2", "2025Q1", "2025Q3", "2025Q1"], "unit_code": ["620100"] * 3 + ["620200"],
                            "unit_name": ["兰州市"] * 3 + ["嘉峪关市"], "score": [70.0, 60.0, 80.0, 65.0],
                            "rank": [2, None, 1, 1]})
    fig = charts.rank_history_figure(history, "620100")
    line = fig.data[0]
    assert list(line.x) == ["2025年第二季度", "2025年第三季度"] and list(line.y) == [2, 1]  # unranked quarter left out
    assert fig.layout.yaxis.range == (2.5, 0.5)


def test_pairs_no_weighting_can_reverse_in_plain_words(ranking):
    assert charts.dominance_sentences(ranking) == [
        "兰州市在每项指标和加减分上都不逊于嘉峪关市、金昌市，且至少有一项更好：无论权重和标准化方法如何选择，"
        "兰州市的得分都不会低于它们。"]
    tied = rank_values(make_values({"620100": [10, 1, 10], "620200": [20, 0, 10]}),
                       engine_config(units=["620100", "620200"]))
    assert charts.dominance_sentences(tied) == []


def test_any_table_as_xlsx_is_neutralised_and_typed():
    frame = pl.DataFrame({"发布编号": ["2025Q3-01", "=HYPERLINK(\"x\")"], "得分": [81.2345, 70.0], "单位数": [15, 14],
                          "发布时间": [dt.datetime(2025, 10, 10, 9, 30), None]})
    ws = _workbook(spreadsheet.table_xlsx("季度排名发布清单", frame, ["说明：示例"]))["1.季度排名发布清单"]
    assert (ws["A1"].value, ws["A2"].value) == ("季度排名发布清单", "说明：示例")
    assert [c.value for c in ws[3]] == ["发布编号", "得分", "单位数", "发布时间"]
    assert [c.value for c in ws[4]] == ["2025Q3-01", 81.2345, 15, "2025-10-10 09:30"]
    assert ws["A5"].value == "'=HYPERLINK(\"x\")" and ws["D5"].value is None
    assert ws["B4"].number_format == "0.00" and ws["C4"].number_format == "0"
