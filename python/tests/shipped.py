"""The settings NetBox gets from netbox-sso, for the tests: written by the binary, loaded as the chart loads them.

Nothing here knows what netbox-sso writes. ``render(config)`` runs the netbox-sso binary as a Helm
post-renderer over a real netbox-chart render, with a NetBoxSSO config (a dict, as in a config file);
``pod_configuration(docs, root)`` writes the files that the web container's ConfigMap mounts show under
``root`` (as the kubelet would) and runs the chart's own ``configuration.py`` from that render on them, with
its absolute ``/run/`` paths moved under ``root``: the chart's loader reads ``netbox.yaml`` and then every
``/run/config/extra/*/*.yaml`` in sorted order, deep-merging each (PyYAML, as in the NetBox image). Finally
``netbox_settings(configuration, version)`` does what NetBox's ``settings.py`` does with the names that matter
for a social login (facts from NetBox v4.4.8 and v4.6.8 ``netbox/settings.py``):

- ``AUTHENTICATION_BACKENDS = [*REMOTE_AUTH_BACKEND, "netbox.authentication.ObjectPermissionBackend"]``;
- ``SOCIAL_AUTH_PIPELINE`` is NetBox's default unless the configuration sets one; from 4.6.3
  ``SOCIAL_AUTH_LOGIN_ERROR_URL = LOGIN_URL`` and ``SOCIAL_AUTH_RAISE_EXCEPTIONS = DEBUG``; then every
  ``SOCIAL_AUTH_*`` name of the configuration; then ``SOCIAL_AUTH_JSONFIELD_ENABLED``,
  ``SOCIAL_AUTH_CLEAN_USERNAME_FUNCTION`` and ``SOCIAL_AUTH_USER_MODEL`` forced;
- ``LOGIN_REQUIRED``, ``REMOTE_AUTH_*``, ``LOGGING`` and ``DEBUG`` as configured.

Environment: ``NETBOX_SSO_BIN`` (the binary; built with ``go build`` from this tree when unset) and
``NETBOX_SSO_FIXTURES`` (the directory of netbox-chart renders, default ``../shared/fixtures/netbox-chart`` next
to the repository, as for the Go tests).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO / "python" / "netbox_sso"  # the folder python/module.go embeds

# netbox-chart renders (chart defaults) by the NetBox release they deploy: 6.1.17 deploys v4.4.0, 8.3.61 v4.6.8.
CHART_RENDERS = {(4, 4): "v6.1.17-plain.yaml", None: "v8.3.61-plain.yaml"}

# NetBox's default SOCIAL_AUTH_PIPELINE (netbox/settings.py, 4.4 to 4.7): what NetBox runs when the
# configuration sets none.
NETBOX_DEFAULT_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "netbox.authentication.user_default_groups_handler",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
)


# libyaml's parser where PyYAML has it (its wheels do): the same safe loading, many times faster on a render.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderError(RuntimeError):
    pass


def netbox_version() -> tuple[int, ...]:
    """The NetBox release the test environment stands for (run-tests.sh sets NETBOX_SSO_TEST_NETBOX)."""
    raw = os.environ.get("NETBOX_SSO_TEST_NETBOX")
    if not raw:
        raise RenderError("NETBOX_SSO_TEST_NETBOX is not set: run the tests with python/run-tests.sh")
    return tuple(int(part) for part in raw.split("."))


@lru_cache(maxsize=None)
def binary() -> str:
    path = os.environ.get("NETBOX_SSO_BIN")
    if path:
        return path
    out = Path(tempfile.mkdtemp(prefix="netbox-sso-bin-")) / "netbox-sso"
    built = subprocess.run(["go", "build", "-trimpath", "-o", str(out), "."], cwd=REPO, capture_output=True, text=True,
                           env={**os.environ, "CGO_ENABLED": "0"})
    if built.returncode != 0:
        raise RenderError(f"go build failed:\n{built.stderr}")
    return str(out)


# The repository's own render of its demo chart (examples/helm3/netbox-demo), laid out as netbox-chart's (the same
# configuration.py loader): what the tests run on in a fresh clone that has no netbox-chart renders beside it.
DEMO_RENDER = REPO / "examples" / "basic" / "netbox.yaml"


def chart_render_path() -> Path:
    """The render the binary runs over: the netbox-chart render of the release under test, from
    NETBOX_SSO_FIXTURES or ../shared/fixtures/netbox-chart. Without it the demo render (DEMO_RENDER) stands in,
    once announced on stderr; with CI=true (or NETBOX_SSO_FIXTURES set) the real render is required."""
    given = os.environ.get("NETBOX_SSO_FIXTURES")
    base = Path(given or REPO.parent / "shared" / "fixtures" / "netbox-chart")
    name = CHART_RENDERS.get(netbox_version()[:2], CHART_RENDERS[None])
    path = base / name
    if path.is_file():
        return path
    if given or os.environ.get("CI") == "true":
        raise RenderError(f"netbox-chart render {path} not found (set NETBOX_SSO_FIXTURES; CI=true requires it)")
    _announce_demo(path)
    return DEMO_RENDER


@lru_cache(maxsize=None)
def _announce_demo(missing: Path) -> None:
    import sys

    print(f"netbox-sso tests: {missing} not found; using the demo render {DEMO_RENDER.relative_to(REPO)} "
          "instead (set NETBOX_SSO_FIXTURES for the real netbox-chart renders; CI=true requires them)",
          file=sys.stderr)


def render(config: dict) -> list[dict]:
    """Run the binary over the chart render with this NetBoxSSO config; return the output documents."""
    with tempfile.TemporaryDirectory(prefix="netbox-sso-config-") as tmp:
        config_path = Path(tmp) / "sso.yaml"
        config_path.write_text(json.dumps(config), encoding="utf-8")  # JSON: no YAML 1.1 vs 1.2 ambiguity
        with open(chart_render_path(), "rb") as chart:
            run = subprocess.run([binary(), "--config", str(config_path)], stdin=chart, capture_output=True)
    if run.returncode != 0:
        raise RenderError(f"netbox-sso exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    return [doc for doc in yaml.load_all(run.stdout, Loader=_LOADER) if isinstance(doc, dict)]


def _web_container(docs):
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        template = doc["spec"]["template"]
        if (template["metadata"].get("labels") or {}).get("app.kubernetes.io/component") != "netbox":
            continue
        volumes = {v["name"]: v for v in template["spec"].get("volumes") or []}
        for container in template["spec"]["containers"]:
            if container["name"] == "netbox":
                return doc["metadata"].get("namespace"), container, volumes
    raise RenderError("no web Deployment (component netbox, container netbox) in the output")


def _config_map_files(docs, namespace, source):
    """{relative path: text} of a ConfigMap volume source (items honoured)."""
    name = source["name"]
    for doc in docs:
        meta = doc.get("metadata") or {}
        if doc.get("kind") == "ConfigMap" and meta.get("name") == name and meta.get("namespace") == namespace:
            data = doc.get("data") or {}
            if source.get("items"):
                return {item["path"]: data[item["key"]] for item in source["items"]}
            return dict(data)
    raise RenderError(f"ConfigMap {name} is mounted but not in the output")


def pod_files(docs) -> dict[str, str]:
    """{absolute path: text} of every file the web container's ConfigMap mounts show (Secrets are left out:
    the tests bring their own client secret)."""
    namespace, container, volumes = _web_container(docs)
    files = {}
    for mount in container.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        sources = [volume["configMap"]] if "configMap" in volume else [
            s["configMap"] for s in (volume.get("projected") or {}).get("sources") or [] if "configMap" in s]
        for source in sources:
            shown = _config_map_files(docs, namespace, source)
            sub = mount.get("subPath")
            if sub:
                if sub in shown:
                    files[mount["mountPath"]] = shown[sub]
                continue
            for rel, text in shown.items():
                files[f'{mount["mountPath"].rstrip("/")}/{rel}'] = text
    return files


def secret_mount(docs, path: str) -> bool:
    """Whether the web container mounts a Secret volume at the directory of ``path``."""
    _, container, volumes = _web_container(docs)
    directory = str(Path(path).parent)
    for mount in container.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        if mount["mountPath"].rstrip("/") == directory and "secret" in volume:
            items = volume["secret"].get("items")
            return not items or any(item["path"] == Path(path).name for item in items)
    return False


def pod_configuration(docs, root: Path) -> dict:
    """Lay out the ConfigMap files under ``root`` and run the chart's configuration.py on them; return the
    configuration module's upper-case names."""
    files = pod_files(docs)
    loader_path = "/etc/netbox/config/configuration.py"
    if loader_path not in files:
        raise RenderError(f"the web container mounts no {loader_path}")
    for path, text in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    source = files[loader_path]
    moved = source.replace('"/run/', f'"{root}/run/')
    if moved.count(str(root)) < 2:
        raise RenderError("the chart's configuration.py no longer reads /run/config/...: the tests' loader needs a look")
    namespace = {"__name__": "configuration", "__file__": str(root / loader_path.lstrip("/"))}
    exec(compile(moved, namespace["__file__"], "exec"), namespace)  # noqa: S102 - the chart's own loader
    return {k: v for k, v in namespace.items() if k.isupper()}


