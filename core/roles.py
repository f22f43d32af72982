"""Who may do what: roles, permissions, the data scope of a user, and the login policy (config/roles.toml).

The permission names below are the API pages and commands check (`can(role, permission)`); which role holds
which permission is data in config/roles.toml. Data-access code narrows what it reads with `unit_scope(user)`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field, field_validator

from core import config
from core.config import Strict

# Permission name -> Chinese label (shown when access is refused).
PERMISSIONS: dict[str, str] = {
    "view_ranking_live": "查看实时排名",
    "view_ranking_published": "查看已发布排名",
    "view_targets": "查看目标任务",
    "view_verification": "查看核查清单",
    "view_submissions_all": "查看全部单位报送",
    "view_submissions_own": "查看本单位报送",
    "upload": "上传报表",
    "draw_sample": "抽取核查样本",
    "import_results": "导入核查结果",
    "publish": "发布排名",
    "approve_publication": "签批发布",
    "manage_accounts": "管理账户",
    "view_overview": "查看领导总览",
    "view_work_queue": "查看本月工作清单",
    "view_unit_status": "查看本单位报送状态",
    "view_own_unit": "查看本单位工作进展",
    "view_supervision": "查看督办",
    "supervise": "派发督办",
    "answer_supervision": "答复督办",
}


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    bound_to_unit: bool
    permissions: frozenset[str]
    landing: str | None = None  # url path of the page this role lands on after login (app.py)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: dt.timedelta
    session_idle: dt.timedelta
    password_min_length: int


@dataclass(frozen=True)
class User:
    """The person acting, as the account store knows them now (never as a browser session claims)."""

    username: str
    display_name: str
    role: str
    unit_code: str | None = None

    @property
    def role_label(self) -> str:
        return role(self.role).label

    def can(self, permission: str) -> bool:
        return can(self.role, permission)


class _RoleEntry(Strict):
    label: str = Field(title="角色名称 label", min_length=1)
    bound_to_unit: bool = Field(False, title="限定单位 bound_to_unit")
    permissions: list[str] = Field(title="权限 permissions")
    landing: str | None = Field(None, title="登录后首页 landing")

    @field_validator("permissions")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - PERMISSIONS.keys())
        if unknown:
            raise ValueError(f"含未知权限“{'、'.join(unknown)}”")
        return v


class _Login(Strict):
    max_failures: int = Field(title="锁定前允许的失败次数", ge=1)
    lockout_minutes: float = Field(title="锁定分钟数", gt=0)
    session_idle_minutes: float = Field(title="空闲超时分钟数", gt=0)
    password_min_length: int = Field(title="密码最短长度", ge=8)


class _RolesFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    roles: dict[str, _RoleEntry] = Field(title="角色 [roles]", min_length=1)
    login: _Login


@lru_cache(maxsize=1)
def _config() -> _RolesFile:
    return config.read_model("roles.toml", _RolesFile, "角色配置")


@lru_cache(maxsize=1)
def roles() -> dict[str, Role]:
    return {name: Role(name, spec.label, spec.bound_to_unit, frozenset(spec.permissions), spec.landing)
            for name, spec in _config().roles.items()}


def role(name: str) -> Role:
    try:
        return roles()[name]
    except KeyError:
        raise ValueError(f"未知角色：{name}（可选：{'、'.join(roles())}）") from None


def can(role_name: str, permission: str) -> bool:
    """Whether a role holds a permission. An unknown permission is a programming error; an unknown role holds none."""
    if permission not in PERMISSIONS:
        raise ValueError(f"未知权限：{permission}")
    r = roles().get(role_name)
    return r is not None and permission in r.permissions


def unit_scope(user: User) -> set[str] | None:
    """Unit codes whose submissions the user may see: None = every unit; a reporter gets only their own unit."""
    if can(user.role, "view_submissions_all"):
        return None
    if can(user.role, "view_submissions_own") and user.unit_code:
        return {user.unit_code}
    return set()


def may_see_unit(user: User, unit_code: str) -> bool:
    scope = unit_scope(user)
    return scope is None or unit_code in scope


@lru_cache(maxsize=1)
def login_policy() -> LoginPolicy:
    cfg = _config().login
    return LoginPolicy(
        max_failures=cfg.max_failures,
        lockout=dt.timedelta(minutes=cfg.lockout_minutes),
        session_idle=dt.timedelta(minutes=cfg.session_idle_minutes),
        password_min_length=cfg.password_min_length,
    )
