"""The e2e harness: Keycloak admin calls, netbox-sso renders, the NetBox "pod" and its database.

run.sh starts PostgreSQL, Redis, Keycloak and the TLS proxy and exports the E2E_* variables read here (one
pytest session per NetBox version: E2E_NETBOX_VERSION, and E2E_NETBOX_TREE when that NetBox runs from its
source tree rather than the PyPI package); the tests call `deploy(variant)` to (re)deploy NetBox configured
by a netbox-sso render of the chart, and the login helpers to go through Keycloak's real login form.
"""

from __future__ import annotations

import base64
import html
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zlib
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
# NetBox behind the TLS-terminating proxy (nginx, run.sh), by the name /etc/hosts points at loopback;
# E2E_TLS_CA is the proxy's self-signed certificate, the one trust anchor for it.
TLS_NETBOX = f"https://{os.environ.get('TLS_HOST', 'netbox.e2e.test')}:{os.environ.get('TLS_PORT', '8443')}"
TLS_CA = os.environ.get("E2E_TLS_CA", str(RUN / "tls" / "cert.pem"))
# The NetBox version of this session, and its source tree (None: the PyPI package in this virtualenv).
NETBOX_VERSION = os.environ.get("E2E_NETBOX_VERSION", "4.7.3")
NETBOX_TREE = Path(os.environ["E2E_NETBOX_TREE"]) if os.environ.get("E2E_NETBOX_TREE") else None
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


def netbox_release() -> tuple[int, ...]:
    """(major, minor, patch) of the NetBox under test."""
    return tuple(int(p) for p in NETBOX_VERSION.split("."))


def has_staff_flag() -> bool:
    """NetBox 4.5 removed User.is_staff (DESIGN.md, field notes); 4.4 still has it."""
    return netbox_release() < (4, 5)

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


# keycloak-tls: the keycloak variant with NetBox's public URL behind the TLS proxy (https redirect URI,
# SOCIAL_AUTH_REDIRECT_IS_HTTPS), and secure cookies turned on the way a chart user does: one `extraConfig`
# entry (see with_chart_extra_config).
VARIANTS["keycloak-tls"] = {**VARIANTS["keycloak"], "netboxURL": TLS_NETBOX,
                            "extraConfig": {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True}}

# keycloak-sync: the keycloak variant with `spec.sync` (defaults: deactivate removed users): the render gets the
# sync CronJob and the settings it reads, and keycloak-client turns the client's service account on. Logout is
# on in every variant (netboxURL is set, and a Keycloak realm has an end-session endpoint).
VARIANTS["keycloak-sync"] = {**VARIANTS["keycloak"], "sync": {}}


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

    def create_user(self, username: str, password: str, groups: list[str]) -> None:
        """A realm user like those of realm.json (verified e-mail, names, a password), in `groups` (paths)."""
        self.call("POST", "/users", json={
            "username": username, "enabled": True, "email": f"{username}@acme.test", "emailVerified": True,
            "firstName": username.capitalize(), "lastName": "E2e", "groups": ["/" + g.strip("/") for g in groups],
            "credentials": [{"type": "password", "value": password, "temporary": False}]})

    def delete_user(self, username: str) -> None:
        for u in self.call("GET", "/users", params={"username": username, "exact": "true"}).json():
            self.call("DELETE", f"/users/{u['id']}")

    def grant_service_account_roles(self, notes: str) -> list[str]:
        """Do what `netbox-sso keycloak-client` says on stderr for spec.sync: its kcadm.sh add-roles command
        (`add-roles -r REALM --uusername USER --cclientid CLIENT --rolename R...`), through the admin REST API.
        Returns the role names granted."""
        m = re.search(r"kcadm\.sh add-roles -r (\S+) --uusername (\S+) --cclientid (\S+)((?: --rolename \S+)+)", notes)
        if not m:
            raise AssertionError(f"keycloak-client printed no add-roles command for the sync: {notes}")
        realm, username, client_id, roles = m.group(1), m.group(2), m.group(3), m.group(4).split()[1::2]
        assert realm == REALM, realm
        # the user Keycloak made for the netbox client's service account, which the note names
        netbox = self.call("GET", "/clients", params={"clientId": CLIENT_ID}).json()[0]["id"]
        account = self.call("GET", f"/clients/{netbox}/service-account-user").json()
        assert account["username"] == username, (account["username"], username)
        uid = account["id"]
        cid = self.call("GET", "/clients", params={"clientId": client_id}).json()[0]["id"]
        wanted = [self.call("GET", f"/clients/{cid}/roles/{role}").json() for role in roles]
        self.call("POST", f"/users/{uid}/role-mappings/clients/{cid}", json=wanted)
        return roles

    def set_enabled(self, username: str, enabled: bool) -> None:
        uid = self.user_id(username)
        user = self.call("GET", f"/users/{uid}").json()
        user["enabled"] = enabled
        self.call("PUT", f"/users/{uid}", json=user)

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
        "spec": {"release": RELEASE, "netboxURL": v.get("netboxURL", NETBOX), "provider": provider,
                 "groups": json.loads(json.dumps(v["groups"])), "loginRequired": True,
                 **({"sync": dict(v["sync"])} if "sync" in v else {})},
    }


