#!/usr/bin/env python3
"""Lay out one container's volumes and environment on this machine, as the kubelet would.

The e2e run has no Kubernetes. It runs NetBox as a process on this machine and gives it the files that
its container would see: for every volumeMount of the chosen container, the content of the referenced
volume (ConfigMap, Secret, projected, downwardAPI; emptyDir and persistentVolumeClaim as plain
directories) is written to the mount path, honouring items, key-to-path mapping, subPath and modes.
Objects are looked up in the rendered documents (plus any extra documents the harness supplies, such as
Secrets a cluster admin would have created), in the workload's namespace. Nothing here knows about
netbox-sso: it is generic over volume types.

Like a container runtime, mounts are applied shallowest path first, and a directory mount hides what was
there before (the directory is replaced). A record of every path written is kept so that `clean` can
take them away again.

Commands:
  layout  --docs FILE... --component NAME --container NAME [--instance NAME] [--pod-ip IP]
          [--root DIR] [--record FILE] [--env-out FILE]
  clean   --record FILE
  secret  --docs FILE... --name NAME --key KEY [--namespace NS]   (print one decoded Secret value)
"""

import argparse
import base64
import json
import os
import shutil
import sys

import yaml

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# Directories a volume must never replace wholesale on the host (a mount there is laid out as
# "make sure it exists" instead; only emptyDir/PVC mounts are expected there).
PROTECTED = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt", "/proc", "/root", "/run", "/sbin",
             "/srv", "/sys", "/tmp", "/usr", "/var"}


class LayoutError(Exception):
    pass


def load_documents(paths):
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if isinstance(doc, dict) and doc.get("kind"):
                    docs.append(doc)
    return docs


def pod_template(doc):
    """Return (pod metadata, pod spec) of a workload document."""
    kind = doc["kind"]
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return doc.get("metadata") or {}, spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    return template.get("metadata") or {}, template.get("spec") or {}


def find_workload(docs, component, instance):
    found = []
    for doc in docs:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        meta, spec = pod_template(doc)
        labels = meta.get("labels") or {}
        if labels.get("app.kubernetes.io/component") != component:
            continue
        if instance and labels.get("app.kubernetes.io/instance") != instance:
            continue
        found.append((doc, meta, spec))
    if len(found) != 1:
        names = [f'{d["kind"]}/{d["metadata"]["name"]}' for d, _, _ in found]
        raise LayoutError(f"expected one workload with component={component} instance={instance}, found {names}")
    return found[0]


class Objects:
    """ConfigMaps and Secrets of one namespace, by name."""

    def __init__(self, docs, namespace):
        self.by_kind = {"ConfigMap": {}, "Secret": {}}
        for doc in docs:
            if doc["kind"] in self.by_kind:
                meta = doc.get("metadata") or {}
                if (meta.get("namespace") or namespace) == namespace:
                    self.by_kind[doc["kind"]][meta["name"]] = doc

    def data(self, kind, name, optional=False):
        """Return {key: bytes} of a ConfigMap or Secret, or None if it is absent and optional."""
        doc = self.by_kind[kind].get(name)
        if doc is None:
            if optional:
                return None
            raise LayoutError(f"{kind} {name!r} is referenced but not in the documents")
        out = {}
        if kind == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                out[key] = ("" if value is None else str(value)).encode("utf-8")
            for key, value in (doc.get("binaryData") or {}).items():
                out[key] = base64.b64decode(value or "")
        else:
            for key, value in (doc.get("data") or {}).items():
                out[key] = base64.b64decode(value or "")
            for key, value in (doc.get("stringData") or {}).items():
                out[key] = ("" if value is None else str(value)).encode("utf-8")
        return out


def field_value(path, pod_meta, namespace, pod_ip, pod_name):
    if path == "metadata.name":
        return pod_name
    if path == "metadata.namespace":
        return namespace
    if path in ("status.podIP", "status.hostIP"):
        return pod_ip
    if path == "status.podIPs":
        return pod_ip
    if path == "spec.nodeName":
        return os.uname().nodename
    if path in ("metadata.labels", "metadata.annotations"):
        values = pod_meta.get(path.split(".")[1]) or {}
        return "".join(f'{k}="{v}"\n' for k, v in sorted(values.items()))
    for prefix in ("metadata.labels['", "metadata.annotations['"):
        if path.startswith(prefix) and path.endswith("']"):
            values = pod_meta.get(prefix.split(".")[1].split("[")[0]) or {}
            return str(values.get(path[len(prefix):-2], ""))
    raise LayoutError(f"fieldRef {path!r} is not supported")


