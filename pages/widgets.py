"""Widgets shared by the pages: the page preamble, headline figures, tables with definitions and downloads, the month
picker."""
from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from analytics.tables import Figure, Table
from core import periods, roles, spreadsheet
from core.reporting import report_label as month_label  # 1—2月合报: February may be "1—2月"
from core.text import plain
from pages import auth, data
from warehouse.queries import submissions as submission_queries

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 2000  # rows sent to the browser per table; the xlsx download holds them all


def show_figures(figures: tuple[Figure, ...], per_row: int = 4) -> None:
    for start in range(0, len(figures), per_row):
        for col, f in zip(st.columns(per_row), figures[start:start + per_row]):
            col.metric(f"{f.label}（{f.unit}）", f.text(), help=f.definition)
            if f.note:
                col.caption(f.note)


def show_table(table: Table, key: str) -> None:
    """A table with its title, definition, 口径说明 and an xlsx download (built only when clicked)."""
    st.markdown(f"**{plain(table.title)}**")
    if table.definition:
        st.caption(table.definition)
    widgets = {"date": st.column_config.DateColumn, "number": st.column_config.NumberColumn}
    rows = table.frame.height
    if rows > SHOWN_ROWS:
        st.caption(f"共 {rows:,} 行，页面显示前 {SHOWN_ROWS:,} 行；完整清单请下载本表。")
    st.dataframe(table.display().head(SHOWN_ROWS), hide_index=True, placeholder="—",
                 height=35 * (rows + 1) + 3 if rows <= 20 else "auto",
                 column_config={header: widgets[kind](format=fmt)
                                for header, (kind, fmt) in table.column_formats().items()})
    notes = table.definitions()
    if notes:
        with st.expander("口径说明"):
            st.markdown("\n".join(f"- **{header}**：{text}" for header, text in notes.items()))
    st.download_button("下载本表（xlsx）", table.xlsx, file_name=f"{table.title}.xlsx", mime=XLSX,
                       key=f"download_{key}", on_click="ignore")


def data_months_or_stop() -> list[dt.date]:
    """Months that have data; stops the page with a Chinese notice when the warehouse is empty."""
    months = data.load(submission_queries.months_with_data) or []
    if not months:
        st.info("数据仓库中尚无报送数据。")
        st.stop()
    return months


def month_choices(months: list[dt.date]) -> list[dt.date]:
    """The sidebar quarter's months with data, newest first (all months when the quarter has none)."""
    quarter = st.session_state.get("quarter")
    return [m for m in reversed(months) if periods.quarter_of(m) == quarter] or list(reversed(months))


def province_page(permission: str, title: str, caption: str):
    """The preamble of a page that compares units and lists projects: the server-side guard, refusal of accounts
    limited to one unit, the title and the policy caption. Returns the user."""
    user = auth.require(permission)
    if roles.unit_scope(user) is not None:
        st.error("本页面展示全省及各单位对比和项目明细，仅向不限定单位的账户开放。")
        st.stop()
    st.title(title)
    st.caption(caption)
    return user


def month_picker(key: str, container=None) -> dt.date:
    """The 截至月份 picker over the sidebar quarter's months with data (stops the page when there are none)."""
    choices = month_choices(data_months_or_stop())
    quarter = st.session_state.get("quarter")
    return (container or st.columns([1, 3])[0]).selectbox(
        "截至月份", choices, format_func=month_label, key=f"{key}_month_{quarter}", help="可选月份随侧栏“考核季度”变化")


def prepared_download(container, label: str, build, file_name: str, mime: str, key: str) -> None:
    """A file that takes seconds to build (a PDF, a document with charts): a 生成 button builds it under a progress
    notice, then its download button; the built file is kept for the session until the snapshot changes."""
    held_key, identity = f"prepared_{key}", data.snapshot_identity()
    held = st.session_state.get(held_key)
    slot = container.empty()  # the 生成 button, replaced by the download button once the file is built
    if not (held and held[0] == identity) and slot.button(f"生成{label}", key=f"{key}_build"):
        slot.empty()
        with container.status(f"正在生成{label}，请稍候…", expanded=False) as progress:
            held = (identity, build())
            progress.update(label=f"{label}已生成，可下载", state="complete")
        st.session_state[held_key] = held
    if held and held[0] == identity:
        slot.download_button(f"下载{label}", held[1], file_name=file_name, mime=mime, key=key, on_click="ignore")


def table_download(label: str, title: str, frame: pl.DataFrame, notes: list[str], file_name: str, key: str) -> None:
    """A download button for any frame as a one-sheet workbook (built only when clicked)."""
    st.download_button(label, lambda: spreadsheet.table_xlsx(title, frame, notes), file_name=file_name, mime=XLSX,
                       key=key, on_click="ignore")


def technical_info(user, lines: list[str]) -> None:
    """The admin-only 技术信息 fold: versions, hashes, file and table names — never shown to leaders."""
    if not user.can("manage_accounts"):
        return
    with st.expander("技术信息"):
        st.markdown("\n".join(f"- {plain(x)}" for x in lines))


def uploader_in_chinese() -> None:
    """Replace the file uploader's built-in English ('Upload', '50MB per file • XLSX, CSV', 'Drag and drop files
    here') with Chinese, by CSS only (works offline): the built-in texts are hidden, Chinese drawn in their place."""
    limit = st.get_option("server.maxUploadSize")
    st.html(f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] * {{ display: none !important; }}
[data-testid="stFileUploaderDropzoneInstructions"]::after {{
  content: "单个文件不超过 {limit}MB，支持 XLSX、CSV 格式"; font-size: 0.875rem; opacity: 0.7; }}
[data-testid="stFileUploaderDropzone"] button {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] button * {{ display: none !important; }}
[data-testid="stFileUploaderDropzone"] button::after {{ content: "选择文件"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) span {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) span::after {{
  content: "将文件拖放到此处"; font-size: 1rem; }}
</style>""")
