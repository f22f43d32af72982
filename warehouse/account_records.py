"""What the account store hands out: accounts, login results, session checks, audit entries and their labels."""
from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass

from core.roles import User

# Audit event -> Chinese label. Pages and commands call `audit(event, ...)` with one of these names.
EVENTS: dict[str, str] = {
    "login_success": "登录成功",
    "login_failure": "登录失败",
    "lockout": "账户锁定",
    "logout": "退出登录",
    "session_timeout": "会话超时",
    "access_denied": "拒绝访问",
    "load": "加载报表",
    "sample": "抽取核查样本",
    "publish": "发布排名",
    "approve": "签批发布",
    "approve_refused": "签批被拒绝",
    "annual_entry": "录入年度考核事项",
    "supervision_dispatch": "派发督办清单",
    "supervision_answer": "答复督办",
    "deduction": "核减到位资金",
    "import_results": "导入核查结果",
    "user_add": "新增账户",
    "user_disable": "停用账户",
    "user_enable": "启用账户",
    "password_reset": "重置密码",
    "user_unlock": "解除账户锁定",
    "cli_write": "命令行写入",
    "integrity_failure": "发布核验未通过",
}

@dataclass(frozen=True)
class Account:
    """An account as the administrator sees it (never the password hash)."""

    username: str
    display_name: str
    role: str
    unit_code: str | None
    email: str | None
    disabled: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def user(self) -> User:
        return User(self.username, self.display_name, self.role, self.unit_code)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refusal: str | None = None          # bad_credentials | locked | disabled
    locked_for: dt.timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None

    @property
    def message(self) -> str:
        if self.refusal == "locked":
            minutes = max(1, math.ceil(self.locked_for.total_seconds() / 60))
            return f"账户已锁定，请 {minutes} 分钟后再试"
        if self.refusal == "disabled":
            return "账户已停用"
        if self.refusal == "bad_credentials":
            return "用户名或密码错误"
        return "登录成功"


@dataclass(frozen=True)
class SessionCheck:
    user: User | None
    timed_out: bool = False


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    event: str
    username: str
    detail: str

    @property
    def label(self) -> str:
        return EVENTS[self.event]


def account_from_row(row: sqlite3.Row) -> Account:
    return Account(
        row["username"], row["display_name"], row["role"], row["unit_code"], row["email"],
        bool(row["disabled"]), row["failed_attempts"], parse_ts(row["locked_until"]),
        parse_ts(row["created_at"]), parse_ts(row["updated_at"]),
    )


def parse_ts(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
