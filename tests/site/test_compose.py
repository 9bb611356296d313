from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_the_production_services_with_healthchecks():
    services = load()["services"]

    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "mailpit"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_app_services_share_one_environment_pointing_at_postgres_and_redis():
    services = load()["services"]

    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://"), name
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        assert environment["DJANGO_DEBUG"] == "0", name
        for secret in ("DJANGO_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DIGISTORE24_IPN_PASSPHRASE"):
            assert secret in environment, (name, secret)
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "membership_site", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "membership_site", "beat"]


def test_database_and_private_uploads_live_in_volumes():
    compose = load()

    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert "private-media:/data" in compose["services"]["web"]["volumes"]
    assert compose["services"]["web"]["environment"]["PRIVATE_MEDIA_ROOT"] == "/data/private"
    assert {"postgres-data", "private-media"} <= set(compose["volumes"])
