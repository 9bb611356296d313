"""django-storages' own variables, read from the environment, switch private files to a bucket;
without them private files stay on local disk. Run as real ``manage.py`` processes."""

from __future__ import annotations

import json

from tests.site.test_settings import PRODUCTION, collected_static_files, manage

SHOW_STORAGE = (
    "import json; from django.core.files.storage import storages as s; p = s['private']; "
    "print(json.dumps([type(p).__name__, getattr(p, 'bucket_name', None), "
    "getattr(p, 'endpoint_url', None), getattr(p, 'region_name', None), "
    "getattr(p, 'access_key', None), getattr(p, 'default_acl', None), "
    "getattr(p, 'querystring_auth', None), getattr(p, 'querystring_expire', None), "
    "getattr(p, 'file_overwrite', None), type(s['default']).__name__, "
    "getattr(s['default'], 'location', None) if type(p).__name__ != 'PrivateStorage' else None]))"
)
BUCKET = {
    "AWS_STORAGE_BUCKET_NAME": "members-private",
    "AWS_S3_ENDPOINT_URL": "https://objects.example.com",
    "AWS_S3_REGION_NAME": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret-example",
}


def shown_storage(tmp_path, env: dict[str, str]) -> list:
    result = manage("shell", "-c", SHOW_STORAGE, env={**PRODUCTION, **env}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_bucket_private_files_stay_on_local_disk(tmp_path):
    shown = shown_storage(tmp_path, {"DJANGO_DEBUG": "1"})

    assert (shown[0], shown[-2]) == ("PrivateStorage", "FileSystemStorage")


def test_the_aws_variables_switch_private_files_and_uploads_to_a_private_bucket(tmp_path):
    shown = shown_storage(tmp_path, BUCKET)

    assert shown == [
        "PrivateS3Storage",
        "members-private",
        "https://objects.example.com",
        "eu-central-1",
        "AKIAEXAMPLE",
        "private",
        True,
        60,
        False,
        "PublicMediaS3Storage",
        "public",
    ]


def test_check_deploy_is_clean_with_a_bucket(tmp_path):
    collected_static_files(tmp_path)

    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, **BUCKET},
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stderr


def test_a_malformed_endpoint_stops_start_up_naming_it(tmp_path):
    env = {**PRODUCTION, **BUCKET, "AWS_S3_ENDPOINT_URL": "objects.example.com"}

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: AWS_S3_ENDPOINT_URL is not an http(s) URL: 'objects.example.com'"
    ]
