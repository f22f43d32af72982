"""The role/permission matrix and the data scope of each role (issue 6)."""
import pytest

from core import config, roles
from core.roles import User

# The matrix as the brief states it: leader reads everything; admin reads and writes everything;
# a reporter uploads and sees their own unit's submissions and the PUBLISHED rankings only.
# Issue 14: every role may open 本单位工作进展 (view_own_unit; a bound account only for its own unit), and the
# 市州领导 reads one unit: its progress, its submissions and the published rankings; no upload.
# Issue 12: a leader also approves (签批) publications an administrator prepared (two-person sign-off); 督办: the
# admin dispatches stalled-project lists, a reporter answers for their unit, leaders read.
READ_ALL = {"view_ranking_live", "view_ranking_published", "view_targets", "view_verification",
            "view_submissions_all", "view_submissions_own", "view_own_unit"}
EXPECTED = {
    "leader": READ_ALL | {"view_overview", "approve_publication", "view_supervision"},
    "admin": READ_ALL | {"upload", "draw_sample", "import_results", "publish", "manage_accounts", "view_overview",
                         "view_work_queue", "view_supervision", "supervise"},
    "reporter": {"view_ranking_published", "view_submissions_own", "upload", "view_unit_status", "view_own_unit",
                 "view_supervision", "answer_supervision"},
    "unit_leader": {"view_ranking_published", "view_submissions_own", "view_own_unit", "view_unit_status"},
}
BOUND = {"reporter", "unit_leader"}


@pytest.mark.parametrize("permission", sorted(roles.PERMISSIONS))
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_matrix(role, permission):
    assert roles.can(role, permission) is (permission in EXPECTED[role])
    assert User("u", "u", role, "620100" if role in BOUND else None).can(permission) is (
        permission in EXPECTED[role])


def test_configured_roles_are_exactly_the_four():
    assert set(roles.roles()) == set(EXPECTED)
    assert {r.label for r in roles.roles().values()} == {"领导", "管理员", "填报员", "市州领导"}


def test_unknown_permission_is_an_error_not_a_silent_no():
    with pytest.raises(ValueError, match="未知权限"):
        roles.can("admin", "view_everything")


def test_unknown_role_holds_nothing():
    assert not any(roles.can("superuser", p) for p in roles.PERMISSIONS)
    with pytest.raises(ValueError, match="未知角色"):
        roles.role("superuser")


def test_reporter_scope_is_their_own_unit_only():
    reporter = User("lanzhou", "兰州市填报员", "reporter", "620100")
    assert roles.unit_scope(reporter) == {"620100"}
    assert roles.may_see_unit(reporter, "620100")
    assert not roles.may_see_unit(reporter, "621000")


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leader_and_admin_see_every_unit(role):
    user = User("u", "u", role)
    assert roles.unit_scope(user) is None
    assert roles.may_see_unit(user, "621000")


def test_reporter_without_a_unit_sees_no_unit():
    assert roles.unit_scope(User("x", "x", "reporter", None)) == set()


def test_a_typo_in_the_roles_config_fails_loudly_on_its_line():
    text = (config.CONFIG_DIR / "roles.toml").read_text(encoding="utf-8")
    bad = text.replace('"view_ranking_live", "view_ranking_published", "view_targets"',
                       '"view_rankng_live", "view_ranking_published", "view_targets"', 1)
    with pytest.raises(config.ConfigError, match="含未知权限“view_rankng_live”") as err:
        config.parse_model(bad, roles._RolesFile, "角色配置")
    assert "view_rankng_live" in bad.splitlines()[err.value.line - 1]


def test_login_policy_defaults():
    policy = roles.login_policy()
    assert policy.max_failures == 5
    assert policy.lockout.total_seconds() == 15 * 60
    assert policy.session_idle.total_seconds() == 30 * 60
    assert policy.password_min_length == 10
