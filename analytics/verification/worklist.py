"""The third-party firm's work list for a recorded sample (csv/xlsx with the columns the firm fills in)."""
from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import xlsxwriter

from analytics.verification import scoring
from analytics.verification.results import OUTCOMES, RESULT_COLUMNS
from analytics.verification.rules import FAMILIES
from analytics.verification.sampling import STRATUM_ZH, DrawnSample
from core import catalog
from core.spreadsheet import neutralise

# --------------------------------------------------------------------------- the firm's work list

WORK_LIST_COLUMNS = (
    "报送单位代码", "项目编号", "项目名称", "抽样层", "入样概率", "风险分", "抽样原因",
    "样本编号", "报送单位", "投资方名称", "所属产业链", "项目状态",
    "签约金额（万元）", "本季度到位资金（万元）", "累计到位资金（万元）", "风险提示", "应提供的佐证材料",
    *RESULT_COLUMNS,
)
MONEY_COLUMNS = ("签约金额（万元）", "本季度到位资金（万元）", "累计到位资金（万元）")
def evidence(row: dict) -> str:
    """What to ask for: the base documents plus those of every family with a signal, without repeats."""
    cfg = scoring.sampling_config()["evidence"]
    parts = [cfg["base"]] + [cfg[f] for f in FAMILIES if row[f"score_{f}"] > 0]
    seen: list[str] = []
    for part in parts:
        seen.extend(p for p in part.split("、") if p not in seen)
    return "、".join(seen)


def work_list(sample: DrawnSample) -> pl.DataFrame:
    """The list the firm receives, columns in WORK_LIST_COLUMNS order; text neutralised against formulas."""
    names = {u.code: u.name for u in catalog.units()}
    rows = []
    for r in sample.items.sort("selection_order").iter_rows(named=True):
        rows.append({
            "报送单位代码": r["unit_code"], "项目编号": r["project_id"], "项目名称": r["project_name"],
            "抽样层": STRATUM_ZH[r["stratum"]], "入样概率": r["inclusion_prob"], "风险分": round(r["risk_score"], 4),
            "抽样原因": r["selection_reason"], "样本编号": sample.sample_id or "",
            "报送单位": names.get(r["unit_code"], r["unit_code"]), "投资方名称": r["investor_name"],
            "所属产业链": r["chain"], "项目状态": r["status"],
            "签约金额（万元）": r["signed_amount_wan"], "本季度到位资金（万元）": r["funds_quarter_wan"],
            "累计到位资金（万元）": r["funds_cum_wan"], "风险提示": "；".join(r["reasons"]),
            "应提供的佐证材料": evidence(r), "核查结论": None, "核实金额（万元）": None, "核查说明": None,
        })
    schema = {c: pl.String for c in WORK_LIST_COLUMNS}
    schema.update({"入样概率": pl.Float64, "风险分": pl.Float64, **{c: pl.Decimal(18, 4) for c in MONEY_COLUMNS},
                   "核实金额（万元）": pl.Decimal(18, 4)})
    frame = pl.DataFrame(rows, schema=schema)
    text = [c for c, t in schema.items() if t == pl.String]
    return frame.with_columns(pl.col(text).map_elements(neutralise, return_dtype=pl.String))


def _about(sample: DrawnSample) -> list[tuple[str, str]]:
    p = sample.params
    return [
        ("样本编号", sample.sample_id or ""), ("季度", sample.quarter),
        ("抽样时间", str(sample.drawn_at or "")), ("抽样人", sample.drawn_by or ""),
        ("随机种子", str(sample.seed)), ("方法版本", sample.method_version), ("配置版本", p["config_version"]),
        ("数据指纹（SHA-256）", sample.data_hash), ("项目总数", str(sample.population_size)),
        ("样本量", f"{sample.items.height}（确定层 {sample.certainty_size}，概率层 {sample.probability_size}）"),
        ("风险权重 λ", str(p["lambda"])),
        ("说明", "确定层为风险最高的项目，全部核查，不用于外推；概率层按入样概率随机抽取，用于推算全省差错率。"),
        ("填写要求", "请在“核查结论”列选择 核实无误、存在差异 或 无法核实；“核实金额（万元）”填写核实的累计到位资金；"
                 "其他列请勿修改。"),
    ]


def work_list_csv(sample: DrawnSample) -> bytes:
    """The work list as CSV, UTF-8 with BOM (Excel opens it correctly)."""
    return b"\xef\xbb\xbf" + work_list(sample).write_csv().encode("utf-8")


def work_list_xlsx(sample: DrawnSample) -> bytes:
    """The work list as .xlsx: sheet 核查清单 (a drop-down for 核查结论) and sheet 抽样说明 (how it was drawn)."""
    frame = work_list(sample)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as wb:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        fill = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
        money = wb.add_format({"num_format": "#,##0.00##"})
        share = wb.add_format({"num_format": "0.00%"})
        ws = wb.add_worksheet("核查清单")
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, col, fill if col in RESULT_COLUMNS else head)
            ws.set_column(j, j, 40 if col in ("抽样原因", "风险提示", "应提供的佐证材料") else 14)
            for i, value in enumerate(frame[col].to_list(), start=1):
                if value is None:
                    ws.write_blank(i, j, None)
                elif isinstance(value, str):
                    ws.write_string(i, j, value)
                else:
                    ws.write_number(i, j, float(value), money if col in MONEY_COLUMNS else
                                    share if col == "入样概率" else None)
        if frame.height:
            j = frame.columns.index("核查结论")
            ws.data_validation(1, j, frame.height, j, {"validate": "list", "source": list(OUTCOMES)})
        ws.freeze_panes(1, 3)
        ws.autofilter(0, 0, max(frame.height, 1), len(frame.columns) - 1)
        about = wb.add_worksheet("抽样说明")
        about.set_column(0, 0, 20)
        about.set_column(1, 1, 90)
        for i, (k, v) in enumerate(_about(sample)):
            about.write_string(i, 0, k, head)
            about.write_string(i, 1, neutralise(v) or "")
    return buffer.getvalue()


def export_work_list(sample: DrawnSample, path: str | Path) -> Path:
    """Write the work list to a .xlsx or .csv file (by extension)."""
    path = Path(path)
    writers = {".xlsx": work_list_xlsx, ".csv": work_list_csv}
    if path.suffix.lower() not in writers:
        raise ValueError(f"输出文件应为 .xlsx 或 .csv，收到“{path.name}”")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(writers[path.suffix.lower()](sample))
    return path
