"""A refused SSO login as the user sees it: NetBox's login page with a short human message, no exception
text, never a 500 (NetBox < 4.6.3 has no social-auth error middleware); the reason in NetBox's log."""

import harness
from harness import login, netbox_user


def test_refused_user_sees_the_login_page_with_a_short_message(kc):
    harness.deploy("keycloak", kc)
    result = login("keycloak", "olga")  # olga is in no group of groups.allowed
    (harness.LOGS / f"refusal-page-{harness.NETBOX_VERSION}.html").write_text(result.body)
    assert not result.ok and netbox_user("keycloak", "olga") is None
    assert "refusing login of user olga: member of none of the allowed groups" in harness.POD.log_text()
    problems = harness.refusal_page_problems(result)
    assert problems == [], f"the refusal page of NetBox {harness.NETBOX_VERSION}: {problems}"
    harness.TIMINGS["refusal: NetBox shows the user"] = harness.page_messages(result.body)