def run_binary(*args: str, stdin: bytes | None = None) -> bytes:
    return run_binary_with_notes(*args, stdin=stdin)[0]


def run_binary_with_notes(*args: str, stdin: bytes | None = None) -> tuple[bytes, str]:
    """stdout of a successful netbox-sso run, and what it said on stderr (warnings, notes)."""
    p = subprocess.run([str(BINARY), *args], input=stdin, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"netbox-sso {' '.join(args)} failed ({p.returncode}): {p.stderr.decode()[:2000]}")
    return p.stdout, p.stderr.decode()


def client_secret_doc(secret: str) -> dict:
    """The Secret the cluster admin creates for clientSecretRef (the harness plays that admin)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": CLIENT_SECRET_REF["name"], "namespace": NAMESPACE},
            "stringData": {CLIENT_SECRET_REF["key"]: secret}}


def with_chart_extra_config(docs: list, values: dict) -> list:
    """The render as netbox-chart 8.3.61 makes it with one more `extraConfig` entry `{values: VALUES}`
    (compare the fixture v8.3.61-chartdocs-sso.yaml): entry i (after those the render has) is the key
    `extra-<i>.yaml` of the NetBox ConfigMap, in the volume `extra-config-<i>` that takes that one item,
    mounted at /run/config/extra/<i> in the NetBox Deployments (the e2e runs only the web container)."""
    docs = json.loads(json.dumps(docs))
    workloads = [d for d in docs if d.get("kind") == "Deployment" and
                 d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") in
                 ("netbox", "worker", "housekeeping")]
    i = max((sum(v["name"].startswith("extra-config-") for v in w["spec"]["template"]["spec"].get("volumes") or [])
             for w in workloads), default=0)
    cms = [d for d in docs if d.get("kind") == "ConfigMap" and "netbox.yaml" in (d.get("data") or {})]
    assert len(cms) == 1, "expected one NetBox ConfigMap in the render"
    cms[0]["data"][f"extra-{i}.yaml"] = yaml.safe_dump(values)
    for w in workloads:
        pod = w["spec"]["template"]["spec"]
        pod.setdefault("volumes", []).append({"name": f"extra-config-{i}", "configMap": {
            "name": cms[0]["metadata"]["name"], "items": [{"key": f"extra-{i}.yaml", "path": f"extra-{i}.yaml"}]}})
        for c in pod["containers"]:
            if c["name"].startswith("netbox"):
                c.setdefault("volumeMounts", []).append(
                    {"name": f"extra-config-{i}", "mountPath": f"/run/config/extra/{i}", "readOnly": True})
    return docs


# ---------------------------------------------------------------------------------------------- NetBox pod


def site_packages() -> Path:
    return Path(sysconfig.get_paths(vars={"base": str(VENV), "platbase": str(VENV)})["purelib"])


def netbox_package_dir() -> Path:
    """The directory of NetBox's `netbox` package: in the source tree, or in this virtualenv."""
    return NETBOX_TREE / "netbox" / "netbox" if NETBOX_TREE else site_packages() / "netbox"


def _shim_link(link: Path, target: str, directory: bool = False) -> None:
    if not link.is_symlink():
        if link.exists():
            raise RuntimeError(f"{link} exists and is not the e2e shim's symlink")
        link.symlink_to(target, target_is_directory=directory)


