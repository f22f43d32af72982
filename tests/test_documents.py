"""Official documents (公文): each opens, has its parts in order, every number in its text equals the warehouse figure
it names (recomputed here from the warehouse), the 公开版 holds no project ids or verification findings, the PDF embeds
its CJK fonts, no developer text anywhere, and bad configuration is refused in Chinese."""
from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from docx import Document as read_docx
from test_ranking_warehouse import (  # noqa: F401 - `hand` is a fixture
    JIAYUGUAN,
    LANZHOU,
    XINQU,
    HandWarehouse,
    hand,
    month,
    project,
    small_config,
    year_of_months,
)

from analytics import cli
from analytics.documents.annual import annual_document
from analytics.documents.briefing import briefing_document
from analytics.documents.build import render
from analytics.documents.monthly import monthly_document
from analytics.documents.quarterly import quarterly_document
from analytics.documents.settings import DEFAULT_PATH, DocumentConfigError, parse_document_settings
from analytics.office.settings import load_office_config
from analytics.publication import signoff
from analytics.publication.archive import publish
from analytics.ranking.attribution import attribute_quarter
from analytics.ranking.composite import rank_quarter
from analytics.targets.lifecycle import lifecycle_overview
from analytics.targets.province import province_progress
from core.roles import User
from warehouse import store

UNITS = (LANZHOU, JIAYUGUAN, XINQU)
SEPT, DATE = month(2025, 9), dt.date(2025, 10, 9)
USCC_500 = "91110000100000000X"


def settings(**replace: str):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("praise_top = 3", "praise_top = 1").replace(
        "interview_bottom = 3", "interview_bottom = 1")
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_document_settings(text)


def build(hand: HandWarehouse) -> store.Snapshot:
    """Three units, 2024 in full and 2025 January–September: funds, a 10亿元以上 signing each for two units, a
    三个500强 signing, a start and a production in 2025, a terminated signing (not counted), one verification finding."""
    for k, unit in enumerate(UNITS):
        year_of_months(hand, unit, 2024, str(1000 * (k + 1)))
        for m in range(1, 10):
            rows = [
                project(f"{unit}-1", funds_month_wan=str(900 + 400 * k), funds_cum_wan=str(900 * m),
                        signing_date=dt.date(2025, 1 + k, 3), planned_investment_wan=str(60000 * (k + 1)),
                        signed_amount_wan=str(50000 + 7 * k), start_date=dt.date(2025, 2, 1) if k == 0 else None,
                        status="在建" if k == 0 else "已签约未开工",
                        fortune500="世界500强" if k == 2 else "无", investor_uscc=USCC_500 if k == 2 else None),
                project(f"{unit}-2", funds_month_wan="300", funds_cum_wan=str(300 * m), status="已签约未开工",
                        start_date=None, signing_date=dt.date(2024, 2 + k, 1)),
            ]
            if k == 1 and m >= 5:
                rows.append(project(f"{unit}-T", status="终止", signing_date=dt.date(2025, 5, 6),
                                    planned_investment_wan="300000", signed_amount_wan="300000"))
            if k == 0 and m == 9:
                rows.append(project(f"{unit}-9", status="已投产", signing_date=dt.date(2025, 9, 2),
                                    start_date=dt.date(2025, 9, 3), production_date=dt.date(2025, 9, 28),
                                    planned_investment_wan="150000", signed_amount_wan="123456.78"))
            hand.submit(unit, month(2025, m), rows)
    hand.finding(JIAYUGUAN, "2025Q3", f"{JIAYUGUAN}-1", "存在差异")
    hand.finding(LANZHOU, "2025Q3", f"{LANZHOU}-1", "核实无误")
    return hand.write()


# --------------------------------------------------------------------------- recomputing each figure

