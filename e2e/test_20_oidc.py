"""provider type oidc (discovery + JWKS), after the realm key rotation; groups matched by path."""

import harness
from harness import login, netbox_user


def test_oidc_logs_in_after_key_rotation_with_path_matching(kc):
    harness.deploy("oidc", kc)
    subs = {u: kc.user_id(u) for u in ("alice", "paul", "nina", "olga")}
    for user in subs:
        assert login("oidc", user).ok, f"{user} could not log in over oidc"
    alice, paul, nina, olga = (netbox_user("oidc", subs[u]) for u in ("alice", "paul", "nina", "olga"))
    assert alice.is_superuser
    assert paul.is_superuser                                # /org/admin matched as "org/admin"
    assert not nina.is_superuser and nina.groups == ["Network Operators"]
    assert not olga.is_superuser and olga.groups == []     # no allow-list here: olga may log in, as nobody
