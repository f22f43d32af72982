"""One definition per figure: the figures shown under the same label on several pages, each with its Chinese label,
definition and unit. A page, table or bulletin that shows one of them takes its label and definition from here, so
that the same label always means the same quantity (two different quantities get two different labels)."""
from __future__ import annotations

from dataclasses import dataclass

from analytics.tables import Column, Figure


@dataclass(frozen=True)
class Metric:
    id: str
    label: str          # the Chinese label every page shows
    definition: str     # the Chinese definition (口径说明)
    unit: str           # 亿元, %, 个, or "" (a month)

    def column(self, name: str | None = None, definition: str | None = None) -> Column:
        """A table column showing this metric (frame column `name`, default the metric's id)."""
        return Column(name or self.id, self.label, self.unit, definition or self.definition)

    def figure(self, value, note: str = "") -> Figure:
        return Figure(self.label, value, self.unit, self.definition, note)


FUNDS = Metric("funds_wan", "到位资金", "资金来源为省外境内、境外的项目到位资金（各单位按月以万元报送，以亿元显示，"
               "取各单位各月最新版本报表）；年初至今到位资金为本年1月至所选月份各月之和", "亿元")
FUNDS_RATE = Metric("funds_rate", "资金到位率", "截至所选月份（季度排名为季末）各单位报送过的未终止项目，累计到位资金 ÷ "
                    "签约金额（取各项目最新一期报表）；“项目全周期”页与季度排名同一口径", "%")
STALLED = Metric("stalled", "停滞项目", "截至所选月份（季度排名为季末）符合任一停滞认定规则（签约未开工、开工后无到位资金、"
                 "资金到位不足、报告停滞）的未终止项目数，一个项目只计一次", "个")
CALENDAR_PROGRESS = Metric("calendar_progress", "序时进度", "第 m 月末的序时进度 = m ÷ 12", "%")
TASK_COMPLETION = Metric("completion", "任务完成率", "年初至今到位资金 ÷ 年度任务", "%")
DATA_CUTOFF = Metric("data_cutoff", "数据截至", "各被考核单位报表均已收到的最近月份（此前各月亦齐全）；"
                     "最近一次收到报表的时间另行标注为“最近一次加载”", "")

METRICS = {m.id: m for m in (FUNDS, FUNDS_RATE, STALLED, CALENDAR_PROGRESS, TASK_COMPLETION, DATA_CUTOFF)}
