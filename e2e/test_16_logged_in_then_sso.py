"""SSO started in a browser that is logged in already (NetBox 4.4 to 4.6 start SSO with a plain link, so a
bookmark or a second tab does it): logged in locally as the chart's superuser, then through Keycloak as
someone else. Must be a clean login of that user or a clear refusal; never a link from that Keycloak account
to the superuser's NetBox account, never a 500."""

from pathlib import Path

import harness
from harness import NETBOX, browser_session, keycloak_form_login, local_login, login, social_links, sso_buttons

NEWCOMER, NEWCOMER_PASSWORD = "sam", "sam-pw"  # a Keycloak user with no NetBox account yet


def test_sso_while_logged_in_as_superuser_never_links_that_account(kc):
    harness.deploy("keycloak", kc)
    admin = harness.POD.env["SUPERUSER_NAME"]
    admin_password = Path("/run/secrets/superuser_password").read_text().strip()
    kc.create_user(NEWCOMER, NEWCOMER_PASSWORD, ["network-ops"])
    try:
        browser = browser_session()
        stale_tab = browser.get(f"{NETBOX}/login/", params={"next": "/user/profile/"}, timeout=60).text
        local_login(admin, admin_password, session=browser)
        method, url, fields = sso_buttons(stale_tab)["keycloak"]
        if method == "GET":  # NetBox 4.4: the stale tab's link
            r = browser.get(f"{NETBOX}{url}", timeout=60)
        else:
            # NetBox 4.7: the button is a form, and the local login has rotated the CSRF token it carries
            # (and GET /oauth/login/ answers 405): post it with the session's current token, as any page
            # rendered after the local login would.
            fields["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
            r = browser.post(f"{NETBOX}{url}", data=fields, timeout=60)
        authorize_url = r.url
        result = harness.finish(browser, keycloak_form_login(browser, r, NEWCOMER, NEWCOMER_PASSWORD), authorize_url)
        (harness.LOGS / f"logged-in-then-sso-{harness.NETBOX_VERSION}.html").write_text(result.body)

        problems = []
        if result.status >= 500:
            problems.append(f"HTTP {result.status} at {result.url}")
        if social_links(user_id=harness.local_user(admin).id):
            problems.append(f"social_auth_usersocialauth links {social_links(user_id=harness.local_user(admin).id)} "
                            f"to the superuser {admin}")
        links = social_links("keycloak", NEWCOMER)
        if result.ok:  # a clean login of the Keycloak user, in an account of its own
            if result.user in (admin, None) or [u for _, _, u in links] != [result.user]:
                problems.append(f"logged in as {result.user}, links {links}")
        else:          # a clear refusal
            problems += [f"refusal page: {p}" for p in harness.refusal_page_problems(result)]
        assert problems == [], f"NetBox {harness.NETBOX_VERSION}: {problems}"

        # and the next login of that Keycloak user lands in its own account, not the superuser's
        again = login("keycloak", NEWCOMER, NEWCOMER_PASSWORD)
        assert again.ok and again.user not in (admin, None), again.user
        assert [u for _, _, u in social_links("keycloak", NEWCOMER)] == [again.user]
        superuser = harness.local_user(admin)
        assert superuser.is_superuser and superuser.is_active
    finally:
        kc.delete_user(NEWCOMER)