def keyed_files(data, items, default_mode, what, optional):
    """Files of a ConfigMap/Secret source: {relative path: (bytes, mode)}."""
    files = {}
    if data is None:
        return files
    if items:
        for item in items:
            key = item["key"]
            if key not in data:
                if optional:
                    continue
                raise LayoutError(f"{what} has no key {key!r}")
            files[item["path"]] = (data[key], item.get("mode", default_mode))
    else:
        for key, value in data.items():
            files[key] = (value, default_mode)
    return files


class Pod:
    def __init__(self, objects, pod_meta, namespace, pod_ip, pod_name):
        self.objects = objects
        self.pod_meta = pod_meta
        self.namespace = namespace
        self.pod_ip = pod_ip
        self.pod_name = pod_name

    def source_files(self, source, default_mode):
        """Files of one ConfigMap/Secret/downwardAPI source (a volume or a projected source)."""
        if "configMap" in source:
            ref = source["configMap"]
            optional = bool(ref.get("optional"))
            data = self.objects.data("ConfigMap", ref["name"], optional)
            return keyed_files(data, ref.get("items"), ref.get("defaultMode", default_mode),
                               f'ConfigMap {ref["name"]!r}', optional)
        if "secret" in source:
            ref = source["secret"]
            name = ref.get("secretName") or ref.get("name")
            optional = bool(ref.get("optional"))
            data = self.objects.data("Secret", name, optional)
            return keyed_files(data, ref.get("items"), ref.get("defaultMode", default_mode),
                               f"Secret {name!r}", optional)
        if "downwardAPI" in source:
            ref = source["downwardAPI"]
            files = {}
            for item in ref.get("items") or []:
                if "fieldRef" not in item:
                    raise LayoutError(f"downwardAPI item {item.get('path')!r}: only fieldRef is supported")
                value = field_value(item["fieldRef"]["fieldPath"], self.pod_meta, self.namespace, self.pod_ip,
                                    self.pod_name)
                files[item["path"]] = (value.encode("utf-8"), item.get("mode", ref.get("defaultMode", default_mode)))
            return files
        if "serviceAccountToken" in source:
            raise LayoutError("serviceAccountToken volumes need a cluster; not supported here")
        raise LayoutError(f"unsupported projected source {sorted(source)}")

    def volume(self, vol):
        """('files', {path: (bytes, mode)}) or ('dir', None) for a volume definition."""
        if "configMap" in vol or "secret" in vol or "downwardAPI" in vol:
            return "files", self.source_files(vol, 0o644)
        if "projected" in vol:
            proj = vol["projected"] or {}
            mode = proj.get("defaultMode", 0o644)
            files = {}
            for source in proj.get("sources") or []:
                if "configMap" in source:
                    source = {"configMap": dict(source["configMap"], defaultMode=mode)}
                elif "secret" in source:
                    source = {"secret": dict(source["secret"], defaultMode=mode)}
                files.update(self.source_files(source, mode))
            return "files", files
        if "emptyDir" in vol or "persistentVolumeClaim" in vol or "hostPath" in vol:
            return "dir", None
        raise LayoutError(f"volume {vol.get('name')!r}: unsupported type {sorted(k for k in vol if k != 'name')}")

    def env(self, container):
        env = {}
        for src in container.get("envFrom") or []:
            prefix = src.get("prefix", "")
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in src:
                    ref = src[key]
                    data = self.objects.data(kind, ref["name"], bool(ref.get("optional"))) or {}
                    for k, v in data.items():
                        env[prefix + k] = v.decode("utf-8")
        for var in container.get("env") or []:
            name = var["name"]
            if "valueFrom" not in var:
                env[name] = str(var.get("value", ""))
                continue
            vf = var["valueFrom"]
            if "fieldRef" in vf:
                env[name] = field_value(vf["fieldRef"]["fieldPath"], self.pod_meta, self.namespace, self.pod_ip,
                                        self.pod_name)
                continue
            for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if key in vf:
                    ref = vf[key]
                    optional = bool(ref.get("optional"))
                    data = self.objects.data(kind, ref["name"], optional)
                    if data is None or ref["key"] not in data:
                        if optional:
                            break
                        raise LayoutError(f"env {name}: {kind} {ref['name']!r} has no key {ref['key']!r}")
                    env[name] = data[ref["key"]].decode("utf-8")
                    break
            else:
                if "resourceFieldRef" in vf:
                    continue  # resource limits mean nothing outside a cgroup set up by a kubelet
                raise LayoutError(f"env {name}: unsupported valueFrom {sorted(vf)}")
        return env


