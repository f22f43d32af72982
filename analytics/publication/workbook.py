"""The quarterly ranking as an xlsx in the usual 通报 layout: title, 数据截至, then 被考核单位 | 指标完成情况 | 得分 | 排名 | 备注, one sheet per indicator and a method sheet. Text cells are neutralised."""
from __future__ import annotations

import io

from analytics.publication.archive import Publication
from analytics.publication.wording import bulletin_title, meta_lines, unit_achievements, unit_remarks
from analytics.ranking.composite import Ranking
from core import periods, spreadsheet

# --------------------------------------------------------------------------- xlsx

def ranking_xlsx(ranking: Ranking, publication: Publication | None = None) -> bytes:
    """The quarterly 通报 workbook: composite board, one sheet per indicator, method sheet."""
    buf = io.BytesIO()
    wb, fmt = spreadsheet.workbook(buf)
    ws = wb.add_worksheet("综合排名")
    sheet = spreadsheet.Sheet(ws, fmt)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 3, 9)
    ws.set_column(4, 4, 56)
    sheet.banner(0, 4, bulletin_title(ranking), "title")
    row = 1
    for line in meta_lines(ranking, publication):
        sheet.banner(row, 4, line, "meta")
        row += 1
    for col, head in enumerate(("被考核单位", "指标完成情况", "得分", "排名", "备注")):
        sheet.put(row, col, head, "head")
    achievements, remarks = unit_achievements(ranking), unit_remarks(ranking)
    for r in ranking.table.iter_rows(named=True):
        row += 1
        sheet.put(row, 0, r["unit_name"], "text")
        sheet.put(row, 1, achievements.get(r["unit_code"], ""), "text")
        sheet.put(row, 2, r["score"], "score")
        sheet.put(row, 3, r["rank"] if r["rank"] is not None else "未排名", "int")
        sheet.put(row, 4, remarks[r["unit_code"]], "text")
    row += 2
    for note in ranking.notes:
        sheet.banner(row, 4, note, "meta")
        row += 1

    for i, spec in enumerate(ranking.indicators.iter_rows(named=True), start=1):
        ws = wb.add_worksheet(spreadsheet.sheet_name(i, spec["name"]))
        s = spreadsheet.Sheet(ws, fmt)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 4, 12)
        ws.set_column(5, 5, 70)
        s.banner(0, 5, f"{periods.quarter_zh(ranking.quarter)}单项指标：{spec['name']}（{spec['direction_zh']}）", "title")
        s.banner(1, 5, f"计算方法：{spec['formula_text']}；标准化：{spec['normaliser_zh']}；权重 {spec['weight']:.0%}", "meta")
        for col, head in enumerate(("被考核单位", f"指标值（{spec['unit']}）", "标准化得分", "单项排名", "单位", "计算说明")):
            s.put(2, col, head, "head")
        for k, b in enumerate(ranking.indicator_board(spec["indicator_id"]).iter_rows(named=True), start=3):
            s.put(k, 0, b["unit_name"], "text")
            s.put(k, 1, b["value"], "pct")
            s.put(k, 2, b["normalised"], "score")
            s.put(k, 3, b["rank"] if b["rank"] is not None else "未排名", "int")
            s.put(k, 4, spec["unit"], "text")
            s.put(k, 5, b["detail"], "text")

    ws = wb.add_worksheet("指标说明")
    s = spreadsheet.Sheet(ws, fmt)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 4, 12)
    ws.set_column(5, 5, 80)
    heads = ("指标", "方向", "单位", "权重", "标准化方法", "计算公式")
    for col, head in enumerate(heads):
        s.put(0, col, head, "head")
    k = 0
    for k, spec in enumerate(ranking.indicators.iter_rows(named=True), start=1):
        for col, value in enumerate((spec["name"], spec["direction_zh"], spec["unit"], f"{spec['weight']:.1%}",
                                     spec["normaliser_zh"], spec["formula_text"])):
            s.put(k, col, value, "text")
    for k, a in enumerate(ranking.adjustment_items.iter_rows(named=True), start=k + 1):
        cap = f"，最多 {a['max_points']:g} 分" if a["max_points"] is not None else ""
        for col, value in enumerate((a["name"], "加减分", "分", f"每项 {a['points_per']:+g} 分{cap}", "—",
                                     a["formula_text"])):
            s.put(k, col, value, "text")
    wb.close()
    return buf.getvalue()
