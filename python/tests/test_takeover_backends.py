"""Taking over hand-wired backends: existing accounts log in to the same user, never to a second one.

A hand-wired NetBox that logged users in with one of social-core's own backends stored each user as a
UserSocialAuth row of that backend's name and user id. Here each row is made the way the stock backend made it
(its name, the uid its own get_user_id computes from the claims it would see, social-core's create_social_auth),
or, for plain oidc, by a real login through the stock class. Then netbox-sso's settings for the takeover,
rendered through the binary (spec.provider.keepAccountsFrom), log the same person in through NetBox's
/oauth/ views: the login must end in that same user, with no new account and no new row.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from . import shipped
from .conftest import idp_config, keycloak_claims
from .pages import assert_refused

pytestmark = pytest.mark.django_db

# keepAccountsFrom -> (social-core's class, the claims its get_user_id sees: "id_token" or "userinfo")
KEPT = {
    "azuread-oauth2": ("social_core.backends.azuread.AzureADOAuth2", "id_token"),
    "azuread-tenant-oauth2": ("social_core.backends.azuread_tenant.AzureADTenantOAuth2", "id_token"),
    "okta-openidconnect": ("social_core.backends.okta_openidconnect.OktaOpenIdConnect", "userinfo"),
}


def person(name):
    """Claims of one person as Entra ID or Okta send them: upn and sub differ from preferred_username."""
    return keycloak_claims(name, upn=f"{name}@corp.example.com", sub=f"entra-oid-{name}-7f3a")


def stock_uid(class_path, claims):
    """The uid social-core's own backend class stores for these claims (its get_user_id, as social_uid calls it)."""
    module, _, name = class_path.rpartition(".")
    backend_class = getattr(__import__(module, fromlist=[name]), name)
    backend = backend_class(load_strategy())
    return str(backend.get_user_id(backend.get_user_details(claims), claims))


def hand_wired_account(provider, uid, username):
    """A user and its social row as social-core's create_user and associate_user left them."""
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com")
    UserSocialAuth.create_social_auth(user, uid, provider)
    return user


def take_over(settings, idp, secret_file, **provider):
    """netbox-sso's settings for a type oidc config with these provider fields, rendered through the binary."""
    rendered = shipped.settings_for(idp_config("oidc", idp, provider=provider))
    rendered["SOCIAL_AUTH_NETBOX_SSO"]["client_secret_file"] = str(secret_file)
    for name, value in rendered.items():
        setattr(settings, name, value)
    return rendered


@pytest.mark.parametrize("kept", sorted(KEPT))
def test_an_account_of_the_hand_wired_backend_logs_in_to_the_same_user(login, settings, idp, secret_file, kept):
    class_path, seen = KEPT[kept]
    claims = person("maria")
    # Entra's userinfo answers no upn, Okta's userinfo is where the stock class reads from: give each stock
    # class exactly what it saw, and netbox-sso the ID token plus a userinfo without the id claim where it can.
    uid = stock_uid(class_path, claims)
    existing = hand_wired_account(kept, uid, "maria.hand-wired")
    rendered = take_over(settings, idp, secret_file, keepAccountsFrom=kept)
    assert rendered["AUTHENTICATION_BACKENDS"][0] == "netbox.netbox_sso.backends." + class_path.rpartition(".")[2]
    userinfo = {k: v for k, v in claims.items() if k != "upn"} if seen == "id_token" else claims
    users, rows = get_user_model().objects.count(), UserSocialAuth.objects.count()

    result = login(kept, claims, userinfo=userinfo)

    assert result.response.status_code == 302, result.response
    assert result.response["Location"] == "/"
    assert result.user is not None and result.user.pk == existing.pk
    assert result.user.username == "maria.hand-wired"  # the login renames no account (preferred_username is maria)
    assert (get_user_model().objects.count(), UserSocialAuth.objects.count()) == (users, rows)
    row = UserSocialAuth.objects.get(user=existing)
    assert (row.provider, row.uid) == (kept, uid)