def install_image_shim() -> None:
    """What the NetBox container image provides and a pip install or a source tree does not (see
    shim/README.md): its `netbox` package directory is /opt/netbox/netbox/netbox/, so a module mounted
    there is importable as netbox.<module>; and it loads /etc/netbox/config/configuration.py."""
    _shim_link(netbox_package_dir() / "netbox_sso", "/opt/netbox/netbox/netbox/netbox_sso", directory=True)
    if NETBOX_TREE:
        # A source tree imports netbox.configuration (NETBOX_CONFIGURATION's default), as the image does.
        _shim_link(netbox_package_dir() / "configuration.py", "/etc/netbox/config/configuration.py")
        return
    conf = RUN / "netbox-root" / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    _shim_link(conf / "configuration.py", "/etc/netbox/config/configuration.py")


def remove_image_shim() -> None:
    for link in (netbox_package_dir() / "netbox_sso", netbox_package_dir() / "configuration.py"):
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
        # The image runs manage.py of its tree; the PyPI package installs it as the `netbox` command.
        cmd = [str(VENV / "bin" / "python"), str(NETBOX_TREE / "netbox" / "manage.py")] if NETBOX_TREE \
            else [str(VENV / "bin" / "netbox")]
        p = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=str(RUN))
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
NETBOX_START_LIMIT = 600  # seconds for a (re)started NetBox to answer /login/
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
    fixture = FIXTURE
    if VARIANTS[variant].get("extraConfig"):
        fixture = RUN / f"chart-render-{variant}.yaml"
        fixture.write_text(yaml.safe_dump_all(
            with_chart_extra_config([d for d in yaml.safe_load_all(FIXTURE.read_text()) if d],
                                    VARIANTS[variant]["extraConfig"]), sort_keys=False))
    cfg_path = RUN / f"netbox-sso-{variant}.yaml"
    cfg_path.write_text(yaml.safe_dump(config_for(variant, public_key), sort_keys=False))

    out, notes = run_binary_with_notes("keycloak-client", "--config", str(cfg_path))
    client = json.loads(out)
    (RUN / f"keycloak-client-{variant}.json").write_text(json.dumps(client, indent=1))
    secret = kc.replace_client(client)
    if "sync" in VARIANTS[variant]:
        # What the realm admin does with keycloak-client's note: the service account gets the roles it names.
        kc.grant_service_account_roles(notes)
    secret_path = RUN / "harness-secrets.yaml"
    secret_path.write_text(yaml.safe_dump(client_secret_doc(secret)))

    render = RUN / f"render-{variant}.yaml"
    render.write_bytes(run_binary("--config", str(cfg_path), str(fixture)))
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
    POD.log_path = LOGS / f"netbox-{NETBOX_VERSION}-{variant}.log"
    logf = open(POD.log_path, "ab")
    with timed(f"netbox start ({variant})"):
        POD.proc = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "--bind", f"{BIND}:{NETBOX_PORT}", "--workers", "2", "--threads", "4",
             "--timeout", "120", "--graceful-timeout", "5", "--preload", "--pythonpath",
             ",".join([str(E2E_DIR / "shim"), *([str(NETBOX_TREE / "netbox")] if NETBOX_TREE else [])]),
             "--access-logfile", "-",
             "netbox_image_wsgi:application"],
            env=POD.process_env(), stdout=logf, stderr=subprocess.STDOUT, cwd=str(RUN), start_new_session=True)
        (RUN / "netbox.pid").write_text(str(POD.proc.pid))  # run.sh ends it should this process die first
        # generous: on a loaded 2-core machine NetBox 4.4.8 took 187 s to answer its first page
        deadline = time.time() + NETBOX_START_LIMIT
        while True:
            if POD.proc.poll() is not None:
                raise RuntimeError(f"NetBox exited ({POD.proc.returncode}):\n{POD.log_text()[-4000:]}")
            try:
                if requests.get(f"{NETBOX}/login/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"NetBox did not answer /login/ in {NETBOX_START_LIMIT}s:\n{POD.log_text()[-4000:]}")
            time.sleep(1)
    return POD


# ---------------------------------------------------------------------------------------------- the sync job

# The image's Python (its virtualenv), which the sync CronJob's command starts; here the virtualenv of the
# NetBox under test stands in for it (shim/README.md).
IMAGE_PYTHON = "/opt/netbox/venv/bin/python"


@dataclass
class SyncRun:
    command: list[str]   # as the CronJob's container has it (command + args)
    workdir: str         # its workingDir
    returncode: int
    stdout: str
    stderr: str


def sync_container(render: Path) -> dict:
    """The container of the sync CronJob (app.kubernetes.io/component: sso-sync) in a render."""
    jobs = [d for d in yaml.safe_load_all(render.read_text()) if d and d.get("kind") == "CronJob" and
            d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "sso-sync"]
    assert len(jobs) == 1, f"expected one sync CronJob in {render}, found {len(jobs)}"
    containers = jobs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, [c["name"] for c in containers]
    return containers[0]


def render_with(variant: str, kc: KeycloakAdmin, sync: dict) -> Path:
    """The render of the chart for `variant` with spec.sync replaced by `sync` (the running NetBox is not
    redeployed: only the CronJob's command depends on what changes here, e.g. dryRun)."""
    cfg = config_for(variant, kc.realm_public_key() if VARIANTS[variant]["provider"]["type"] == "keycloak" else None)
    cfg["spec"]["sync"] = sync
    name = f"{variant}-" + "-".join(f"{k}-{v}" for k, v in sorted(sync.items()))
    cfg_path = RUN / f"netbox-sso-{name}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    render = RUN / f"render-{name}.yaml"
    render.write_bytes(run_binary("--config", str(cfg_path), str(FIXTURE)))
    return render


def run_sync_job(render: Path | None = None) -> SyncRun:
    """Run the sync as the rendered CronJob does: its container's command and args, in its workingDir, with
    its environment, on the files its pod mounts. The pod's files are laid out (kubelet_layout.py) into a
    scratch root and must be the very files the NetBox web pod has at the same paths (settings, login module,
    client secret), so the command runs on the real pod paths. What stands in for the image: the virtualenv of
    the NetBox under test for IMAGE_PYTHON, and where that NetBox finds its code and configuration.py (the
    PyPI package's NETBOX_ROOT, the 4.4.8 tree's netbox/ directory on PYTHONPATH; shim/README.md)."""
    render = render or POD.render
    container = sync_container(render)
    command = [*container["command"], *(container.get("args") or [])]
    workdir = container["workingDir"]
    root = RUN / "sync-pod"
    shutil.rmtree(root, ignore_errors=True)
    env_out = RUN / "sync-pod-env.json"
    p = subprocess.run([sys.executable, str(E2E_DIR / "kubelet_layout.py"), "layout", "--docs", str(render),
                        str(RUN / "harness-secrets.yaml"), "--component", "sso-sync", "--container", container["name"],
                        "--instance", RELEASE, "--pod-ip", BIND, "--root", str(root), "--env-out", str(env_out)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"kubelet_layout of the sync pod failed: {p.stderr}")
    files = [f for f in root.rglob("*") if f.is_file()]
    assert any(f.name == "sync.py" for f in files), "the sync pod does not mount the login module"
    for f in files:
        pod_path = Path("/") / f.relative_to(root)
        assert pod_path.is_file() and pod_path.read_bytes() == f.read_bytes(), \
            f"{pod_path}: the sync pod's file differs from the NetBox pod's"
    shutil.rmtree(root)
    assert command[0] == IMAGE_PYTHON, command
    assert Path(workdir).is_dir(), workdir
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TZ")}
    env.update(json.loads(env_out.read_text()))
    env.update({"NETBOX_ROOT": str(RUN / "netbox-root"), "PYTHONDONTWRITEBYTECODE": "1"})
    if NETBOX_TREE:
        env["PYTHONPATH"] = str(NETBOX_TREE / "netbox")
    r = subprocess.run([str(VENV / "bin" / "python"), *command[1:]], cwd=workdir, env=env, capture_output=True,
                       text=True, timeout=300)
    (LOGS / "sync-runs.log").open("a").write(
        f"$ {' '.join(command)}  (in {workdir}; exit {r.returncode})\n{r.stdout}{r.stderr}\n")
    return SyncRun(command, workdir, r.returncode, r.stdout, r.stderr)


def keycloak_service(action: str) -> None:
    """`freeze`: suspend every process of Keycloak (SIGSTOP to its process group, as run.sh started it): its port
    still accepts connections but nothing answers, as with a hung or overloaded provider, until `thaw` (SIGCONT)
    lets it go on where it was. A real stop and start (`stop_keycloak`, `start_keycloak resume` in services.sh)
    took 20 s + several minutes on the loaded 2-core machine, per NetBox version; a refused connection is
    covered by python/tests/test_sync.py."""
    signal_name = {"freeze": signal.SIGSTOP, "thaw": signal.SIGCONT}[action]
    pid = int((RUN / "keycloak.pid").read_text().strip())
    os.killpg(pid, signal_name)


def create_api_token(s: requests.Session, user_id: int, base: str = NETBOX) -> str:
    """A NetBox API token of the logged-in user of browser session `s`, made as that user through NetBox's
    REST API with the session (CSRF token from the cookie): a v1 token (`Authorization: Token <token>`), which
    NetBox 4.4 makes and 4.7 makes on request (its v2 tokens need API_TOKEN_PEPPERS, which the chart does not
    set). NetBox 4.4 takes the key from the request and does not show it again (ALLOW_TOKEN_RETRIEVAL is off);
    4.7 makes the token itself and answers it once (`token`). Returns the token."""
    s.get(f"{base}/user/profile/", timeout=60)  # a page, for the csrftoken cookie
    key = secrets.token_hex(20)  # 40 hexadecimal characters, NetBox 4.4's format
    r = s.post(f"{base}/api/users/tokens/",
               json={"user": user_id, "version": 1, "key": key, "description": "e2e sync"},
               headers={"X-CSRFToken": s.cookies.get("csrftoken", ""), "Accept": "application/json",
                        "Referer": f"{base}/user/profile/"}, timeout=60)
    assert r.status_code == 201, (r.status_code, r.text[:500])
    return r.json().get("token") or key


def api_get(token: str, path: str, base: str = NETBOX) -> requests.Response:
    return requests.get(f"{base}{path}", headers={"Authorization": f"Token {token}", "Accept": "application/json"},
                        timeout=60)


def sessions_of(user_id: int) -> int:
    """How many live sessions in NetBox's session store (django_session, Django's database engine, which the
    chart's NetBox uses) belong to the NetBox user with this id. Session data is Django's signed format:
    base64 of the JSON (zlib-compressed when it starts with "."), then ":" and the signature."""
    count = 0
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT session_data FROM django_session WHERE expire_date > now()")
        for (data,) in cur.fetchall():
            payload = data.split(":", 1)[0]
            raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
            decoded = json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)
            count += str(decoded.get("_auth_user_id")) == str(user_id)
    return count


def users_table() -> list[tuple]:
    """Every NetBox user with every column of users_user, plus their NetBox groups: the state the sync may
    change, for before/after comparisons."""
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM users_user ORDER BY id")
        rows = [tuple(r) for r in cur.fetchall()]
        cur.execute("SELECT user_id, group_id FROM users_user_groups ORDER BY user_id, group_id")
        return rows + [("member", *r) for r in cur.fetchall()]


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
    pg = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.split()[-1].split(".")[0]
    return Path(cache) / f"netbox-{netbox_version()}-pg{pg}.dump"


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
    ok: bool                 # NetBox then serves the profile page of a logged-in user
    status: int              # HTTP status of the last page of the login (where NetBox sent the browser)
    url: str                 # and its URL
    body: str
    session: requests.Session
    authorize_url: str = ""  # Keycloak's authorization request, as NetBox built it (redirect_uri, state, ...)
    user: str | None = None  # the NetBox user the profile page names (data-netbox-user-name), if logged in


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


class BrowserSession(requests.Session):
    """A requests session that sends what a browser sends with a form post: Origin and Referer (Django's
    CSRF check compares them with the site when the request is https), and trusts the TLS proxy's
    self-signed certificate."""

    def __init__(self):
        super().__init__()
        if Path(TLS_CA).exists():
            self.verify = TLS_CA
        self.last_url: str | None = None

    def request(self, method, url, *args, **kwargs):
        if method.upper() == "POST" and self.last_url:
            page = urlparse(self.last_url)
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("Referer", self.last_url)
            headers.setdefault("Origin", f"{page.scheme}://{page.netloc}")
            kwargs["headers"] = headers
        # per request: requests lets REQUESTS_CA_BUNDLE from the environment win over a session's verify
        kwargs.setdefault("verify", self.verify)
        r = super().request(method, url, *args, **kwargs)
        self.last_url = r.url
        return r


def browser_session() -> BrowserSession:
    return BrowserSession()


def sso_buttons(body: str) -> dict[str, tuple[str, str, dict]]:
    """The SSO buttons of a NetBox login page: backend -> (method, URL path with query, form fields).
    NetBox 4.4 to 4.6 show a link (GET /oauth/login/<backend>/?next=...); 4.7 a form that POSTs to
    /oauth/begin/<backend>/ with its CSRF token."""
    buttons = {}
    for action, inner in re.findall(r'<form action="(/oauth/[^"]*)" method="post"[^>]*>(.*?)</form>', body, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', inner))
        url = html.unescape(action)
        buttons[url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]] = (
            "POST", url, {k: html.unescape(v) for k, v in fields.items()})
    for href in re.findall(r'<a href="(/oauth/login/[^"]*)"', body):
        url = html.unescape(href)
        buttons[url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]] = ("GET", url, {})
    return buttons


