"""Production settings pass ``check --deploy`` when given real values, and refuse to
start without their secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env):
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _prod_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "PII_HASH_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.prod"
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_real_values():
    env = _prod_env(
        SECRET_KEY="k3J9vQ2xL7pR1sT8wY4zA6bC0dE5fG2hI9jK1lM3nO7pQ4rS8tU",
        PII_HASH_KEY="a-real-hmac-key-for-id-numbers",
        ALLOWED_HOSTS="peixun.example.cn",
    )
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_refuses_to_start_without_secrets():
    result = _manage("check", env=_prod_env(ALLOWED_HOSTS="peixun.example.cn"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
