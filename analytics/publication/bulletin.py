"""The quarterly ranking bulletin as a self-contained HTML page and as PDF, and a stored publication's exports.

- `ranking_html(ranking)` (Chinese, charts embedded as PNG) and `ranking_pdf(ranking)` (WeasyPrint; needs a CJK font).
- `publication_export(snapshot, publication_id, fmt)`: a stored publication as xlsx / HTML / PDF.
The xlsx is built in `workbook`, the charts in `analytics.ranking.charts`, the wording they share in `wording`.
"""
from __future__ import annotations

import base64
import html

from analytics.publication.archive import Publication, load_publication
from analytics.publication.wording import (
    bulletin_title,
    meta_lines,
    movement_sentences,
    unit_achievements,
    unit_remarks,
)
from analytics.publication.workbook import ranking_xlsx
from analytics.ranking.attribution import Attribution, attribute_change
from analytics.ranking.charts import (
    CHART_OMITTED,
    rank_interval_figure,
    render_pngs,
    score_map_figure,
)
from analytics.ranking.composite import Ranking
from analytics.ranking.indicator_config import IndicatorConfig
from analytics.ranking.indicators import compute_indicator_values
from analytics.ranking.normalise import RankingError
from core import periods
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- HTML and PDF

_CSS = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; text-align: center; }
p.meta { font-size: 0.85em; color: #555; margin: 0.2em 0; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; }
th { background: #d9e1f2; }
td.num { text-align: right; white-space: nowrap; }
tr.incomplete td { background: #fff4e5; }
img { max-width: 100%; }
p.omitted { color: #a00; }
"""


def ranking_html(ranking: Ranking, publication: Publication | None = None, charts: bool = True,
                 attribution: Attribution | None = None) -> str:
    """Self-contained HTML bulletin (inline CSS, charts as inline PNG when they can be rendered); with the
    attribution against the previous quarter, one sentence per unit on its rank movement."""
    e = html.escape
    moves = movement_sentences(ranking, attribution)
    moves_html = (f"<h2>名次变化说明</h2>{''.join(f'<p>{e(x)}</p>' for x in moves)}" if moves else "")
    achievements, remarks = unit_achievements(ranking), unit_remarks(ranking)
    rows = []
    for r in ranking.table.iter_rows(named=True):
        score = "—" if r["score"] is None else f"{r['score']:.2f}"
        rank = r["rank"] if r["rank"] is not None else "未排名"
        rows.append(f'<tr class="{"" if r["complete"] else "incomplete"}"><td>{e(r["unit_name"])}</td>'
                    f'<td>{e(achievements.get(r["unit_code"], ""))}</td><td class="num">{score}</td>'
                    f'<td class="num">{rank}</td><td>{e(remarks[r["unit_code"]])}</td></tr>')
    figures = [f'<p class="omitted">{CHART_OMITTED}</p>']
    if charts:
        figs = [rank_interval_figure(ranking), score_map_figure(ranking)]
        try:
            figures = [f'<img alt="{e(fig.layout.title.text)}" src="data:image/png;base64,'
                       f'{base64.b64encode(png).decode("ascii")}">' for fig, png in zip(figs, render_pngs(figs))]
        except Exception:  # noqa: BLE001 - any renderer failure (no Chromium, no kaleido): omit the charts
            pass
    indicator_rows = "".join(
        f"<tr><td>{e(s['name'])}</td><td>{e(s['direction_zh'])}</td><td>{e(s['unit'])}</td>"
        f"<td class=\"num\">{s['weight']:.1%}</td><td>{e(s['formula_text'])}</td></tr>"
        for s in ranking.indicators.iter_rows(named=True))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(bulletin_title(ranking))}</title><style>{_CSS}</style></head>
<body>
<h1>{e(bulletin_title(ranking))}</h1>
{''.join(f'<p class="meta">{e(line)}</p>' for line in meta_lines(ranking, publication))}
<table><thead><tr><th>被考核单位</th><th>指标完成情况</th><th>得分</th><th>排名</th><th>备注</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{moves_html}
{''.join(figures)}
<h2>指标与方法</h2>
<table><thead><tr><th>指标</th><th>方向</th><th>单位</th><th>权重</th><th>计算公式</th></tr></thead>
<tbody>{indicator_rows}</tbody></table>
{''.join(f'<p class="meta">{e(n)}</p>' for n in ranking.notes)}
</body></html>"""


def ranking_pdf(ranking: Ranking, publication: Publication | None = None, charts: bool = True,
                attribution: Attribution | None = None) -> bytes:
    """The HTML bulletin as PDF (WeasyPrint; Chinese needs a CJK font such as fonts-wqy-microhei)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    return HTML(string=ranking_html(ranking, publication, charts, attribution)).write_pdf()


def previous_quarter_attribution(snapshot: Snapshot, ranking: Ranking, config: IndicatorConfig) -> Attribution | None:
    """The ranking's change against the previous quarter (recomputed on the snapshot with the same config), or None."""
    try:
        previous = compute_indicator_values(snapshot, periods.previous_quarter(ranking.quarter), config,
                                            ranking.group_id)
        return attribute_change(ranking.inputs, previous, config, ranking.weight_scheme)
    except (RankingError, ValueError):
        return None



EXPORT_FORMATS = {"xlsx": "xlsx 通报", "html": "HTML 通报", "pdf": "PDF 通报"}


def publication_export(snapshot: Snapshot, publication_id: str, fmt: str) -> bytes:
    """A stored publication exactly as published, as an xlsx 通报, a self-contained HTML page or a PDF."""
    pub = load_publication(snapshot, publication_id)
    if fmt == "xlsx":
        return ranking_xlsx(pub.ranking, pub)
    moves = previous_quarter_attribution(snapshot, pub.ranking, pub.config)
    if fmt == "html":
        return ranking_html(pub.ranking, pub, attribution=moves).encode("utf-8")
    if fmt == "pdf":
        return ranking_pdf(pub.ranking, pub, attribution=moves)
    raise ValueError(f"未知的导出格式“{fmt}”，可选：{'、'.join(EXPORT_FORMATS)}")