def page_user(body: str) -> str | None:
    """The logged-in user a NetBox page names (its <html data-netbox-user-name=...>), None if none."""
    m = re.search(r'data-netbox-user-name="([^"]*)"', body)
    return html.unescape(m.group(1)) if m else None


def start_sso(s: requests.Session, backend: str, base: str = NETBOX, page: str | None = None) -> requests.Response:
    """Press the SSO button of NetBox's login page (fetched now, or the body `page` of one fetched
    earlier: a stale tab) and follow the redirects to Keycloak."""
    if page is None:
        # next=/user/profile/: land there, not on the dashboard, whose news widget would reach out to the internet
        page = s.get(f"{base}/login/", params={"next": "/user/profile/"}, timeout=60).text
    buttons = sso_buttons(page)
    if backend not in buttons:
        raise AssertionError(f"NetBox's login page has no button for backend {backend!r} (buttons: {sorted(buttons)})")
    method, url, fields = buttons[backend]
    if method == "POST":
        return s.post(urljoin(base, url), data=fields, timeout=60)
    return s.get(urljoin(base, url), timeout=60)


def keycloak_form_login(s: requests.Session, r: requests.Response, username: str, password: str) -> requests.Response:
    """Fill in Keycloak's login form (the page `r`) and follow the redirects back to NetBox."""
    if not r.url.startswith(KC):
        raise AssertionError(f"starting SSO did not lead to Keycloak but to {r.url} ({r.status_code}): {r.text[:300]}")
    m = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', r.text) or \
        re.search(r'<form[^>]*action="([^"]+)"[^>]*id="kc-form-login"', r.text)
    if not m:
        raise AssertionError(f"no Keycloak login form at {r.url}: {r.text[:500]}")
    return s.post(urljoin(r.url, html.unescape(m.group(1))),
                  data={"username": username, "password": password, "credentialId": ""}, timeout=120)