def netbox_settings(configuration: dict, version: tuple[int, ...]) -> dict:
    """The Django settings NetBox's settings.py derives from its configuration module (the names that matter to
    a social login; see the module docstring)."""
    out = {}
    backends = configuration.get("REMOTE_AUTH_BACKEND", "netbox.authentication.RemoteUserBackend")
    if not isinstance(backends, (list, tuple)):
        backends = [backends]
    out["AUTHENTICATION_BACKENDS"] = [*backends, "netbox.authentication.ObjectPermissionBackend"]
    out["DEBUG"] = configuration.get("DEBUG", False)
    out["LOGIN_REQUIRED"] = configuration.get("LOGIN_REQUIRED", True)
    out["LOGGING"] = configuration.get("LOGGING", {})
    for name, value in configuration.items():
        if name.startswith("REMOTE_AUTH_"):
            out[name] = value
    base_path = configuration.get("BASE_PATH", "").strip("/")
    base_path = f"{base_path}/" if base_path else ""
    out["LOGIN_URL"] = f"/{base_path}login/"
    out["LOGIN_REDIRECT_URL"] = f"/{base_path}"
    out["SOCIAL_AUTH_PIPELINE"] = NETBOX_DEFAULT_PIPELINE
    if version >= (4, 6, 3):
        out["SOCIAL_AUTH_LOGIN_ERROR_URL"] = out["LOGIN_URL"]
        out["SOCIAL_AUTH_RAISE_EXCEPTIONS"] = out["DEBUG"]
    for name, value in configuration.items():
        if name.startswith("SOCIAL_AUTH_"):
            out[name] = value
    out["SOCIAL_AUTH_JSONFIELD_ENABLED"] = True
    out["SOCIAL_AUTH_CLEAN_USERNAME_FUNCTION"] = "users.utils.clean_username"
    out["SOCIAL_AUTH_USER_MODEL"] = "users.User"
    return out


