"""The e2e harness: Keycloak admin calls, netbox-sso renders, the NetBox "pod" and its database.

run.sh starts PostgreSQL, Redis and Keycloak and exports the E2E_* variables read here; the tests call
`deploy(variant)` to (re)deploy NetBox configured by a netbox-sso render of the chart, and the login
helpers to go through Keycloak's real login form.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import psycopg
import requests
import yaml

E2E_DIR = Path(__file__).resolve().parent
REPO_DIR = E2E_DIR.parent
WORK = Path(os.environ.get("E2E_WORK", E2E_DIR / ".work"))
RUN = WORK / "run"
LOGS = RUN / "logs"
BIND = "127.0.0.1"
KEYCLOAK_PORT = int(os.environ.get("KEYCLOAK_PORT", "18080"))
NETBOX_PORT = int(os.environ.get("NETBOX_PORT", "8080"))
REALM = "acme"
KC = f"http://{BIND}:{KEYCLOAK_PORT}"
NETBOX = f"http://{BIND}:{NETBOX_PORT}"
ISSUER = f"{KC}/realms/{REALM}"
KC_ADMIN = (os.environ.get("KC_ADMIN_USER", "e2e-admin"), os.environ.get("KC_ADMIN_PASSWORD", "e2e-admin-password"))
FIXTURE = Path(os.environ.get("E2E_FIXTURE", REPO_DIR.parent / "shared/fixtures/netbox-chart/v8.3.61-plain.yaml"))
BINARY = Path(os.environ.get("NETBOX_SSO_BIN", REPO_DIR / "bin/netbox-sso"))
VENV = Path(sys.prefix)
NAMESPACE = "netbox"
RELEASE = "netbox"
CLIENT_ID = "netbox"
CLIENT_SECRET_REF = {"name": "netbox-oidc", "key": "client-secret"}
PASSWORDS = {"alice": "alice-pw", "dave": "dave-pw", "nina": "nina-pw", "olga": "olga-pw", "paul": "paul-pw"}

# The two configs the run deploys. keycloak: KeycloakOAuth2 with the realm's public key, groups matched by
# name, a login allow-list; oidc: discovery + JWKS, groups matched by path (/org/admin is "org/admin").
VARIANTS = {
    "keycloak": {
        "provider": {"type": "keycloak"},
        "groups": {
            "match": "name",
            "superuser": ["administrator"],
            "staff": ["developer"],
            "allowed": ["administrator", "developer", "network-ops"],
            "netboxGroups": [
                {"from": "network-ops", "to": ["Network Operators"]},
                {"from": "developer", "to": ["Developers"]},
            ],
            "prune": True,
        },
    },
    "oidc": {
        "provider": {"type": "oidc"},
        "groups": {
            "match": "path",
            "superuser": ["administrator", "org/admin"],
            "staff": ["developer"],
            "netboxGroups": [{"from": "network-ops", "to": ["Network Operators"]}],
            "prune": True,
        },
    },
}


def log(msg: str) -> None:
    print(f"[e2e] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- Keycloak


class KeycloakAdmin:
    """The few admin REST calls the run needs (as the bootstrap admin of the master realm)."""

    def __init__(self):
        self.http = requests.Session()
        self._token_at = 0.0

    def _auth(self):
        if time.time() - self._token_at > 30:
            r = requests.post(f"{KC}/realms/master/protocol/openid-connect/token", data={
                "grant_type": "password", "client_id": "admin-cli",
                "username": KC_ADMIN[0], "password": KC_ADMIN[1]}, timeout=30)
            r.raise_for_status()
            self.http.headers["Authorization"] = "Bearer " + r.json()["access_token"]
            self._token_at = time.time()

    def call(self, method, path, **kw):
        self._auth()
        r = self.http.request(method, f"{KC}/admin/realms/{REALM}{path}", timeout=60, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"Keycloak {method} {path}: {r.status_code} {r.text[:300]}")
        return r

    def realm_public_key(self) -> str:
        return requests.get(ISSUER, timeout=30).json()["public_key"]

    def replace_client(self, representation: dict) -> str:
        """Create the client (removing an older one of the same clientId); return its generated secret."""
        for old in self.call("GET", "/clients", params={"clientId": representation["clientId"]}).json():
            self.call("DELETE", f"/clients/{old['id']}")
        r = self.call("POST", "/clients", json=representation)
        cid = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        return self.call("GET", f"/clients/{cid}/client-secret").json()["value"]

    def client_secret(self, client_id: str) -> str:
        cid = self.call("GET", "/clients", params={"clientId": client_id}).json()[0]["id"]
        return self.call("GET", f"/clients/{cid}/client-secret").json()["value"]

    def user_id(self, username: str) -> str:
        users = self.call("GET", "/users", params={"username": username, "exact": "true"}).json()
        return users[0]["id"]

    def group_id(self, path: str) -> str:
        return self.call("GET", f"/group-by-path/{path.strip('/')}").json()["id"]

    def set_groups(self, username: str, paths: list[str]) -> None:
        uid = self.user_id(username)
        current = {g["path"]: g["id"] for g in self.call("GET", f"/users/{uid}/groups").json()}
        wanted = {"/" + p.strip("/") for p in paths}
        for path, gid in current.items():
            if path not in wanted:
                self.call("DELETE", f"/users/{uid}/groups/{gid}")
        for path in wanted - set(current):
            self.call("PUT", f"/users/{uid}/groups/{self.group_id(path)}")

    def rotate_keys(self) -> None:
        """Add a new generated RSA key with a higher priority and disable the old ones (the realm's
        signing keys change; tokens are signed with the new key from now on)."""
        realm_id = self.call("GET", "").json()["id"]
        providers = self.call("GET", "/components", params={"type": "org.keycloak.keys.KeyProvider"}).json()
        old_rsa = [p for p in providers if p["providerId"] == "rsa-generated"]
        top = max(int((p.get("config", {}).get("priority") or ["0"])[0]) for p in providers)
        self.call("POST", "/components", json={
            "name": "rsa-rotated-e2e", "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider", "parentId": realm_id,
            "config": {"priority": [str(top + 100)], "enabled": ["true"], "active": ["true"],
                       "keySize": ["2048"], "algorithm": ["RS256"]}})
        for p in old_rsa:
            p["config"]["enabled"] = ["false"]
            p["config"]["active"] = ["false"]
            self.call("PUT", f"/components/{p['id']}", json=p)


# ---------------------------------------------------------------------------------------------- rendering


def config_for(variant: str, public_key: str | None) -> dict:
    v = VARIANTS[variant]
    provider = {"type": v["provider"]["type"], "issuerURL": ISSUER, "clientID": CLIENT_ID,
                "clientSecretRef": dict(CLIENT_SECRET_REF), "buttonLabel": "Keycloak (e2e)"}
    if v["provider"]["type"] == "keycloak":
        provider["publicKey"] = public_key
    return {
        "apiVersion": "fn.netbox-sso.dev/v1alpha1",
        "kind": "NetBoxSSO",
        "metadata": {"name": f"e2e-{variant}"},
        "spec": {"release": RELEASE, "netboxURL": NETBOX, "provider": provider,
                 "groups": json.loads(json.dumps(v["groups"])), "loginRequired": True},
    }


def run_binary(*args: str, stdin: bytes | None = None) -> bytes:
    p = subprocess.run([str(BINARY), *args], input=stdin, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"netbox-sso {' '.join(args)} failed ({p.returncode}): {p.stderr.decode()[:2000]}")
    return p.stdout


def client_secret_doc(secret: str) -> dict:
    """The Secret the cluster admin creates for clientSecretRef (the harness plays that admin)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": CLIENT_SECRET_REF["name"], "namespace": NAMESPACE},
            "stringData": {CLIENT_SECRET_REF["key"]: secret}}


