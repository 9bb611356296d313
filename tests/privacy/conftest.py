import pytest

from tests.privacy.helpers import build_member


@pytest.fixture
def member(
    client, post_committed, deliver, live_site, mailoutbox, creator,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    built = build_member(
        client=client,
        post_committed=post_committed,
        deliver=deliver,
        mailoutbox=mailoutbox,
        creator=creator,
        capture=django_capture_on_commit_callbacks,
    )
    client.logout()
    return built
