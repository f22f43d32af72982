"""`python -m warehouse users ...` and `python -m warehouse audit` run as real subprocesses (issue 6)."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from warehouse import accounts

ROOT = Path(__file__).resolve().parent.parent


def cli(warehouse, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "warehouse", *args, "--warehouse", str(warehouse)],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_add_list_disable_enable_reset_and_audit(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    add = cli(wh, "users", "add", "zhangsan", "--role", "reporter", "--unit", "庆阳", "--name", "张三",
              "--password-stdin", stdin="first-pass-123\n")
    assert add.returncode == 0, add.stderr
    assert "已新增账户 zhangsan（填报员，庆阳市）" in add.stdout
    assert "first-pass-123" not in add.stdout
    db = accounts.open_accounts(wh)
    assert db.authenticate("zhangsan", "first-pass-123").user.unit_code == "621000"

    listed = cli(wh, "users", "list", "--json")
    assert listed.returncode == 0
    [row] = json.loads(listed.stdout)
    assert (row["username"], row["display_name"], row["role"], row["disabled"]) == ("zhangsan", "张三", "reporter", False)
    assert "password_hash" not in row

    assert cli(wh, "users", "disable", "zhangsan").returncode == 0
    assert db.authenticate("zhangsan", "first-pass-123").message == "账户已停用"
    assert "已停用" in cli(wh, "users", "list").stdout
    assert cli(wh, "users", "enable", "zhangsan").returncode == 0

    reset = cli(wh, "users", "reset-password", "zhangsan", "--password-stdin", stdin="second-pass-456\n")
    assert reset.returncode == 0, reset.stderr
    assert db.authenticate("zhangsan", "second-pass-456").ok
    assert not db.authenticate("zhangsan", "first-pass-123").ok

    log = cli(wh, "audit", "--limit", "20", "--json")
    got = [(e["event"], e["detail"]) for e in reversed(json.loads(log.stdout))]
    assert [e for e, _ in got] == ["user_add", "login_success", "user_disable", "login_failure", "user_enable",
                                   "password_reset", "login_success", "login_failure"]
    assert "登录失败" in cli(wh, "audit").stdout


def test_generated_password_is_printed_once_and_works(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    out = cli(wh, "users", "add", "boss", "--role", "leader", "--generate-password", "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert accounts.open_accounts(wh).authenticate("boss", payload["password"]).user.role == "leader"


def test_refusals_exit_1_with_a_chinese_message(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    weak = cli(wh, "users", "add", "boss", "--role", "admin", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "密码至少需要 10 个字符" in weak.stderr
    no_password = cli(wh, "users", "add", "boss", "--role", "admin")  # stdin is not a terminal: no prompt
    assert no_password.returncode == 1 and "--password-stdin" in no_password.stderr
    missing = cli(wh, "users", "disable", "ghost")
    assert missing.returncode == 1 and "账户不存在：ghost" in missing.stderr
    assert accounts.open_accounts(wh).list_accounts() == []


def test_demo_accounts_are_written_to_a_private_file_once(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    first = cli(wh, "users", "demo")
    assert first.returncode == 0, first.stderr
    secret_file = tmp_path / "demo-accounts.txt"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    pairs = dict(line.split("\t") for line in secret_file.read_text(encoding="utf-8").splitlines()[1:])
    assert set(pairs) == {"admin", "leader", "lanzhou", "qingyang"}
    assert accounts.open_accounts(wh).authenticate("qingyang", pairs["qingyang"]).user.unit_code == "621000"
    again = cli(wh, "users", "demo")
    assert again.returncode == 0 and "均已存在" in again.stdout
    assert dict(line.split("\t") for line in secret_file.read_text(encoding="utf-8").splitlines()[1:]) == pairs
