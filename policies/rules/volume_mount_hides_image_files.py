"""volume-mount-hides-image-files: a volume mounted over a directory the image needs.

A volumeMount without subPath puts the volume's root over the whole directory: whatever
the image kept there is gone for the container (the "empty folder" problem). Only exact
paths are reported, cleaned as the kubelet and the runtime clean them
(`k8s.mounts.container_path`): a directory below one of them (`/etc/nginx/conf.d`) is
where images expect mounts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import pointer as jp
from ..k8s.mounts import (
    container_path,
    host_path,
    mounts_volume_root,
    named_files,
    volume_source,
    writable,
)
from ..k8s.podspec import ContainerView
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule


@dataclass(frozen=True)
class Hidden:
    """What a mount at the path hides, and where a volume may go instead (a directory
    images leave for mounts), when there is one such place. For a CA path, the bundle
    files TLS libraries read there: a volume supplying one of them is a whole bundle."""

    hides: str
    instead: str | None = None
    bundles: tuple[str, ...] = ()  # a CA path: the bundle files read there (relative)


# Directories the image's own software lives in: hiding one breaks the container whatever
# it runs. Left out, each for its reason: /tmp, /var/tmp, /run, /var/run (scratch space,
# empty in images and meant for volumes); /var/log (the logging-sidecar pattern mounts one
# there on purpose); /home, /root (a writable home for a read-only root filesystem);
# /data, /mnt, /srv (meant for data); /dev, /proc, /sys (the runtime's own mounts, and a
# node agent mounting the host's is intended); /app (an application's WORKDIR in some
# images, a mount for code in others: add it with `paths` where it is yours).
SYSTEM_PATHS: Mapping[str, Hidden] = {
    "/": Hidden("the whole image: the entrypoint, its shell and its libraries"),
    "/bin": Hidden("the image's executables (sh, the entrypoint's tools)"),
    "/sbin": Hidden("the image's system executables"),
    "/lib": Hidden("shared libraries and the dynamic loader: no dynamic program can start"),
    "/lib64": Hidden(
        "the 64-bit dynamic loader (ld-linux-x86-64.so.2): no dynamic program can start"
    ),
    "/usr": Hidden("every installed package's programs, libraries and data"),
    "/usr/bin": Hidden("the image's programs"),
    "/usr/sbin": Hidden("the image's system programs"),
    "/usr/lib": Hidden("shared libraries (and the loader on merged-/usr images)"),
    "/usr/lib64": Hidden("64-bit shared libraries"),
    "/usr/share": Hidden(
        "time zones (zoneinfo), locales and packages' data (Java jars, CA sources)"
    ),
    "/usr/local": Hidden(
        "what images install outside the package manager: the official "
        "python, node and ruby images' runtime"
    ),
    "/usr/local/bin": Hidden(
        "the entrypoint scripts and runtimes official images install "
        "there (docker-entrypoint.sh, python, node, helm)"
    ),
    "/usr/local/lib": Hidden(
        "the libraries and packages of runtimes installed under "
        "/usr/local (python's site-packages, node_modules)"
    ),
    "/etc": Hidden(
        "passwd and group (user lookup), nsswitch.conf, the CA bundle and "
        "every package's configuration"
    ),
    "/var": Hidden(
        "the state, cache and log directories programs expect to exist "
        "(/var/lib, /var/cache/nginx, /var/log/nginx)"
    ),
    "/var/lib": Hidden(
        "package databases and the state directories images prepare with "
        "their owners (/var/lib/nginx, /var/lib/apt)"
    ),
    "/opt": Hidden(
        "software installed outside the package manager: eclipse-temurin's JDK "
        "(/opt/java/openjdk), every Bitnami image's application (/opt/bitnami), "
        "conda (/opt/conda)"
    ),
}

# Well-known application paths whose files the program cannot start (or talk TLS) without.
# Left out, meant for mounts: /etc/nginx/conf.d, /usr/share/nginx/html (serving static
# files from a volume), /docker-entrypoint.d and /docker-entrypoint-initdb.d,
# /usr/local/tomcat/webapps, /etc/prometheus and /usr/local/etc/haproxy (their images keep
# nothing there but the file the volume replaces).
APPLICATION_PATHS: Mapping[str, Hidden] = {
    # The CA paths: `bundles` are the bundle files (relative to the path) that some
    # distribution's TLS libraries read there; a volume that supplies one by name (items,
    # a projected clusterTrustBundle) is a whole bundle mounted on purpose (trust-manager,
    # OpenShift's injected trusted CA bundle) and is not reported. Go's crypto/x509
    # root_linux.go `certFiles` lists the same names.
    "/etc/ssl": Hidden(
        "the CA bundle (certs/ca-certificates.crt, and cert.pem on Alpine) and openssl.cnf: "
        "TLS clients cannot verify any server",
        bundles=("certs/ca-certificates.crt", "cert.pem"),
    ),
    "/etc/ssl/certs": Hidden(
        "the CA bundle every TLS client reads on Debian, Ubuntu and Alpine "
        "(ca-certificates.crt; ca-bundle.crt on RHEL, UBI and Fedora, where /etc/ssl/certs "
        "links to /etc/pki/tls/certs): outgoing TLS fails with an unknown authority",
        bundles=("ca-certificates.crt", "ca-bundle.crt"),
    ),
    "/etc/pki": Hidden(
        "the CA trust store of RHEL, UBI and Fedora images (tls/certs/"
        "ca-bundle.crt, ca-trust): TLS clients cannot verify any server",
        bundles=("tls/certs/ca-bundle.crt", "ca-trust/extracted/pem/tls-ca-bundle.pem"),
    ),
    "/etc/pki/tls/certs": Hidden(
        "the CA bundle of RHEL, UBI and Fedora images "
        "(ca-bundle.crt): outgoing TLS fails with an unknown "
        "authority",
        bundles=("ca-bundle.crt",),
    ),
    "/etc/nginx": Hidden(
        "nginx.conf's includes (mime.types, conf.d, modules): nginx fails "
        "to start, or serves every file as application/octet-stream",
        "/etc/nginx/conf.d",
    ),
    "/etc/apache2": Hidden(
        "apache2.conf, envvars and the enabled modules and sites", "/etc/apache2/conf-enabled"
    ),
    "/etc/httpd": Hidden(
        "httpd.conf and conf.modules.d, which loads every module", "/etc/httpd/conf.d"
    ),
    "/usr/local/apache2/conf": Hidden(
        "httpd.conf's mime.types, magic and extra/ (the official httpd image)"
    ),
    "/usr/local/tomcat/conf": Hidden(
        "web.xml, catalina.properties and logging.properties "
        "beside server.xml: Tomcat does not start without them"
    ),
    "/usr/local/tomcat/lib": Hidden("Tomcat's own jars (catalina.jar, servlet-api.jar)"),
    "/usr/local/etc/php": Hidden(
        "conf.d's docker-php-ext-*.ini, which load the image's PHP extensions",
        "/usr/local/etc/php/conf.d",
    ),
}

HIDDEN_PATHS: Mapping[str, Hidden] = {**SYSTEM_PATHS, **APPLICATION_PATHS}
POLICY_PATH = Hidden("files the image keeps there (a path the policy names)")

# Linux paths: a Windows pod's mounts land elsewhere (C:\...), MakeAbsolutePath's other arm.
_WINDOWS = "windows"


def _watched(params: Mapping[str, Any]) -> dict[str, Hidden]:
    watched = {**HIDDEN_PATHS, **dict.fromkeys(params["paths"], POLICY_PATH)}
    for path in params["allowedPaths"]:
        watched.pop(path, None)
    return watched


def _volumes(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    volumes = spec.get("volumes")
    found: dict[str, Mapping[str, Any]] = {}
    for volume in volumes if isinstance(volumes, list) else ():
        if isinstance(volume, Mapping) and isinstance(volume.get("name"), str):
            found.setdefault(volume["name"], volume)  # validation refuses a repeated name
    return found


def _populated(ctx: Context, name: Any, volume: Mapping[str, Any], checked: ContainerView) -> bool:
    """An init container (another one) writes into the volume: the pod fills it itself,
    on purpose (tools copied in, or the image's own directory copied out for a read-only
    root filesystem), before the container starts."""
    for container in ctx.pod.containers:
        if container.field != "initContainers" or container.pointer == checked.pointer:
            continue
        mounts = container.data.get("volumeMounts")
        for mount in mounts if isinstance(mounts, list) else ():
            if isinstance(mount, Mapping) and mount.get("name") == name and writable(mount, volume):
                return True
    return False


def _ca_advice(path: str, hidden: Hidden, container: ContainerView) -> str:
    """Ways to add a CA that work at run time. /usr/local/share/ca-certificates and
    /etc/pki/ca-trust/source/anchors are read only by update-ca-certificates and
    update-ca-trust, which run when the image is built: a volume there adds nothing."""
    bundle = hidden.bundles[0]
    env = (
        "SSL_CERT_DIR at a directory of your CAs (Go adds it to the image's bundle; OpenSSL "
        "wants hashed names: openssl rehash)"
    )
    if container.field == "ephemeralContainers":
        return (
            "point SSL_CERT_FILE at a full bundle (the image's CAs and yours) mounted "
            f"elsewhere, or {env} (an ephemeral container may not use subPath)"
        )
    return (
        "mount a full bundle (the image's CAs and yours) over the image's file with subPath "
        f"(mountPath: {path}/{bundle}, subPath: {bundle.rsplit('/', 1)[-1]}), or point "
        f"SSL_CERT_FILE at such a bundle mounted elsewhere, or {env}; a volume holding a "
        f"whole bundle names the file in its items (path: {bundle}) and is not reported "
        "(/usr/local/share/ca-certificates and /etc/pki/ca-trust/source/anchors are read "
        "only when the image is built)"
    )


def _advice(path: str, hidden: Hidden, container: ContainerView) -> str:
    if hidden.bundles:
        return _ca_advice(path, hidden, container)
    base = path.rstrip("/")  # "" for the root
    subdirectory = hidden.instead or f"a subdirectory such as {base}/<dir>"
    if container.field == "ephemeralContainers":
        # ValidatePodEphemeralContainersUpdate (validateEphemeralContainers) forbids subPath
        # and subPathExpr on an ephemeral container's mounts.
        return f"mount it at {subdirectory} instead (an ephemeral container may not use subPath)"
    example = f"{base}/<file>"
    return (
        f"mount single files with subPath (mountPath: {example}, subPath: <file>), or "
        f"mount the volume at {subdirectory}"
    )


def check(ctx: Context) -> Iterator[Violation]:
    os = ctx.pod.spec.get("os")
    if isinstance(os, Mapping) and os.get("name") == _WINDOWS:
        return
    watched = _watched(ctx.params)
    volumes = _volumes(ctx.pod.spec)
    for container in (*ctx.pod.containers, *ctx.pod.ephemeral):
        mounts = container.data.get("volumeMounts")
        for i, mount in enumerate(mounts if isinstance(mounts, list) else ()):
            written = mount.get("mountPath") if isinstance(mount, Mapping) else None
            if not isinstance(written, str) or not written or not mounts_volume_root(mount):
                continue
            path = container_path(written)
            hidden = watched.get(path)
            name = mount.get("name")
            volume = volumes.get(name, {})
            if hidden is None or host_path(volume) == path:
                continue  # a hostPath of the same path: the node's copy, on purpose
            if _populated(ctx, name, volume, container):
                continue
            if not named_files(volume).isdisjoint(hidden.bundles):
                continue  # a whole CA bundle, mounted on purpose
            source = volume_source(volume)
            what = f'volume "{name}"' + (f" ({source})" if source else "")
            yield Violation(
                pointer=jp.child(container.pointer, "volumeMounts", i, "mountPath"),
                message=f"{ctx.ref.describe()}: {container.describe()} mounts {what} at "
                f"{written}, hiding the image's {path}: {hidden.hides}; "
                f"{_advice(path, hidden, container)}",
                container=container.name,
                container_at=container.pointer,
                evidence=(name, source),
            )


RULE = Rule(
    id="volume-mount-hides-image-files",
    summary="No volume mounted (without subPath) exactly over a directory the image keeps "
    "files in that the container needs: /, /etc, /usr, /bin, /lib, /var, /opt, ..., and "
    "well-known application paths such as /etc/nginx and /etc/ssl/certs.",
    why="A volumeMount without subPath puts the volume's root over the whole directory, "
    "whatever its type (configMap, secret, emptyDir, persistentVolumeClaim, projected): the "
    "files the image kept there are gone for the container. A ConfigMap at /etc hides "
    "/etc/passwd, one at /etc/nginx hides nginx.conf's mime.types, one at /etc/ssl/certs the "
    "CA bundle, and every TLS call fails. The path is the one the container sees: the API "
    "server accepts any non-empty mountPath without cleaning it "
    "(pkg/apis/core/validation ValidateVolumeMounts), the kubelet makes it absolute "
    "(pkg/kubelet/kubelet_pods.go makeMounts, pkg/volume/util MakeAbsolutePath: "
    'Clean("/" + path)) and the runtime cleans it, so /etc/ and /etc/. are /etc. Not '
    "reported: a hostPath volume of the same path (the node's own /etc/ssl/certs), a volume "
    "an init container writes into first (the pod fills it on purpose; configMap, secret, "
    "downwardAPI and projected volumes are always mounted read-only, so those never count), "
    "a volume at a CA path that names the bundle file read there in its items (or a "
    "projected clusterTrustBundle's path): a whole bundle, as trust-manager and OpenShift's "
    "injected CA bundle mount it (a configMap without items is reported: its keys are not "
    "in the manifest), and Windows pods. At a CA path the advice is a subPath over the "
    "bundle file, or SSL_CERT_FILE/SSL_CERT_DIR: /usr/local/share/ca-certificates and "
    "/etc/pki/ca-trust/source/anchors are read only by update-ca-certificates and "
    "update-ca-trust, when the image is built. Ephemeral containers are reported, and may "
    "not use subPath (validateEphemeralContainers).",
    remediation="Mount each file with subPath (mountPath: /etc/nginx/nginx.conf, subPath: "
    "nginx.conf), or mount the volume at a subdirectory meant for it (/etc/nginx/conf.d).",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          volumeMounts:
            - name: conf
              mountPath: /etc/nginx   # hides mime.types and conf.d: use subPath
      volumes:
        - name: conf
          configMap:
            name: nginx-conf
""",
    check=check,
    params=(
        Param(
            "paths",
            ParamType.MOUNT_PATHS,
            [],
            "more directories (absolute, clean) whose files images keep, reported like the "
            "built-in table's",
        ),
        Param(
            "allowedPaths",
            ParamType.MOUNT_PATHS,
            [],
            "directories of the built-in table not to report (absolute, clean)",
        ),
    ),
    # Corpus evidence (../shared/corpus, 5154 objects): 0 findings with this table. Its one
    # raw match, argo-cd's helm plugin example (an emptyDir at /usr/local/bin of a busybox
    # sidecar, filled by an init container), was a false positive: hence "populated by an
    # init container" is not reported. Also not reported, rightly: vitess' hostPath
    # /etc/ssl/certs at /etc/ssl/certs (the node's bundle). Probing the paths left out of
    # the table found 23 mounts (7 /usr/share/nginx/html, 6 /etc/config, /etc/prometheus,
    # /etc/grafana, /app, ...): all intended, which is why they are left out. Harm of a
    # true finding is high (no start, no TLS), but only the image shows whether the
    # directory held anything: warn, not enforce.
    default_mode=Mode.WARN,
)