def finish(s: requests.Session, r: requests.Response, authorize_url: str, base: str = NETBOX) -> Login:
    profile = s.get(f"{base}/user/profile/", allow_redirects=False, timeout=60)
    return Login(ok=profile.status_code == 200, status=r.status_code, url=r.url, body=r.text, session=s,
                 authorize_url=authorize_url, user=page_user(profile.text) if profile.status_code == 200 else None)


def login(backend: str, username: str, password: str | None = None, base: str = NETBOX,
          session: requests.Session | None = None, page: str | None = None) -> Login:
    """Log in the way a browser does: the SSO button of NetBox's login page (a link on NetBox 4.4, a form
    with its CSRF token on 4.7) leads to Keycloak's login form; that form is posted with the user's
    credentials, and Keycloak redirects back to /oauth/complete/<backend>/.
    ok: NetBox then serves the user's profile page. `session`: go on in that browser (cookies);
    `page`: press the button on that earlier login page (a stale tab)."""
    s = session or browser_session()
    r = start_sso(s, backend, base, page)
    authorize_url = r.url
    r = keycloak_form_login(s, r, username, password or PASSWORDS[username])
    return finish(s, r, authorize_url, base)


def local_login(username: str, password: str, base: str = NETBOX, session: requests.Session | None = None
                ) -> requests.Session:
    """Log in with NetBox's own username/password form, as the chart's superuser does."""
    s = session or browser_session()
    page = s.get(f"{base}/login/", params={"next": "/user/profile/"}, timeout=60)
    forms = [(a, f) for a, f in re.findall(r'<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>(.*?)</form>',
                                           page.text, re.S) if 'name="password"' in f]
    if not forms:
        raise AssertionError(f"NetBox's login page has no password form: {page.text[:500]}")
    action, inner = forms[0]
    fields = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', inner)}
    fields.update(username=username, password=password)
    r = s.post(urljoin(page.url, html.unescape(action) or page.url), data=fields, timeout=60)
    who = page_user(s.get(f"{base}/user/profile/", timeout=60).text)
    if who != username:
        raise AssertionError(f"local login of {username} failed ({r.status_code} {r.url})")
    return s


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