@lru_cache(maxsize=None)
def _settings_for(config_yaml: str) -> dict:
    docs = render(yaml.safe_load(config_yaml))
    with tempfile.TemporaryDirectory(prefix="netbox-sso-pod-") as tmp:
        configuration = pod_configuration(docs, Path(tmp))
    settings = netbox_settings(configuration, netbox_version())
    provider = settings.get("SOCIAL_AUTH_NETBOX_SSO")
    secret_file = provider.get("client_secret_file") if isinstance(provider, dict) else None
    if secret_file and not secret_mount(docs, secret_file):
        raise RenderError(f"the settings read the client secret from {secret_file}, where no Secret is mounted")
    return settings


def settings_for(config: dict) -> dict:
    """NetBox's settings for this NetBoxSSO config, through the binary and the chart's loader (cached per config;
    every call returns a fresh copy). Raises RenderError when the binary refuses the config, and when the
    settings name a client secret file where the web container mounts no Secret."""
    return copy.deepcopy(_settings_for(yaml.safe_dump(config, sort_keys=True)))


def base_config(provider_type: str) -> dict:
    """tests/configs/<type>.yaml: the NetBoxSSO config the tests start from."""
    path = Path(__file__).with_name("configs") / f"{provider_type}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class ProviderSettings(dict):
    """SOCIAL_AUTH_NETBOX_SSO as the tests hold it: a plain dict that tests change in place, loaded with both
    backends' renders side by side. The renders differ in a few values (user_id_claim: preferred_username for
    keycloak, sub for oidc); ``use(backend)``, called by the login fixture, sets those values to the ones the
    binary wrote for that backend, except keys the test itself set or removed."""

    def __init__(self, per_backend: dict[str, dict], first: str):
        super().__init__(copy.deepcopy(per_backend[first]))
        self.per_backend = per_backend
        self.touched: set = set()

    def use(self, backend: str) -> None:
        wanted = self.per_backend[backend]
        for key in set().union(*self.per_backend.values()) - self.touched:
            if key in wanted:
                dict.__setitem__(self, key, copy.deepcopy(wanted[key]))
            else:
                dict.pop(self, key, None)

    def __setitem__(self, key, value):
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.touched.add(key)
        super().__delitem__(key)

    def update(self, *args, **kwargs):
        changes = dict(*args, **kwargs)
        self.touched.update(changes)
        super().update(changes)

    def pop(self, key, *default):
        self.touched.add(key)
        return super().pop(key, *default)

    def setdefault(self, key, default=None):
        self.touched.add(key)
        return super().setdefault(key, default)

    def clear(self):
        self.touched.update(self)
        super().clear()


