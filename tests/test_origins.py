"""投资方来源地 regions (config/origins.toml): classification, and the regions' sums equal the total."""
import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from analytics import origins as view
from core import origins
from etl.load import load_files
from warehouse import store

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.mark.parametrize("text, region", [
    ("上海市", "长三角"), ("安徽合肥", "长三角"), ("广东省", "珠三角/粤港澳"), ("中国香港", "珠三角/粤港澳"),
    ("澳门特别行政区", "珠三角/粤港澳"), ("天津市", "京津冀"), ("河北", "京津冀"), ("重庆市", "成渝"),
    ("甘肃省", "省内"), ("山东省", "其他省份"), ("陕西", "其他省份"), ("新加坡", "境外"), ("美国", "境外"),
    ("", "未填"), (None, "未填"),
])
def test_region_of(text, region):
    assert origins.region_of(text) == region


def test_east_west_partners_are_an_overlay_across_regions():
    assert origins.in_overlay("天津市", "东西部协作省份") and origins.in_overlay("山东省", "东西部协作省份")
    assert not origins.in_overlay("广东省", "东西部协作省份")
    assert "东西部协作省份" not in origins.partition()


def test_region_sums_equal_the_total_on_a_hand_made_set():
    projects = pl.DataFrame({
        "unit_code": ["620100"] * 6 + ["620200"] * 3,
        "project_id": [f"P{i}" for i in range(9)],
        "investor_origin": ["上海市", "天津市", "山东省", "美国", None, "甘肃省", "广东省", "四川省", "江苏"],
        "funds_wan": [Decimal(x) for x in ("100.5", "20", "30.25", "7", "1", "0", "300", "12.0001", "5")],
    }, schema_overrides={"funds_wan": pl.Decimal(38, 4)})
    frame = view.region_frame(projects)
    parts = frame.filter(pl.col("region").is_in(list(origins.partition())))
    total = frame.filter(pl.col("region") == view.TOTAL).row(0, named=True)
    assert parts["projects"].sum() == total["projects"] == 9
    assert Decimal(parts["funds_wan"].sum()) == total["funds_wan"] == Decimal("475.7501")
    got = {r: f for r, f in parts.select("region", "funds_wan").iter_rows()}
    assert got["长三角"] == Decimal("105.5") and got["京津冀"] == Decimal("20") and got["境外"] == Decimal("7")
    overlay = frame.filter(pl.col("region").str.starts_with("其中")).row(0, named=True)
    assert overlay["region"] == "其中：东西部协作省份（暂定）" and overlay["funds_wan"] == Decimal("50.25")
    by_unit = view.units_by_region(projects)
    assert Decimal(by_unit[view.TOTAL].sum()) == total["funds_wan"]


def test_warehouse_regions_add_up_to_the_province_funds(warehouse, project_row, submission_bytes):
    rows = [project_row(1, **{"投资方来源地": "浙江省"}), project_row(2, **{"投资方来源地": "德国"}),
            project_row(3, **{"投资方来源地": "天津市", "本月到位资金（万元）": "55.5"}),
            project_row(4, **{"投资方来源地": "甘肃省", "资金来源": "省内市州外"})]
    load_files([("a.csv", submission_bytes(rows, "a.csv"))], warehouse=warehouse, received_at="2025-04-03")
    snap = store.current_snapshot(warehouse)
    regions, by_unit = view.origin_view(snap, dt.date(2025, 3, 1))
    frame = regions.frame
    total = frame.filter(pl.col("region") == view.TOTAL).row(0, named=True)
    mart = store.frame(snap, "SELECT sum(funds_month_wan) FROM mart_unit_month").item()
    assert total["funds_wan"] == mart == Decimal("255.5") and total["projects"] == 4
    parts = frame.filter(pl.col("region").is_in(list(origins.partition())))
    assert Decimal(parts["funds_wan"].sum()) == mart and parts["projects"].sum() == 4
    assert by_unit.frame.filter(pl.col("unit_name") == "兰州市")[view.TOTAL].item() == mart
    lz, _ = view.origin_view(snap, dt.date(2025, 3, 1), "620100")
    assert lz.title.startswith("兰州市2025年1—3月")
