"""config/documents.toml read and checked: the issuing office, 文号 pattern, 主送, 落款 and each document's sections.

Every problem is collected and refused at once with a Chinese message that says what to fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from core import config
from core.config import CONFIG_DIR

DEFAULT_PATH = CONFIG_DIR / "documents.toml"

KINDS = {"monthly": "月度通报", "quarterly": "季度排名通报", "annual": "年度考核通报", "briefing": "专报"}
SECTIONS = {
    "monthly": {"funds": "到位资金", "signings": "项目签约", "major": "10亿元以上项目", "five_hundred": "三个500强",
                "lifecycle": "项目开工投产", "lists": "红黑榜", "verification": "核查发现（仅内部版）",
                "requirements": "工作要求"},
    "quarterly": {"ranking": "排名结果", "explanations": "名次变化说明", "praise": "表扬", "interview": "约谈",
                  "verification": "核查发现（仅内部版）", "requirements": "工作要求"},
    "annual": {"ranking": "排名结果", "verification": "核查发现（仅内部版）", "requirements": "工作要求"},
    "briefing": {"headline": "主要指标", "highlights": "本月要点", "risks": "风险提示"},
}


class DocumentConfigError(ValueError):
    """documents.toml cannot be used (Chinese message listing what to fix)."""


@dataclass(frozen=True)
class KindSettings:
    title: str                      # with {period}
    addressees: tuple[str, ...]     # 主送 (专报: 报送 recipients, printed in the 版记)
    sections: tuple[str, ...]
    requirements: tuple[str, ...] = ()
    praise_top: int = 0
    interview_bottom: int = 0
    mark: str = ""                  # 专报 only: replaces the 发文机关标志
    number_pattern: str = ""        # 专报 only: 期号


@dataclass(frozen=True)
class DocumentSettings:
    version: str
    office: str
    office_mark: str
    number_pattern: str
    signatory: str
    printer: str
    copy_to: tuple[str, ...]
    kinds: dict[str, KindSettings]

    def kind(self, kind: str) -> KindSettings:
        return self.kinds[kind]

    def number(self, kind: str, year: int, number: int | None) -> str:
        """文号 (or 专报 期号) with the serial number; a blank for the office to fill in when it is not given."""
        pattern = self.kinds[kind].number_pattern or self.number_pattern
        return pattern.format(year=year, number=number if number is not None else "\u3000\u3000")


def _fields(pattern: str) -> set[str] | None:
    try:
        return {name for _, name, _, _ in Formatter().parse(pattern) if name is not None}
    except ValueError:
        return None


def _text(raw: dict, key: str, where: str, label: str, errors: list[str], required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        errors.append(f"[{where}] {key}（{label}）应为文字，当前为“{value}”")
        return ""
    value = value.strip()
    if required and not value:
        errors.append(f"[{where}] {key}（{label}）不能为空，请填写{label}")
    return value


def _texts(raw: dict, key: str, where: str, label: str, errors: list[str], required: bool) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.append(f"[{where}] {key}（{label}）应为文字列表，如 [\"各市州人民政府\", \"兰州新区管委会\"]，"
                      "且每项不能为空")
        return ()
    if required and not value:
        errors.append(f"[{where}] {key}（{label}）不能为空，请至少填写一个")
    return tuple(v.strip() for v in value)


def _pattern(raw: dict, key: str, where: str, label: str, example: str, errors: list[str]) -> str:
    pattern = _text(raw, key, where, label, errors)
    if not pattern:
        return ""
    names = _fields(pattern)
    if names is None:
        errors.append(f"[{where}] {key}（{label}）“{pattern}”中的花括号不成对，请写成如“{example}”")
    elif "number" not in names:
        errors.append(f"[{where}] {key}（{label}）“{pattern}”缺少 {{number}}（序号）占位，"
                      f"请写成如“{example}”")
    elif names - {"year", "number"}:
        unknown = "、".join(sorted(f"{{{n}}}" for n in names - {"year", "number"}))
        errors.append(f"[{where}] {key}（{label}）“{pattern}”含有无法识别的占位 {unknown}，只能使用 {{year}} 和 {{number}}")
    return pattern


def _count(raw: dict, key: str, where: str, label: str, errors: list[str]) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(f"[{where}] {key}（{label}）应为不小于 0 的整数，当前为“{value}”")
        return 0
    return value


def _kind(raw: dict, kind: str, errors: list[str]) -> KindSettings:
    if not isinstance(raw, dict):
        errors.append(f"缺少 [{kind}]（{KINDS[kind]}）一节")
        raw = {}
    title = _text(raw, "title", kind, "标题", errors)
    if title and "{period}" not in title:
        errors.append(f"[{kind}] title（标题）“{title}”缺少 {{period}}（通报期间）占位")
    known = SECTIONS[kind]
    sections = _texts(raw, "sections", kind, "包含的部分", errors, required=True)
    unknown = [s for s in sections if s not in known]
    if unknown:
        errors.append(f"[{kind}] sections 中有无法识别的部分：{'、'.join(unknown)}；可选："
                      + "、".join(f"{k}（{v}）" for k, v in known.items()))
    settings = KindSettings(
        title=title,
        addressees=_texts(raw, "recipients" if kind == "briefing" else "addressees", kind,
                          "报送对象" if kind == "briefing" else "主送机关", errors, required=True),
        sections=tuple(s for s in sections if s in known),
        requirements=_texts(raw, "requirements", kind, "工作要求", errors, required=False),
        praise_top=_count(raw, "praise_top", kind, "表扬名额", errors),
        interview_bottom=_count(raw, "interview_bottom", kind, "约谈名额", errors),
    )
    if kind == "briefing":
        settings = KindSettings(**{**settings.__dict__,
                                   "mark": _text(raw, "mark", kind, "专报名称", errors),
                                   "number_pattern": _pattern(raw, "number_pattern", kind, "期号格式",
                                                              "{year}年第{number}期", errors)})
    return settings


def parse_document_settings(text: str, name: str = "documents.toml") -> DocumentSettings:
    """Parse and check the document settings; DocumentConfigError lists every problem."""
    try:
        cfg = config.parse_toml(text, name, "公文配置")
    except config.ConfigError as exc:
        raise DocumentConfigError(str(exc)) from None
    errors: list[str] = []
    office = cfg.get("office") if isinstance(cfg.get("office"), dict) else {}
    if not office:
        errors.append("缺少 [office]（发文机关）一节")
    name_ = _text(office, "name", "office", "发文机关名称", errors)
    settings = DocumentSettings(
        version=str(cfg.get("version", "")),
        office=name_,
        office_mark=_text(office, "mark", "office", "发文机关标志", errors),
        number_pattern=_pattern(office, "number_pattern", "office", "文号格式", "甘招商办〔{year}〕{number}号", errors),
        signatory=_text(office, "signatory", "office", "落款", errors, required=False) or name_,
        printer=_text(office, "printer", "office", "印发机关", errors, required=False) or name_,
        copy_to=_texts(office, "copy_to", "office", "抄送机关", errors, required=False),
        kinds={k: _kind(cfg.get(k), k, errors) for k in KINDS},
    )
    if errors:
        raise DocumentConfigError(f"公文配置 {name} 有误，请修改后重试：\n" + "\n".join(f"- {e}" for e in errors))
    return settings


def load_document_settings(path: str | Path | None = None) -> DocumentSettings:
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentConfigError(f"无法读取公文配置 {path}：{exc.strerror or exc}") from None
    return parse_document_settings(text, path.name)