# Settings in which the keycloak and oidc renders may differ: the provider's own.
PER_BACKEND = ("AUTHENTICATION_BACKENDS", "REMOTE_AUTH_BACKEND", "SOCIAL_AUTH_BACKEND_ATTRS", "SOCIAL_AUTH_NETBOX_SSO")


def both_backends(rendered: dict[str, dict]) -> dict:
    """One settings dict from the renders of several provider types: provider keys side by side (they have
    their own prefixes), AUTHENTICATION_BACKENDS and SOCIAL_AUTH_BACKEND_ATTRS joined, SOCIAL_AUTH_NETBOX_SSO a
    ProviderSettings. Any other setting must be the same in every render, or this raises."""
    names = list(rendered)
    out: dict = {}
    for name in names:
        for key, value in rendered[name].items():
            if key in PER_BACKEND or key not in out:
                continue
            if out[key] != value:
                raise RenderError(f"{key} differs between the {names[0]} and {name} renders: the tests load both "
                                  "side by side; add it to shipped.PER_BACKEND if it is the provider's own")
        for key, value in rendered[name].items():
            out.setdefault(key, value)
    remote = [b for n in names for b in _as_list(rendered[n]["REMOTE_AUTH_BACKEND"])]
    out["AUTHENTICATION_BACKENDS"] = list(dict.fromkeys(
        remote + [b for n in names for b in rendered[n]["AUTHENTICATION_BACKENDS"] if b not in remote]))
    out["REMOTE_AUTH_BACKEND"] = remote
    out["SOCIAL_AUTH_BACKEND_ATTRS"] = {k: v for n in names for k, v in rendered[n]["SOCIAL_AUTH_BACKEND_ATTRS"].items()}
    out["SOCIAL_AUTH_NETBOX_SSO"] = ProviderSettings({n: rendered[n]["SOCIAL_AUTH_NETBOX_SSO"] for n in names}, names[0])
    return out
