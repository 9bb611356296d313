"""Start-up behaviour of the settings module, run as a real ``manage.py`` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "membership_site.settings", "VAR_DIR": str(tmp_path)})
    clean.update(env)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3#p" + "q9Zr!x7Lm2@Vb8" * 4,
    "SITE_URL": "https://members.example.com",
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "Xb7kQ2mN9pL4vR8t" * 2,
    "DIGISTORE24_IPN_PASSPHRASE": "a-long-random-ipn-passphrase-2026",
}


def collected_static_files(var_dir: Path) -> None:
    """The manifest ``collectstatic`` writes (the real command takes half a minute)."""
    (var_dir / "staticfiles").mkdir(parents=True)
    (var_dir / "staticfiles" / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')


@pytest.mark.parametrize(
    "secrets",
    [
        {},
        {"STRIPE_WEBHOOK_SECRET": "", "DIGISTORE24_IPN_PASSPHRASE": ""},  # providers not used
    ],
    ids=["with webhook secrets", "without webhook secrets"],
)
def test_check_deploy_is_clean_in_production_mode(tmp_path, secrets):
    collected_static_files(tmp_path)
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, **secrets},
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_blank_and_short_webhook_secrets(tmp_path):
    env = {
        **PRODUCTION,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "Xb7kQ2mN9pL4vR8t" * 2 + ",short",
        "DIGISTORE24_IPN_PASSPHRASE": "  ",
    }

    collected_static_files(tmp_path)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "(billing.W001) DIGISTORE24_IPN_PASSPHRASE is set but holds no usable secret" in output
    assert "(billing.W002) STRIPE_WEBHOOK_SECRET holds a secret shorter than 16" in output
    assert "W002) DIGISTORE24" not in output
    assert "W001) STRIPE" not in output


def test_plain_check_ignores_webhook_secrets(tmp_path):
    """The secret check is a deploy check: development with short test secrets stays quiet."""
    env = {**PRODUCTION, "STRIPE_WEBHOOK_SECRET": "whsec_x", "DIGISTORE24_IPN_PASSPHRASE": " "}

    collected_static_files(tmp_path)
    result = manage("check", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_requires_a_secret_key(tmp_path):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": ""}

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "Configuration error: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "not a url at all"),
        ("REDIS_URL", "localhost:6379"),
        ("EMAIL_PORT", "twenty-five"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("MEMBERSHIP_CURRENCY", "euro"),
        ("SITE_URL", "members.example.com"),
    ],
)
def test_malformed_env_var_stops_start_up_naming_it(tmp_path, name, value):
    result = manage("check", env={**PRODUCTION, name: value}, tmp_path=tmp_path)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {name} ")


def test_production_without_collected_static_files_names_the_command(tmp_path):
    result = manage("check", env=PRODUCTION, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "(membership_site.E001) Static files are not collected" in result.stderr
    assert "Run `python manage.py collectstatic --noinput`." in result.stderr


def import_wsgi_module(var_dir: Path, then: str = "") -> subprocess.CompletedProcess:
    """What gunicorn does first: import the WSGI application (no system checks run)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", f"import membership_site.wsgi{then}"],
        cwd=ROOT,
        env={**clean, **PRODUCTION, "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_wsgi_server_says_at_start_up_that_static_files_are_not_collected(tmp_path):
    missing = import_wsgi_module(tmp_path)
    collected_static_files(tmp_path)
    present = import_wsgi_module(tmp_path)

    assert missing.returncode == present.returncode == 0
    assert "ERROR membership_site.static_check: Static files are not collected" in missing.stderr
    assert "python manage.py collectstatic --noinput" in missing.stderr
    assert "Static files are not collected" not in present.stderr


def test_what_start_up_loaded_is_kept_out_of_the_collector_s_walks(tmp_path):
    collected_static_files(tmp_path)
    result = import_wsgi_module(tmp_path, then="; import gc; print(gc.get_freeze_count())")

    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 50_000  # Django and the apps, frozen after loading