def check_replaceable(path):
    norm = os.path.normpath(path)
    if norm in PROTECTED or norm.count("/") < 2:
        raise LayoutError(f"refusing to replace {norm}: a content volume would hide a system directory")


def makedirs(path, record):
    """os.makedirs that records each directory it creates."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for d in reversed(missing):
        os.mkdir(d)
        record.append(d)


def write_file(path, content, mode, record):
    makedirs(os.path.dirname(path), record)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(content)
    os.chmod(path, mode)
    record.append(path)


def layout(args):
    docs = load_documents(args.docs)
    workload, pod_meta, pod_spec = find_workload(docs, args.component, args.instance)
    namespace = (workload.get("metadata") or {}).get("namespace") or "default"
    containers = {c["name"]: c for c in pod_spec.get("containers") or []}
    if args.container not in containers:
        raise LayoutError(f'{workload["kind"]}/{workload["metadata"]["name"]} has no container {args.container!r}')
    container = containers[args.container]
    pod = Pod(Objects(docs, namespace), pod_meta, namespace, args.pod_ip,
              f'{workload["metadata"]["name"]}-e2e')
    volumes = {v["name"]: v for v in pod_spec.get("volumes") or []}

    mounts = list(container.get("volumeMounts") or [])
    # shallowest first, so a deeper mount lands on top of (inside) a shallower one
    mounts.sort(key=lambda m: len(os.path.normpath(m["mountPath"]).split("/")))
    record, summary = [], []
    root = args.root
    for mount in mounts:
        vol = volumes.get(mount["name"])
        if vol is None:
            raise LayoutError(f"volumeMount {mount['name']!r} names no volume")
        target = os.path.normpath(root + "/" + mount["mountPath"]) if root != "/" else os.path.normpath(
            mount["mountPath"])
        kind, files = pod.volume(vol)
        sub = (mount.get("subPath") or "").strip("/")
        if kind == "dir":
            makedirs(target, record)
            summary.append(f"{mount['mountPath']}: {mount['name']} (directory)")
            continue
        if sub:
            if sub in files:
                content, mode = files[sub]
                write_file(target, content, mode, record)
                summary.append(f"{mount['mountPath']}: {mount['name']} subPath {sub}")
                continue
            inner = {p[len(sub) + 1:]: v for p, v in files.items() if p.startswith(sub + "/")}
            if not inner:
                raise LayoutError(f"volumeMount {mount['mountPath']}: volume {mount['name']!r} has no {sub!r}")
            files = inner
        check_replaceable(target)
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.unlink(target)
        makedirs(target, record)
        for rel, (content, mode) in sorted(files.items()):
            write_file(os.path.join(target, rel), content, mode, record)
        summary.append(f"{mount['mountPath']}: {mount['name']} ({len(files)} files)")

    if args.record:
        previous = []
        if os.path.exists(args.record):
            with open(args.record, encoding="utf-8") as f:
                previous = json.load(f)
        with open(args.record, "w", encoding="utf-8") as f:
            json.dump(sorted(set(previous + record)), f, indent=1)
    if args.env_out:
        with open(args.env_out, "w", encoding="utf-8") as f:
            json.dump(pod.env(container), f, indent=1, sort_keys=True)
    for line in summary:
        print(line)


def clean(args):
    if not os.path.exists(args.record):
        return
    with open(args.record, encoding="utf-8") as f:
        paths = json.load(f)
    for path in sorted(paths, key=len, reverse=True):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)
    os.unlink(args.record)


def secret(args):
    docs = load_documents(args.docs)
    data = Objects(docs, args.namespace).data("Secret", args.name)
    if args.key not in data:
        raise LayoutError(f"Secret {args.name!r} has no key {args.key!r}")
    sys.stdout.write(data[args.key].decode("utf-8"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("layout")
    p.add_argument("--docs", nargs="+", required=True)
    p.add_argument("--component", required=True)
    p.add_argument("--container", required=True)
    p.add_argument("--instance")
    p.add_argument("--pod-ip", default="127.0.0.1")
    p.add_argument("--root", default="/")
    p.add_argument("--record")
    p.add_argument("--env-out")
    p = sub.add_parser("clean")
    p.add_argument("--record", required=True)
    p = sub.add_parser("secret")
    p.add_argument("--docs", nargs="+", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--namespace", default="netbox")
    args = parser.parse_args(argv)
    try:
        {"layout": layout, "clean": clean, "secret": secret}[args.command](args)
    except LayoutError as e:
        print(f"kubelet_layout: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
