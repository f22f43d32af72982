"""The one way a TOML file of config/ is read: parsed, validated by a typed model (pydantic), and every problem
turned into a Chinese message that names the line.

- `read_model(name, Model, what)` / `parse_model(text, Model, what, path, error)`: the file as a validated, frozen
  model; problems raised as `error`, the caller's ConfigError subclass.
- A model's fields carry their Chinese name as `title` (e.g. `Field(title="方向 direction")`); a validator raises
  `ValueError` with a Chinese sentence. `ConfigError` says where: the TOML parser's line for syntax errors, the
  line of the offending key (or of the quoted value inside a list) for everything else.
- Checks that span several entries raise `ConfigError` themselves, with `TomlLines.find` for the line.
- `read_config(name)`: the plain dict, for the one reader that is lenient on purpose (targets.toml: a bad setting
  falls back to its default with a message on the page, so that a typo never takes the targets pages down).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config problem, with the line it was found on (None when the file as a whole is wrong)."""

    WHAT = "配置"  # what the file is, in the message; a subclass names its own file (e.g. 指标体系配置)

    def __init__(self, message: str, line: int | None = None, path: str | None = None, what: str | None = None):
        self.message, self.line, self.path = message, line, path
        what = what or self.WHAT
        where = f"第 {line} 行：" if line else ""
        super().__init__(f"{what}错误（{path or '配置文本'}）{where}{message}")


class Strict(BaseModel):
    """Base of every config model: unknown keys are refused (a misspelt key is not silently ignored), frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TomlLines:
    """Finds the line of a key in the config text: top-level, in [table], or in the n-th [[array]] entry."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def _headers(self, name: str, array: bool) -> list[int]:
        pat = re.compile(r"^\s*\[\[\s*" + re.escape(name) + r"\s*\]\]" if array
                         else r"^\s*\[\s*" + re.escape(name) + r"\s*\]")
        return [i for i, s in enumerate(self.lines) if pat.match(s)]

    def _block_end(self, start: int) -> int:
        for i in range(start + 1, len(self.lines)):
            if re.match(r"^\s*\[", self.lines[i]):
                return i
        return len(self.lines)

    def find(self, table: str | None = None, key: str | None = None, index: int | None = None,
             value: str | None = None) -> int | None:
        """1-based line of `key` (or of the quoted `value` inside that key's, possibly multi-line, value)."""
        if table is None:
            start, end = -1, next((i for i, s in enumerate(self.lines) if re.match(r"^\s*\[", s)), len(self.lines))
        else:
            heads = self._headers(table, array=index is not None)
            if not heads:
                return None
            start = heads[index or 0] if (index or 0) < len(heads) else heads[-1]
            end = self._block_end(start)
        if key is not None:
            pat = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
            for i in range(start + 1, end):
                if pat.match(self.lines[i]):
                    quoted = f'"{value}"'
                    hit = next((k for k in range(i, end) if quoted in self.lines[k]), i) if value else i
                    return hit + 1
        return start + 1 if start >= 0 else None


_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_toml(text: str, path: str | None = None, what: str = "配置",
               error: type[ConfigError] = ConfigError) -> dict:
    """The TOML text as a dict; a syntax error becomes a ConfigError on the parser's line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = _TOML_LINE.search(str(e))
        line = int(m.group(1)) if m else None
        col = f"（第 {m.group(2)} 列）" if m else ""
        raise error(f"TOML 语法错误{col}：{_TOML_LINE.sub('', str(e)).strip()}", line, path, what) from None


def read_text(path: str | Path, what: str = "配置", error: type[ConfigError] = ConfigError) -> tuple[str, bytes]:
    """(text, raw bytes) of a config file, with Chinese errors for an unreadable or non-UTF-8 file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise error(f"无法读取配置文件：{e.strerror or e}", path=str(p), what=what) from None
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError:
        raise error("配置文件不是 UTF-8 编码", path=str(p), what=what) from None


def _entry_label(data: Any, loc: tuple) -> tuple[str | None, str | None, int | None, str]:
    """(table, key, array index, Chinese label of the entry) for a pydantic error location."""
    table, index, key = None, None, None
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    if parts and isinstance(parts[0], str) and len(parts) > 1:
        table = parts[0]
        if isinstance(parts[1], int):
            index, rest = parts[1], parts[2:]
        else:
            rest = parts[1:]
        key = next((p for p in rest if isinstance(p, str)), None)
    elif parts:
        key = parts[0] if isinstance(parts[0], str) else None
    label = ""
    if table is not None and index is not None:
        entry = (data.get(table) or [None] * (index + 1))[index] if isinstance(data, dict) else None
        name = entry.get("id", entry.get("name", "未命名")) if isinstance(entry, dict) else "未命名"
        label = f"第 {index + 1} 个{_ENTRY_NOUN.get(table, table)}（{name}）"
    elif table is not None:
        label = f"[{table}] "
    return table, key, index, label


