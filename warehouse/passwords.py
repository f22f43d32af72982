"""Passwords: scrypt hashes compared in constant time, the password policy, generated passwords, token digests.

The policy: a minimum length (config/roles.toml), a few plain rules with precise Chinese messages (repeats, digit and
keyboard runs, common words), then the zxcvbn estimator (Dropbox's model, its frequency lists shipped inside the
package, so it works offline): an estimate below MIN_ZXCVBN_SCORE (about 10^8 guesses) is refused.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from zxcvbn import zxcvbn

from core import roles

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I
MIN_DISTINCT_CHARS = 5
MIN_REST_CHARS = 6
MIN_ZXCVBN_SCORE = 3      # 0–4; 3: "safely unguessable", about 10^8 guesses
ZXCVBN_MAX_CHARS = 72     # the estimator's own bound on work (longer passwords are judged on their start)
# Sequences that make a password guessable whatever its length (checked lower-cased, as substrings).
_TRIVIAL_RUNS = ("01234567", "12345678", "23456789", "98765432", "87654321", "qwertyui", "asdfghjk", "zxcvbnm",
                 "password", "passw0rd", "iloveyou", "admin123", "abcdefgh")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        expected = bytes.fromhex(key)
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(expected))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(candidate, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a wrong name costs the same time as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def check_password_policy(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """ValueError (Chinese) when the password is too weak; `user_inputs` (username, name, e-mail) count as known."""
    minimum = roles.login_policy().password_min_length
    if len(password) < minimum:
        raise ValueError(f"密码至少需要 {minimum} 个字符")
    if not password.strip():
        raise ValueError("密码不能全是空白字符")
    if len(set(password.lower())) < MIN_DISTINCT_CHARS:
        raise ValueError(f"密码过于简单：至少需要 {MIN_DISTINCT_CHARS} 个不同的字符（如“aaaaaaaaaa”“1212121212”不可用）")
    rest = password.lower()
    for run in _TRIVIAL_RUNS:
        rest = rest.replace(run, "")
    if len(rest) < MIN_REST_CHARS:
        raise ValueError(f"密码过于简单：除去连续数字、键盘序列（如 12345678、qwerty）和“password”等常见词后，"
                         f"至少还要有 {MIN_REST_CHARS} 个字符")
    known = [u for u in user_inputs if u]
    if zxcvbn(password[:ZXCVBN_MAX_CHARS], user_inputs=known, max_length=ZXCVBN_MAX_CHARS)["score"] < MIN_ZXCVBN_SCORE:
        raise ValueError("密码过于简单，容易被猜中：请勿使用常见密码、常见词加数字或年份、日期、姓名拼音或用户名，"
                         "建议用几个不相关的词加数字和符号组成")


def generate_password(length: int = 16) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