def netbox_version() -> str:
    """The version NetBox reports: netbox/release.yaml of its tree (as NetBox reads it), or the package's."""
    if NETBOX_TREE:
        return yaml.safe_load((NETBOX_TREE / "netbox" / "release.yaml").read_text())["version"]
    from importlib.metadata import version
    return version("netbox")


def versions() -> dict:
    from importlib.metadata import version
    kc_version = (WORK / f"keycloak-{os.environ.get('KEYCLOAK_VERSION', '')}" / "version.txt")
    kc = os.environ.get("KEYCLOAK_VERSION", "?")
    if kc_version.exists():  # "Keycloak - Version 26.7.3"
        kc = kc_version.read_text().strip().rsplit(" ", 1)[-1]
    return {"NetBox": netbox_version(), "Keycloak": kc, "social-auth-core": version("social-auth-core"),
            "social-auth-app-django": version("social-auth-app-django"), "Django": version("django"),
            "Python": sys.version.split()[0]}


def social_links(provider: str | None = None, uid: str | None = None, user_id: int | None = None
                 ) -> list[tuple[str, str, str]]:
    """Rows of social_auth_usersocialauth (the links from an identity-provider account to a NetBox user),
    as (provider, uid, NetBox username), filtered by whichever of provider, uid and user_id are given."""
    where, args = [], []
    for column, value in (("s.provider", provider), ("s.uid", uid), ("s.user_id", user_id)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT s.provider, s.uid, u.username FROM social_auth_usersocialauth s "
                    "JOIN users_user u ON u.id = s.user_id" + (" WHERE " + " AND ".join(where) if where else "") +
                    " ORDER BY s.id", args)
        return [tuple(r) for r in cur.fetchall()]