_ENTRY_NOUN = {"indicator": "指标", "adjustment": "加减分项", "group": "分组", "grade": "等次"}


def _field_title(model: type[BaseModel], loc: tuple) -> str | None:
    """The Chinese title of the field a location points at, walking nested models."""
    current: Any = model
    title = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            break
        info = fields[part]
        title = info.title or part
        ann = info.annotation
        inner = getattr(ann, "__args__", None)
        current = next((a for a in (inner or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            break
    return title


def _message(err: dict, model: type[BaseModel], label: str, key: str | None) -> str:
    kind, value = err["type"], err.get("input")
    title = _field_title(model, err["loc"]) or key or ""
    of = f"{label}的" if label and not label.endswith(" ") else label
    if kind == "missing":
        return f"{label}缺少必填项“{key}”"
    if kind == "extra_forbidden":
        return f"{label}有未知的键“{key}”（拼写错误？）"
    if kind == "literal_error":
        return f"{of}{title}“{value}”无效，可选：{err['ctx']['expected'].replace(' or ', '、').replace(chr(39), '')}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{of}{title}应为整数，收到 {value!r}"
    if kind in ("float_type", "float_parsing", "bool_type", "decimal_type", "decimal_parsing"):
        return f"{of}{title}应为数字，收到 {value!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": "大于", "greater_than_equal": "不小于", "less_than": "小于",
                 "less_than_equal": "不大于"}[kind]
        limit = next(iter(err["ctx"].values()))
        return f"{of}{title}应{bound} {limit:g}，收到 {value}"
    if kind in ("string_type", "string_too_short"):
        return f"{of}{title}应为非空文本"
    if kind in ("dict_type", "model_type"):
        return f"{of}{title or key} 应为表（section）"
    if kind in ("list_type", "tuple_type", "too_short", "too_long"):
        return f"{of}{title}格式不对：{err['msg']}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return f"{of}{title}无效：{err['msg']}"


def validate(model: type[M], data: dict, text: str, path: str | None = None, what: str = "配置",
             error: type[ConfigError] = ConfigError) -> M:
    """`data` validated by `model`; the first problem becomes a ConfigError on its line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # A misspelt key also makes its correct spelling "missing": name the misspelling first.
        err = min(exc.errors(include_url=False),
                  key=lambda e: {"extra_forbidden": 0, "missing": 2}.get(e["type"], 1))
        table, key, index, label = _entry_label(data, err["loc"])
        lines = TomlLines(text)
        rest = [p for p in err["loc"] if isinstance(p, str)][1:]
        while table and index is None and rest and lines._headers(f"{table}.{rest[0]}", False):
            table, rest = f"{table}.{rest[0]}", rest[1:]   # a [table.sub] header, e.g. [roles.leader]
            key = rest[0] if rest else None
        # A validator names the offending value in “…”: point at the line that holds it (e.g. inside a list).
        quoted = re.search(r"“([^”]+)”", str(err.get("ctx", {}).get("error", ""))) if err["type"] == "value_error" else None
        value = quoted.group(1) if quoted else None
        line = lines.find(table, key if err["type"] != "missing" else None, index, value)
        raise error(_message(err, model, label, key), line, path, what) from None


def parse_model(text: str, model: type[M], what: str = "配置", path: str | None = None,
                error: type[ConfigError] = ConfigError) -> M:
    """The text validated by `model`; every problem raised as `error` (a ConfigError subclass of the caller's)."""
    return validate(model, parse_toml(text, path, what, error), text, path, what, error)


def _path(name: str | Path) -> Path:
    return Path(name) if Path(name).is_absolute() or Path(name).exists() else CONFIG_DIR / name


def read_config(name: str | Path, what: str = "配置") -> dict:
    """config/<name> as a plain dict (syntax checked) for a reader that validates leniently on purpose."""
    path = _path(name)
    return parse_toml(read_text(path, what)[0], str(path), what)


def read_model(name: str, model: type[M], what: str = "配置") -> M:
    """config/<name> (or a path) as a validated model."""
    path = _path(name)
    text, _ = read_text(path, what)
    return parse_model(text, model, what, str(path))