def r1(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def r2(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Warehouse:
    """Each figure a document may print, recomputed with plain SQL on the snapshot (or, for the ranking and the
    stall rules, with the function behind the page that shows the same figure)."""

    def __init__(self, snap: store.Snapshot):
        self.snap = snap

    def funds(self, units, first: dt.date, last: dt.date) -> Decimal:
        return store.frame(self.snap, "SELECT coalesce(sum(funds_month_wan), 0) AS s FROM mart_unit_month "
                           "WHERE list_contains($u, unit_code) AND month BETWEEN $a AND $b",
                           {"u": list(units), "a": first, "b": last})["s"][0]

    def scope(self, scope: str) -> list[str]:
        return list(UNITS) if scope == "全省" else [scope]

    def projects(self, scope: str, where: str) -> list[dict]:
        return store.frame(self.snap, "SELECT * FROM project_state(DATE '2025-09-01') WHERE counts_for_funds AND "  # noqa: S608
                           f"status <> '终止' AND list_contains($u, unit_code) AND {where}",
                           {"u": self.scope(scope)}).to_dicts()

    def completion(self, scope: str) -> Decimal:
        ytd = self.funds(self.scope(scope), month(2025, 1), SEPT)
        last = self.funds(self.scope(scope), month(2024, 1), month(2024, 12))
        return ytd / (last * Decimal("1.15" if scope == "全省" else "1.20")) * 100

    def value(self, key: str, scope: str) -> Decimal:
        u = self.scope(scope)
        ytd, base = self.funds(u, month(2025, 1), SEPT), self.funds(u, month(2024, 1), month(2024, 9))
        signed_ytd = "signing_date BETWEEN DATE '2025-01-01' AND DATE '2025-09-30'"
        signed_sep = "signing_date BETWEEN DATE '2025-09-01' AND DATE '2025-09-30'"
        major = "planned_investment_wan >= 100000"
        key = key.split(":")[0]
        simple = {
            "funds_ytd": lambda: r2(ytd / 10000),
            "funds_month": lambda: r2(self.funds(u, SEPT, SEPT) / 10000),
            "funds_growth": lambda: r1((ytd - base) / base * 100),
            "funds_completion": lambda: r1(self.completion(scope)),
            "unit_completion": lambda: r1(self.completion(scope)),
            "gap_points": lambda: r1(self.completion(scope)) - Decimal("75.0"),
            "units_ahead": lambda: sum(self.completion(x) >= 75 for x in UNITS),
            "units_growing": lambda: sum(self.value("funds_growth", x) > 0 for x in UNITS),
            "signed_count": lambda: len(self.projects(scope, signed_ytd)),
            "signed_amount": lambda: r2(sum(p["signed_amount_wan"] for p in self.projects(scope, signed_ytd)) / 10000),
            "signed_count_month": lambda: len(self.projects(scope, signed_sep)),
            "signed_amount_month": lambda: r2(sum(p["signed_amount_wan"] for p in self.projects(scope, signed_sep))
                                              / 10000),
            "major_count": lambda: len(self.projects(scope, f"{signed_ytd} AND {major}")),
            "major_count_month": lambda: len(self.projects(scope, f"{signed_sep} AND {major}")),
            "major_investment": lambda: r2(sum(p["planned_investment_wan"]
                                               for p in self.projects(scope, f"{signed_ytd} AND {major}")) / 10000),
            "major_investment_month": lambda: r2(sum(p["planned_investment_wan"] for p in self.projects(
                scope, f"{signed_sep} AND {major}")) / 10000),
            "fh_enterprises": lambda: len({p["investor_uscc"] for p in self.projects(scope, f"{signed_ytd} AND "
                                                                                          "fortune500 <> '无'")}),
            "fh_projects": lambda: len(self.projects(scope, f"{signed_ytd} AND fortune500 <> '无'")),
            "fh_unverified": lambda: len(self.projects(scope, f"{signed_ytd} AND fortune500 <> '无'")),  # no list loaded
            "started": lambda: len(self.projects(scope, "start_date BETWEEN DATE '2025-01-01' AND DATE '2025-09-30'")),
            "producing": lambda: len(self.projects(scope, "production_date BETWEEN DATE '2025-01-01' AND "
                                                          "DATE '2025-09-30'")),
            "black_gap": lambda: Decimal(10),
            "checked": lambda: self.findings("1 = 1"),
            "discrepancies": lambda: self.findings("outcome = '存在差异'"),
            "unverifiable": lambda: self.findings("outcome = '无法核实'"),
            "stalled": lambda: self.stalled(scope),
            "praise_top": lambda: Decimal(load_office_config().praise.top),           # config/office.toml rules
            "interview_last_quarters": lambda: Decimal(load_office_config().interview.last_place_quarters),
            "interview_behind_months": lambda: Decimal(load_office_config().interview.behind_months),
            "interview_behind_points": lambda: load_office_config().interview.behind_points.normalize(),
        }
        return Decimal(simple[key]())

    def findings(self, where: str) -> int:
        return store.frame(self.snap, f"SELECT count(*) AS n FROM verification_results WHERE {where}")["n"][0]  # noqa: S608

    def stalled(self, scope: str) -> int:
        life = lifecycle_overview(self.snap, SEPT)
        if scope == "全省":
            return life.figures[0].value
        return life.by_rule.frame.filter(life.by_rule.frame["unit_code"] == scope)["stalled"][0]


# Parts of the text that are names, not figures: dates and periods, the policy's 文号, 附件 numbers, category names.
NOT_FIGURES = re.compile(r"\d{4}年(\d{1,2}—)?(\d{1,2}月)?(\d{1,2}日)?|\d{1,2}—\d{1,2}月|\d{1,2}月(底)?|"
                         r"〔\d{4}〕\d+号|\d+．|\d+亿元以上|(三个|世界|中国企业|中国民营企业)500强|第[一二三四]季度")
NUMBER = re.compile(r"\d+(\.\d+)?")


def check_numbers(doc, wh: Warehouse | None, ranking_values: dict | None = None) -> int:
    """Every number in every sentence is one of its recorded figures, and each figure equals the warehouse.
    Indicator names (e.g. 签约6个月以上项目开工率) are names, not figures."""
    checked = 0
    names = [s.name for s in small_config().indicators] + [a.name for a in small_config().adjustments]
    for s in doc.sentences():
        printed = {f.text for f in s.facts}
        plain = s.text
        for name in names:
            plain = plain.replace(name, "")
        for m in NUMBER.finditer(NOT_FIGURES.sub("", plain)):
            assert m.group() in printed, f"“{m.group()}” in “{s.text}” is not a recorded figure"
        for f in s.facts:
            if ranking_values is not None and (f.key, f.scope) in ranking_values:
                expected = ranking_values[(f.key, f.scope)]
            else:
                expected = wh.value(f.key, f.scope)
            assert f.value == expected, f"{f.key}/{f.scope}: printed {f.value}, warehouse {expected} in “{s.text}”"
            checked += 1
    return checked


# --------------------------------------------------------------------------- reading the files back

def docx_lines(data: bytes) -> list[str]:
    d = read_docx(io.BytesIO(data))
    lines = [p.text for p in d.paragraphs if p.text.strip()]
    for t in d.tables:  # after the paragraphs
        lines += ["|".join(c.text for c in row.cells) for row in t.rows]
    return lines


def assert_in_order(lines: list[str], parts: list[str]) -> None:
    at = -1
    for part in parts:
        hits = [i for i, line in enumerate(lines) if part in line and i > at]
        assert hits, f"“{part}” missing or out of order"
        at = hits[0]


DEVELOPER_TEXT = re.compile(r"config/|\.toml|mart_|[0-9a-f]{64}|[A-Za-z]{3,}")


def assert_clean(text: str) -> None:
    found = DEVELOPER_TEXT.search(text)
    assert found is None, f"developer text “{found.group()}” in the document"


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated."""
    parts = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:
            parts.append(zlib.decompress(data[m.end():end].rstrip(b"\r\n")))
        except zlib.error:
            pass
    return b"\n".join(parts)


# --------------------------------------------------------------------------- the tests

@pytest.fixture
def snap(hand):
    return build(hand)


def test_monthly_bulletin_numbers_parts_and_versions(snap):
    wh = Warehouse(snap)
    docs = {v: monthly_document(snap, SEPT, settings(), version=v, number=12, date=DATE, config=small_config())
            for v in ("public", "internal")}
    public, internal = docs["public"], docs["internal"]
    text = "\n".join(p.text for p in public.paragraphs())
    assert "1—9月，全省招商引资到位资金" in text and "同比增长" in text and "序时进度" in text
    assert "兰州市" in text and "签约额" in text and "新开工项目" in text and "红榜" in text
    assert check_numbers(public, wh) >= 20 and check_numbers(internal, wh) > check_numbers(public, wh)
    assert public.number == "甘招商办〔2025〕12号" and public.date_text == "2025年10月9日"

    lines = docx_lines(render(public, "docx"))
    assert_in_order(lines, ["甘肃省招商引资工作领导小组办公室文件", "甘招商办〔2025〕12号",
                            "关于2025年1—9月全省招商引资工作进展情况的通报", "各市州人民政府、兰州新区管委会",
                            "一、到位资金情况", "1—9月，全省招商引资到位资金", "附件：1．", "甘肃省招商引资工作领导小组办公室",
                            "2025年10月9日", "附件1", "到位资金情况表", "附件2", "抄送：", "2025年10月9日印发"])
    # the province row of the funds table is the warehouse figure too
    province = next(line for line in lines if line.startswith("全省|"))
    assert province.split("|")[2] == str(wh.value("funds_ytd", "全省"))

    project_ids = [r["project_id"] for r in store.frame(snap, "SELECT DISTINCT project_id FROM fact_project_month")
                   .to_dicts()]
    public_all = "\n".join(lines)
    assert not any(pid in public_all for pid in project_ids)
    assert not any(word in public_all for word in ("核查", "存在差异", "无法核实", "未能在相应年度名录中核实"))
    internal_all = "\n".join(docx_lines(render(internal, "docx")))
    assert "内部资料" in internal_all and "抽样核查" in internal_all and f"{LANZHOU}-9" in internal_all
    assert "发现数据存在差异的项目1个" in internal_all
    for t in (public_all, internal_all):
        assert_clean(t.replace(f"{LANZHOU}-", "").replace(f"{JIAYUGUAN}-", "").replace(f"{XINQU}-", ""))


def test_the_docx_keeps_the_red_masthead_and_standard_font_names(snap):
    d = monthly_document(snap, SEPT, settings(), version="public", number=None, date=DATE, config=small_config())
    doc = read_docx(io.BytesIO(render(d, "docx")))
    mast = next(p for p in doc.paragraphs if p.text == "甘肃省招商引资工作领导小组办公室文件")
    assert str(mast.runs[0].font.color.rgb) == "FF0000"
    number = next(p for p in doc.paragraphs if p.text.startswith("甘招商办〔2025〕"))
    assert 'w:color="FF0000"' in number._p.xml and "w:pBdr" in number._p.xml   # the red separator line
    assert d.number == "甘招商办〔2025〕\u3000\u3000号"                      # no number given: left blank to fill in
    xml = doc.element.xml
    assert all(f in xml for f in ("方正小标宋简体", "仿宋_GB2312", "黑体"))
    section = doc.sections[0]
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)


def test_quarterly_uses_the_frozen_ranking_or_says_preview(hand, snap):
    cfg = small_config()
    preview = quarterly_document(snap, "2025Q3", settings(), version="public", number=3, date=DATE, config=cfg)
    assert preview.preview and "（预览，未发布）" in docx_lines(render(preview, "docx"))[2]
    assert any("尚未经审定发布" in p.text for p in preview.paragraphs())

    ranking = rank_quarter(snap, "2025Q3", cfg)
    out = publish(hand.path, ranking, cfg, by="张三", at=dt.datetime(2025, 10, 10, 9))
    # prepared, not yet approved by a leader (two-person sign-off): still a preview
    prepared = store.current_snapshot(hand.path)
    assert quarterly_document(prepared, "2025Q3", settings(), version="public", number=3, date=DATE, config=cfg).preview
    signoff.approve(hand.path, out.publication_id, User("leader", "领导小组", "leader"))
    now = store.current_snapshot(hand.path)
    doc = quarterly_document(now, "2025Q3", settings(), version="public", number=3, date=DATE, config=cfg)
    assert not doc.preview and not any("预览" in p.text for p in doc.paragraphs())
    attribution = attribute_quarter(now, "2025Q3", cfg)
    values = {}
    for r in ranking.table.iter_rows(named=True):
        values[("score", r["unit_code"])] = r2(str(r["score"]))
    for r in attribution.summary.iter_rows(named=True):
        u = r["unit_code"]
        values[("rank", u)] = Decimal(r["rank_current"])
        values[("rank_previous", u)] = Decimal(r["rank_previous"])
        values[("rank_rise", u)] = Decimal(r["rank_previous"] - r["rank_current"])
        values[("rank_fall", u)] = Decimal(r["rank_current"] - r["rank_previous"])
        values[("score_change", u)] = r2(str(r["change"]))     # signed; the text says 提高/下降
    for r in attribution.items.iter_rows(named=True):
        values[(f"contribution:{r['item_id']}", r["unit_code"])] = r2(str(r["contribution"]))
    check_numbers(doc, Warehouse(now), values)
    drivers = [f for s in doc.sentences() for f in s.facts if f.key.startswith("contribution:")]
    moved = {r["unit_code"] for r in attribution.summary.iter_rows(named=True) if abs(r2(str(r["change"]))) >= 0.01}
    assert moved and {f.scope for f in drivers} == moved  # each unit whose score moved: its main driver named
    names = [p.text for p in doc.paragraphs() if "位列第" in p.text]
    assert [n[:3] for n in names] == [r["unit_name"][:3] for r in ranking.table.iter_rows(named=True)]
    text = "\n".join(docx_lines(render(doc, "docx")))
    assert "予以通报表扬" in text and "约谈" in text
    assert "按照“季度综合排名前3位（含并列）”的规则" in text     # fed by config/office.toml, not a fixed count
    assert_clean(text)
    no_praise = settings(**{"praise_top = 1": "praise_top = 0", "interview_bottom = 1": "interview_bottom = 0"})
    plain = quarterly_document(now, "2025Q3", no_praise, version="public", number=3, date=DATE, config=cfg)
    assert not any("表扬" in p.text or "约谈" in p.text for p in plain.paragraphs())


def test_annual_is_labelled_as_built_from_the_quarters(snap):
    doc = annual_document(snap, 2025, settings(), version="public", number=None, date=DATE, config=small_config(),
                          annual=None)  # an installation without config/annual.toml
    text = "\n".join(docx_lines(render(doc, "docx")))
    assert "按季度排名汇总（年度考核办法未配置时）" in text and "第四季度尚无数据" in text
    assert_clean(text)
    cfg = small_config()
    ranks = {u: [] for u in UNITS}
    for q in ("2025Q1", "2025Q2", "2025Q3"):
        for r in rank_quarter(snap, q, cfg).table.iter_rows(named=True):
            ranks[r["unit_code"]].append(r["rank"])
    values = {("avg_rank", u): r1(Decimal(sum(v)) / len(v)) for u, v in ranks.items()}
    check_numbers(doc, None, values)


def test_briefing_is_one_page_with_headline_highlights_and_risks(snap):
    d = briefing_document(snap, SEPT, settings(), version="internal", number=9, date=DATE, config=small_config())
    heads = [b.text for b in d.body if not hasattr(b, "sentences")]
    assert heads == ["一、主要指标", "二、本月要点", "三、风险提示"]
    assert any(p.text.startswith("一是") and "二是" in p.text and "三是" in p.text for p in d.paragraphs())
    wh = Warehouse(snap)
    progress = province_progress(snap, SEPT)       # the 目标进度 page's year-end forecast and target
    point, target = progress.year_end.point_wan, progress.target_wan
    outlook = {"forecast": r2(point / 10000), "forecast_share": r1(point / target * 100),
               "forecast_gap": r2((target - point) / 10000)}
    seen = set()
    for s in d.sentences():
        for f in s.facts:
            expected = outlook[f.key] if f.key in outlook else wh.value(f.key, f.scope)
            assert f.value == expected, (f, s.text)
            seen.add(f.key)
    assert {"funds_ytd", "forecast", "stalled"} <= seen
    pdf = render(d, "pdf")
    objects = pdf_objects(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", objects)) == 1
    lines = docx_lines(render(d, "docx"))
    assert_in_order(lines, ["招商引资工作专报", "2025年第9期", "甘肃省招商引资工作领导小组办公室", "一、主要指标",
                            "二、本月要点", "三、风险提示", "报："])


def test_the_pdf_embeds_its_cjk_fonts(snap):
    d = monthly_document(snap, SEPT, settings(), version="public", number=1, date=DATE, config=small_config())
    objects = pdf_objects(render(d, "pdf"))
    fonts = set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", objects))
    assert fonts and all(re.search(rb"WenQuanYi|Noto|Source|AR|Kai|Song|Hei|Fang", f) for f in fonts), fonts
    descriptors = len(re.findall(rb"/Type\s*/FontDescriptor", objects))
    embedded = len(re.findall(rb"/FontFile[23]?\s", objects))
    assert descriptors >= 1 and embedded == descriptors     # every font used is embedded (subset)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('number_pattern = "甘招商办〔{year}〕{number}号"', 'number_pattern = "甘招商办〔{year}〕号"', "缺少 {number}"),
    ('name = "甘肃省招商引资工作领导小组办公室"', 'name = ""', "发文机关名称）不能为空"),
    ('"lists", "verification"', '"lists", "rankings", "verification"', "无法识别的部分：rankings"),
    ("praise_top = 1", "praise_top = -2", "表扬名额）应为不小于 0 的整数"),
    ('addressees = ["各市州人民政府", "兰州新区管委会", "省招商引资工作领导小组各成员单位"]\nsections = ["ranking", "explanations"',
     'addressees = []\nsections = ["ranking", "explanations"', "主送机关）不能为空"),
])
def test_bad_configuration_is_refused_in_chinese(old, new, expected):
    with pytest.raises(DocumentConfigError) as err:
        settings(**{old: new})
    assert expected in str(err.value) and "请修改后重试" in str(err.value)


def test_cli_writes_the_document_and_refuses_bad_config(snap, hand, tmp_path, capsys):
    out = tmp_path / "通报.docx"
    code = cli.main(["document", "--kind", "monthly", "--period", "2025-09", "--warehouse", str(hand.path),
                     "--out", str(out), "--number", "5", "--date", "2025-10-09"])
    assert code == 0 and "甘招商办〔2025〕5号" in docx_lines(out.read_bytes())
    bad = tmp_path / "documents.toml"
    bad.write_text(DEFAULT_PATH.read_text(encoding="utf-8").replace("{number}号", "号"), encoding="utf-8")
    code = cli.main(["document", "--kind", "briefing", "--period", "2025-09", "--warehouse", str(hand.path),
                     "--out", str(tmp_path / "x.pdf"), "--documents-config", str(bad)])
    err = capsys.readouterr().err
    assert code == 1 and "缺少 {number}" in err and not (tmp_path / "x.pdf").exists()
    code = cli.main(["document", "--kind", "quarterly", "--period", "2025-09", "--warehouse", str(hand.path),
                     "--out", str(tmp_path / "q.docx")])
    assert code == 1 and "季度排名通报的期间应为季度" in capsys.readouterr().err
    assert Path(cli.__file__).exists()


def test_the_monthly_page_offers_the_bulletin_and_the_briefing(snap, hand, monkeypatch):
    from tests.apptest_support import app_as, clear_caches

    monkeypatch.setenv("WAREHOUSE", str(hand.path))
    clear_caches()
    at = app_as("leader", hand.path, "pages/monthly_bulletin.py").run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert {"生成月度通报（docx）", "生成月度通报（pdf）", "生成专报（docx）", "生成专报（pdf）"} <= set(labels)
    next(b for b in at.button if b.label == "生成月度通报（pdf）").click().run()
    assert not at.exception
    assert "下载月度通报（pdf）" in [b.label for b in at.get("download_button")]
    assert "生成月度通报（pdf）" not in [b.label for b in at.button]  # built once, kept for this snapshot
    assert "月度通报（pdf）已生成" in str(at.main)  # the progress notice (st.status) says it is done
    assert [o for o in at.radio(key="bulletin_doc_version").options] == ["公开版", "内部版"]
    clear_caches()