def local_user(username: str) -> NetBoxUser | None:
    """A NetBox user by username (local accounts too), with flags and NetBox groups."""
    with db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users_user'")
        has_staff = "is_staff" in {r[0] for r in cur.fetchall()}
        cur.execute("SELECT id, username, is_superuser, " + ("is_staff" if has_staff else "NULL") + ", is_active "
                    "FROM users_user WHERE username = %s", (username,))
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute("SELECT g.name FROM users_user_groups ug JOIN users_group g ON g.id = ug.group_id "
                    "WHERE ug.user_id = %s ORDER BY g.name", (row[0],))
        return NetBoxUser(*row, groups=[r[0] for r in cur.fetchall()])


# What a refusal page must not show (issue: before NetBox 4.6.3 a refused login was a 500 page with the
# exception's text, the config field names, file paths and the NetBox and Python versions).
INTERNAL_DETAIL = ("Traceback", "Server Error", "AuthForbidden", "AuthFailed", "AuthException", "social_core",
                   "netbox_sso", "netbox-sso", "spec.provider", "spec.groups", "Python version", "/opt/netbox",
                   ".py\"", "site-packages")


def refusal_page_problems(result: Login) -> list[str]:
    """What is wrong with the page a refused or failed SSO login ends on, as the user sees it: it must be
    NetBox's login page (its SSO button there, HTTP status below 500) with a short human message, and no
    internal detail. An empty list: nothing wrong."""
    problems = []
    if result.status >= 500:
        title = re.search(r"<title>(.*?)</title>", result.body, re.S)
        problems.append(f"HTTP {result.status} ({title.group(1).strip() if title else 'no title'}) at {result.url}")
    if urlparse(result.url).path != "/login/" or not sso_buttons(result.body):
        problems.append(f"not the login page: {result.url}")
    messages = page_messages(result.body)
    if not messages:
        problems.append("no message on the page")
    problems += [f"message longer than 200 characters: {m[:80]}..." for m in messages if len(m) > 200]
    problems += [f"the page shows {marker!r}" for marker in INTERNAL_DETAIL if marker in result.body]
    return problems