def test_azuread_upn_missing_from_the_tokens_is_a_refusal_not_a_new_account(login, settings, idp, secret_file, client,
                                                                          sso_log):
    hand_wired_account("azuread-oauth2", stock_uid(KEPT["azuread-oauth2"][0], person("ola")), "ola")
    take_over(settings, idp, secret_file, keepAccountsFrom="azuread-oauth2")
    claims = {k: v for k, v in person("ola").items() if k != "upn"}
    users = get_user_model().objects.count()

    result = login("azuread-oauth2", claims)

    assert_refused(client, result, "failed")
    assert get_user_model().objects.count() == users
    assert any("no usable 'upn' claim" in r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso")


def test_a_plain_oidc_account_made_by_a_real_hand_wired_login_logs_in_to_the_same_user(login, settings, idp, secret_file):
    # The hand-wired setup: social-core's own OpenIdConnectAuth and NetBox's default pipeline (without NetBox's
    # default-groups step, which needs NetBox itself).
    sso_settings = {name: getattr(settings, name) for name in ("AUTHENTICATION_BACKENDS", "SOCIAL_AUTH_PIPELINE")}
    settings.AUTHENTICATION_BACKENDS = ["social_core.backends.open_id_connect.OpenIdConnectAuth"]
    settings.SOCIAL_AUTH_PIPELINE = [s for s in shipped.NETBOX_DEFAULT_PIPELINE if not s.startswith("netbox.")]
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = idp.issuer
    settings.SOCIAL_AUTH_OIDC_KEY = idp.client_id
    settings.SOCIAL_AUTH_OIDC_SECRET = "first-Secret-4f1c"
    first = login("oidc", keycloak_claims("nils"))
    assert first.user is not None
    assert UserSocialAuth.objects.get(user=first.user).provider == "oidc"
    for name, value in sso_settings.items():
        setattr(settings, name, value)

    take_over(settings, idp, secret_file)  # type oidc, nothing else: the stored name and uid are oidc's own
    users = get_user_model().objects.count()
    again = login("oidc", keycloak_claims("nils"))

    assert again.user is not None and again.user.pk == first.user.pk
    assert get_user_model().objects.count() == users
    assert UserSocialAuth.objects.filter(user=first.user).count() == 1


def test_the_sync_finds_the_accounts_of_a_kept_backend(settings, idp, secret_file):
    """spec.sync with keepAccountsFrom: the CronJob's sync looks at the rows of the kept backend's name."""
    import io
    from datetime import timedelta

    from django.utils import timezone

    from netbox.netbox_sso import sync

    rendered = shipped.settings_for(idp_config("oidc", idp, provider={"keepAccountsFrom": "azuread-tenant-oauth2"},
                                               sync={"deactivateAfterDays": 30}))
    rendered["SOCIAL_AUTH_NETBOX_SSO"]["client_secret_file"] = str(secret_file)
    for name, value in rendered.items():
        setattr(settings, name, value)
    assert settings.SOCIAL_AUTH_NETBOX_SSO_SYNC["backend"] == "azuread-tenant-oauth2"
    old = hand_wired_account("azuread-tenant-oauth2", "entra-oid-old", "old.user")
    get_user_model().objects.filter(pk=old.pk).update(last_login=timezone.now() - timedelta(days=31))

    out = io.StringIO()
    sync.run(out=out)

    assert not get_user_model().objects.get(pk=old.pk).is_active
    assert "user old.user: is_active True -> False" in out.getvalue()


def entra_v1_claims(name):
    """Claims of Entra ID's v1 endpoints, which AzureADOAuth2 and AzureADTenantOAuth2 use: the ID token has upn,
    unique_name and name but no preferred_username (a v2 claim), and Microsoft's userinfo has neither."""
    return {
        "sub": f"entra-oid-{name}-7f3a",
        "upn": f"{name}@corp.example.com",
        "unique_name": f"{name}@corp.example.com",
        "name": f"{name.title()} Example",
        "given_name": name.title(),
        "family_name": "Example",
    }


@pytest.mark.parametrize("kept", ["azuread-oauth2", "azuread-tenant-oauth2"])
def test_a_new_entra_user_after_the_takeover_gets_a_readable_username_not_a_random_one(login, settings, idp,
                                                                                     secret_file, kept):
    """social-core names a user without a username claim uuid4().hex; Entra's v1 tokens carry no
    preferred_username, so the username comes from upn, unique in the tenant."""
    take_over(settings, idp, secret_file, keepAccountsFrom=kept)
    claims = entra_v1_claims("jonas")
    userinfo = {k: claims[k] for k in ("sub", "name", "given_name", "family_name")}

    result = login(kept, claims, userinfo=userinfo)

    assert result.user is not None, result.response
    assert result.user.username == "jonas@corp.example.com"


@pytest.mark.parametrize("kept", sorted(KEPT))
def test_each_kept_class_defaults_to_the_user_id_claim_the_binary_renders(settings, idp, secret_file, kept):
    """The class's own default (used when SOCIAL_AUTH_NETBOX_SSO has no user_id_claim) is the claim the stock
    backend stored, the same one the binary writes for keepAccountsFrom."""
    from netbox.netbox_sso import backends

    rendered = take_over(settings, idp, secret_file, keepAccountsFrom=kept)
    backend_class = getattr(backends, rendered["AUTHENTICATION_BACKENDS"][0].rpartition(".")[2])

    assert backend_class.name == kept
    assert backend_class.DEFAULT_USER_ID_CLAIM == rendered["SOCIAL_AUTH_NETBOX_SSO"]["user_id_claim"]
    assert rendered["SOCIAL_AUTH_NETBOX_SSO"]["user_id_claim"] == {
        "azuread-oauth2": "upn", "azuread-tenant-oauth2": "sub", "okta-openidconnect": "preferred_username"}[kept]