# ---------------------------------------------------------------------------------------------- NetBox pod


def site_packages() -> Path:
    return Path(sysconfig.get_paths(vars={"base": str(VENV), "platbase": str(VENV)})["purelib"])


def install_image_shim() -> None:
    """What the NetBox container image provides and a pip install does not (see shim/README.md):
    its `netbox` package directory is /opt/netbox/netbox/netbox/, so a module mounted there is
    importable as netbox.<module>; and it loads /etc/netbox/config/configuration.py."""
    link = site_packages() / "netbox" / "netbox_sso"
    if not link.is_symlink():
        if link.exists():
            raise RuntimeError(f"{link} exists and is not the e2e shim's symlink")
        link.symlink_to("/opt/netbox/netbox/netbox/netbox_sso", target_is_directory=True)
    conf = RUN / "netbox-root" / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    cfg = conf / "configuration.py"
    if not cfg.is_symlink():
        cfg.symlink_to("/etc/netbox/config/configuration.py")


def remove_image_shim() -> None:
    link = site_packages() / "netbox" / "netbox_sso"
    if link.is_symlink():
        link.unlink()


@dataclass
class NetBoxPod:
    variant: str = ""
    proc: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)
    render: Path | None = None
    log_path: Path | None = None
    migrated: bool = False

    def process_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TZ")}
        env.update(self.env)
        env.update({"NETBOX_ROOT": str(RUN / "netbox-root"), "DJANGO_SETTINGS_MODULE": "netbox.settings",
                    "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
        return env

    def manage(self, *args: str, extra_env: dict | None = None, timeout: int = 900) -> str:
        env = self.process_env()
        env.update(extra_env or {})
        p = subprocess.run([str(VENV / "bin" / "netbox"), *args], env=env, capture_output=True, text=True,
                           timeout=timeout, cwd=str(RUN))
        if p.returncode != 0:
            raise RuntimeError(f"netbox {' '.join(args)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        return p.stdout

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


POD = NetBoxPod()
TIMINGS: dict = {}


def timed(name):
    class _T:
        def __enter__(self):
            self.t = time.monotonic()

        def __exit__(self, *exc):
            TIMINGS[name] = round(time.monotonic() - self.t, 1)
    return _T()


def deploy(variant: str, kc: KeycloakAdmin, force: bool = False) -> NetBoxPod:
    """Render the chart through netbox-sso with the variant's config, lay the web container's volumes out
    as the kubelet would, and (re)start NetBox on them. Creates the Keycloak client from
    `netbox-sso keycloak-client` and the Secret that clientSecretRef names."""
    if not force and POD.variant == variant and POD.proc and POD.proc.poll() is None:
        return POD
    POD.stop()
    LOGS.mkdir(parents=True, exist_ok=True)
    public_key = kc.realm_public_key() if VARIANTS[variant]["provider"]["type"] == "keycloak" else None
    cfg_path = RUN / f"netbox-sso-{variant}.yaml"
    cfg_path.write_text(yaml.safe_dump(config_for(variant, public_key), sort_keys=False))

    client = json.loads(run_binary("keycloak-client", "--config", str(cfg_path)))
    (RUN / f"keycloak-client-{variant}.json").write_text(json.dumps(client, indent=1))
    secret = kc.replace_client(client)
    secret_path = RUN / "harness-secrets.yaml"
    secret_path.write_text(yaml.safe_dump(client_secret_doc(secret)))

    render = RUN / f"render-{variant}.yaml"
    render.write_bytes(run_binary("--config", str(cfg_path), str(FIXTURE)))
    POD.render = render

    record = RUN / "layout-record.json"
    layout = [sys.executable, str(E2E_DIR / "kubelet_layout.py")]
    subprocess.run([*layout, "clean", "--record", str(record)], check=True)
    env_out = RUN / f"pod-env-{variant}.json"
    p = subprocess.run([*layout, "layout", "--docs", str(render), str(secret_path), "--component", "netbox",
                        "--container", "netbox", "--instance", RELEASE, "--pod-ip", BIND,
                        "--record", str(record), "--env-out", str(env_out)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"kubelet_layout failed: {p.stderr}")
    (LOGS / f"layout-{variant}.txt").write_text(p.stdout)
    POD.env = json.loads(env_out.read_text())
    install_image_shim()

    if not POD.migrated:
        # What the image's entrypoint does before it starts the web server: migrate, then create the
        # superuser named by SUPERUSER_NAME/SUPERUSER_EMAIL with the password from its Secret file.
        snapshot = db_snapshot_path()
        if snapshot and snapshot.exists():
            with timed("db restore (snapshot of an earlier migrate)"):
                pg_tool("pg_restore", "--no-owner", "--exit-on-error", str(snapshot))
            with timed("netbox migrate (on the snapshot: nothing to apply)"):
                out = POD.manage("migrate", "--no-input")
            TIMINGS["migrate output"] = out.strip().splitlines()[-1] if out.strip() else ""
        else:
            with timed("netbox migrate (empty database)"):
                POD.manage("migrate", "--no-input")
            if snapshot:
                snapshot.parent.mkdir(parents=True, exist_ok=True)
                tmp = snapshot.with_suffix(".tmp")
                pg_tool("pg_dump", "-Fc", "-f", str(tmp))
                tmp.rename(snapshot)
        password = Path("/run/secrets/superuser_password").read_text().strip()
        if POD.env["SUPERUSER_NAME"] not in usernames():
            POD.manage("createsuperuser", "--no-input", "--username", POD.env["SUPERUSER_NAME"],
                       "--email", POD.env["SUPERUSER_EMAIL"], extra_env={"DJANGO_SUPERUSER_PASSWORD": password})
        POD.migrated = True

    POD.variant = variant
    POD.log_path = LOGS / f"netbox-{variant}.log"
    logf = open(POD.log_path, "ab")
    with timed(f"netbox start ({variant})"):
        POD.proc = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "--bind", f"{BIND}:{NETBOX_PORT}", "--workers", "2", "--threads", "4",
             "--timeout", "120", "--graceful-timeout", "5", "--preload", "--pythonpath", str(E2E_DIR / "shim"), "--access-logfile", "-",
             "netbox_image_wsgi:application"],
            env=POD.process_env(), stdout=logf, stderr=subprocess.STDOUT, cwd=str(RUN), start_new_session=True)
        (RUN / "netbox.pid").write_text(str(POD.proc.pid))  # run.sh ends it should this process die first
        deadline = time.time() + 180
        while True:
            if POD.proc.poll() is not None:
                raise RuntimeError(f"NetBox exited ({POD.proc.returncode}):\n{POD.log_text()[-4000:]}")
            try:
                if requests.get(f"{NETBOX}/login/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"NetBox did not answer /login/ in 180s:\n{POD.log_text()[-4000:]}")
            time.sleep(1)
    return POD


def db_settings() -> tuple[dict, str]:
    """DATABASES.default of the rendered netbox.yaml and the password the pod reads."""
    cm = [d for d in yaml.safe_load_all(POD.render.read_text())
          if d and d.get("kind") == "ConfigMap" and "netbox.yaml" in (d.get("data") or {})][0]
    db = yaml.safe_load(cm["data"]["netbox.yaml"])["DATABASES"]["default"]
    return db, Path("/run/secrets/netbox/db_password").read_text().strip()


def db_snapshot_path() -> Path | None:
    """Where a dump of the freshly migrated database is kept between runs on this machine (NetBox's
    ~300 migrations take many minutes on 2 cores). E2E_DB_CACHE=off: always migrate from scratch."""
    cache = os.environ.get("E2E_DB_CACHE", "/var/cache/netbox-sso-e2e")
    if cache == "off":
        return None
    from importlib.metadata import version
    pg = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.split()[-1].split(".")[0]
    return Path(cache) / f"netbox-{version('netbox')}-pg{pg}.dump"


def pg_tool(tool: str, *args: str) -> None:
    db, password = db_settings()
    env = dict(os.environ, PGPASSWORD=password)
    subprocess.run([tool, "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "-d", db["NAME"], *args],
                   env=env, check=True, capture_output=True, timeout=600)


def teardown() -> None:
    POD.stop()
    subprocess.run([sys.executable, str(E2E_DIR / "kubelet_layout.py"), "clean", "--record",
                    str(RUN / "layout-record.json")], check=False)
    remove_image_shim()


# ---------------------------------------------------------------------------------------------- logins


@dataclass
class Login:
    ok: bool
    status: int
    url: str
    body: str
    session: requests.Session


_return_ok_secure = http.cookiejar.DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(self, cookie, request):
    """Send Secure cookies to http://127.0.0.1 as browsers do (loopback is a secure context for them).
    Keycloak marks its login-session cookies Secure even over plain HTTP; http.cookiejar would keep
    them back. requests copies cookies into fresh default-policy jars on every request, so this is set
    on the default policy (of this test process, which talks to loopback only)."""
    if urlparse(request.get_full_url()).hostname in ("127.0.0.1", "localhost", "::1"):
        return True
    return _return_ok_secure(self, cookie, request)


http.cookiejar.DefaultCookiePolicy.return_ok_secure = _loopback_is_secure


def browser_session() -> requests.Session:
    return requests.Session()


def login(backend: str, username: str, password: str | None = None) -> Login:
    """Log in the way a browser does: NetBox's login page has a form per SSO backend that POSTs (with
    its CSRF token) to /oauth/begin/<backend>/, which redirects to Keycloak's login form; that form is
    posted with the user's credentials, and Keycloak redirects back to /oauth/complete/<backend>/.
    ok: NetBox then serves the user's profile page."""
    s = browser_session()
    # next=/user/profile/: land there, not on the dashboard, whose news widget would reach out to the internet
    page = s.get(f"{NETBOX}/login/", params={"next": "/user/profile/"}, timeout=60)
    forms = {}
    for action, inner in re.findall(r'<form action="(/oauth/begin/[^"]*)" method="post"[^>]*>(.*?)</form>', page.text, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', inner))
        forms[html.unescape(action).split("?")[0]] = {k: html.unescape(v) for k, v in fields.items()}
    fields = forms.get(f"/oauth/begin/{backend}/")
    if fields is None:
        raise AssertionError(f"NetBox's login page has no button for backend {backend!r} (forms: {sorted(forms)})")
    r = s.post(f"{NETBOX}/oauth/begin/{backend}/", data=fields, timeout=60)
    if not r.url.startswith(KC):
        raise AssertionError(f"/oauth/begin/{backend}/ did not lead to Keycloak but to {r.url} ({r.status_code}): {r.text[:300]}")
    m = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', r.text) or \
        re.search(r'<form[^>]*action="([^"]+)"[^>]*id="kc-form-login"', r.text)
    if not m:
        raise AssertionError(f"no Keycloak login form at {r.url}: {r.text[:500]}")
    r = s.post(urljoin(r.url, html.unescape(m.group(1))),
               data={"username": username, "password": password or PASSWORDS[username], "credentialId": ""},
               timeout=120)
    profile = s.get(f"{NETBOX}/user/profile/", allow_redirects=False, timeout=60)
    return Login(ok=profile.status_code == 200, status=r.status_code, url=r.url, body=r.text, session=s)


def page_messages(body: str) -> list[str]:
    """The texts of the messages (toasts, alerts) on a NetBox page."""
    found = re.findall(r'<div[^>]*class="([^"]*(?:toast-body|alert)[^"]*)"[^>]*>(.*?)</div>', body, re.S)
    texts = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", f))).strip()
             for cls, f in found if "d-none" not in cls.split()]  # d-none: hidden
    return [t for t in texts if t]


# ---------------------------------------------------------------------------------------------- database


def db_connect():
    """Connect as NetBox does: the settings from the rendered netbox.yaml (host is the Service name,
    resolved through /etc/hosts), the password from the file the pod reads."""
    db, password = db_settings()
    return psycopg.connect(host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"],
                           password=password, autocommit=True)


@dataclass
class NetBoxUser:
    id: int
    username: str
    is_superuser: bool
    is_staff: bool | None
    is_active: bool
    groups: list[str]


def netbox_user(provider: str, uid: str) -> NetBoxUser | None:
    """The NetBox user a social account (provider, uid) belongs to, with flags and NetBox groups."""
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users_user'")
        has_staff = "is_staff" in {r[0] for r in cur.fetchall()}
        cur.execute(
            "SELECT u.id, u.username, u.is_superuser, " + ("u.is_staff" if has_staff else "NULL") + ", u.is_active "
            "FROM social_auth_usersocialauth s JOIN users_user u ON u.id = s.user_id "
            "WHERE s.provider = %s AND s.uid = %s", (provider, uid))
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute("SELECT g.name FROM users_user_groups ug JOIN users_group g ON g.id = ug.group_id "
                    "WHERE ug.user_id = %s ORDER BY g.name", (row[0],))
        return NetBoxUser(*row, groups=[r[0] for r in cur.fetchall()])


def usernames() -> list[str]:
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT username FROM users_user ORDER BY username")
        return [r[0] for r in cur.fetchall()]


def versions() -> dict:
    from importlib.metadata import version
    kc_version = (WORK / f"keycloak-{os.environ.get('KEYCLOAK_VERSION', '')}" / "version.txt")
    kc = os.environ.get("KEYCLOAK_VERSION", "?")
    if kc_version.exists():  # "Keycloak - Version 26.7.3"
        kc = kc_version.read_text().strip().rsplit(" ", 1)[-1]
    return {"NetBox": version("netbox"), "Keycloak": kc, "social-auth-core": version("social-auth-core"),
            "social-auth-app-django": version("social-auth-app-django"), "Django": version("django")}
