"""Local stand-ins for the pinned images, built from Debian packages (no registry is reachable).

One shared Debian bookworm rootfs (`mmdebstrap`, every package the stand-ins need) is imported
once as `promshield-standin-base:<key>`; each pinned reference of `components.core.catalog.DEFAULT_IMAGES`
is then a tiny `docker build` on top of it that recreates the real image's user, entrypoint,
command, workdir and the few files the stack relies on (see `README.md` here for what differs).

Caches, from slow to fast:

- the rootfs tar: `${XDG_CACHE_HOME:-~/.cache}/promshield/standins/<key>.tar` (outlives clones);
- the wheelhouse the python stand-in carries: `.../standins/wheels-<key>/`;
- the images in the engine's data root: reused while their `io.promshield.standin-key` label
  matches the recipe, rebuilt otherwise.

The key covers the recipe text and the candidate versions (`apt-cache policy`) of the Debian
packages, so a point release or an edited recipe rebuilds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import platform
import shutil
import subprocess  # nosec B404 - mmdebstrap, apt-cache and pip are driven on purpose
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.core import catalog
from components.duckdb.render import image_tag as duckdb_exporter_tag

from ..paths import REPO_ROOT, venv_dir

LABEL = "io.promshield.standin"
KEY_LABEL = "io.promshield.standin-key"
PACKAGES_LABEL = "io.promshield.standin-packages"
BASE_REPOSITORY = "promshield-standin-base"
SUITE = "bookworm"
EXPORTER_DIR = REPO_ROOT / "exporters" / "duckdb"
BUILD_TIMEOUT = 900  # seconds: a cold rootfs downloads ~150 MB of packages


class StandinError(RuntimeError):
    """A stand-in could not be built (the message says which step and why)."""


class UnknownStandinError(StandinError, LookupError):
    """No recipe for this image reference (only the pinned references have one)."""


def _log(message: str) -> None:
    print(f"[standins] {message}", file=sys.stderr, flush=True)


# --- the shared rootfs --------------------------------------------------------------------------
# Every Debian package any stand-in needs (one rootfs for all: one download, one import).
BASE_PACKAGES: tuple[str, ...] = (
    "prometheus",
    "prometheus-alertmanager",
    "prometheus-redis-exporter",
    "nginx",
    "libnginx-mod-http-js",
    "redis-server",
    "redis-tools",
    "python3",
    "python3-pip",
    "python-is-python3",
    "passwd",
    "ca-certificates",
    "curl",
    "netcat-openbsd",
)

# Trimmed at unpack time: docs, man pages, translations, bulky unused data (copyright files stay).
DPKG_OPTIONS: tuple[str, ...] = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
    # 220 MB of historic time-zone tables (a dependency of Debian's Prometheus web assets).
    "path-exclude=/usr/share/javascript/moment-timezone/data/unpacked/*",
)

# Before the packages install: the users the real images have at fixed ids (nginx 101:101, redis
# 999:999), so the packages' postinst `adduser --system` reuses them instead of picking ids that
# would collide with the images' (Debian's own users come from the dynamic 100-999 range).
ESSENTIAL_HOOK = (
    "printf 'nginx:x:101:101:nginx user:/nonexistent:/usr/sbin/nologin\\n"
    'redis:x:999:999::/var/lib/redis:/usr/sbin/nologin\\n\' >> "$1/etc/passwd" && '
    "printf 'nginx:x:101:\\nredis:x:999:\\n' >> \"$1/etc/group\""
)
# After: drop logs and caches mmdebstrap does not clean (apt lists/caches it removes itself).
CUSTOMIZE_HOOK = (
    'rm -rf "$1"/var/log/apt "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log '
    '"$1"/var/cache/debconf/*-old "$1"/usr/share/locale && '
    'find "$1"/usr/lib/python3* -name __pycache__ -prune -exec rm -rf {} +'
)


def cache_dir() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/promshield/standins` (per machine: a fresh clone reuses it)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "promshield" / "standins"


def _run(
    argv: list[str], *, timeout: float = 120, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # nosec B603
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else dict(env),
        cwd=cwd,
    )
    if result.returncode != 0:
        command = " ".join(argv[:3])
        output = f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        raise StandinError(f"{command} ... failed ({result.returncode}):\n{output}")
    return result


def debian_sources() -> list[str]:
    """The host's Debian mirrors for the suite, as one-line `deb URI SUITE COMPONENTS` entries.

    Read from /etc/apt/sources.list and sources.list.d (one-line and deb822 formats), keeping
    only `bookworm*` suites (third-party repositories are left out); deb.debian.org when none.
    """
    entries: list[str] = []
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or (path.suffix not in {".list", ".sources"} and path.name != "sources.list"):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in text.split("\n\n"):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if line.strip().startswith("#") or ":" not in line:
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
                if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
                    continue
                for uri in fields.get("uris", "").split():
                    for suite in fields.get("suites", "").split():
                        if suite.startswith(SUITE):
                            entries.append(f"deb {uri} {suite} {fields.get('components', 'main')}")
        else:
            for line in text.splitlines():
                words = line.split("#", 1)[0].split()
                one_line = len(words) >= 4 and words[0] == "deb" and not words[1].startswith("[")
                if one_line and words[2].startswith(SUITE):
                    entries.append(" ".join(words))
    return entries or [f"deb http://deb.debian.org/debian {SUITE} main"]


def candidate_versions(packages: Iterable[str]) -> dict[str, str]:
    """Each package's candidate version per the host's apt cache (`apt-get update` only if empty)."""
    names = list(packages)

    def policy() -> dict[str, str]:
        out = _run(["apt-cache", "policy", *names]).stdout
        versions: dict[str, str] = {}
        current = ""
        for line in out.splitlines():
            if line and not line[0].isspace() and line.rstrip().endswith(":"):
                current = line.rstrip()[:-1]
            elif line.strip().startswith("Candidate:") and current:
                versions[current] = line.split(":", 1)[1].strip()
        return versions

    versions = policy()
    if any(versions.get(name, "(none)") == "(none)" for name in names):
        _log("apt cache has no candidate for some packages: apt-get update")
        _run(["apt-get", "update", "-qq"], timeout=300, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        versions = policy()
    missing = [name for name in names if versions.get(name, "(none)") == "(none)"]
    if missing:
        raise StandinError(f"no Debian candidate for {missing} (apt sources: {debian_sources()})")
    return versions


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def rootfs_recipe() -> list[str]:
    """The mmdebstrap argv (without the output path): it is also the rootfs key's main input."""
    argv = ["mmdebstrap", "--variant=essential", "--mode=root", "--include=" + ",".join(BASE_PACKAGES)]
    argv += [f"--dpkgopt={option}" for option in DPKG_OPTIONS]
    argv += ['--aptopt=Acquire::Retries "3"']
    argv += [f"--essential-hook={ESSENTIAL_HOOK}", f"--customize-hook={CUSTOMIZE_HOOK}"]
    return argv


@dataclass(frozen=True)
class BaseRecipe:
    """The shared rootfs: its key, the mirrors it is built from, the versions it should hold."""

    key: str
    sources: tuple[str, ...]
    versions: Mapping[str, str]

    @property
    def tag(self) -> str:
        return f"{BASE_REPOSITORY}:{self.key}"

    @property
    def tar(self) -> Path:
        return cache_dir() / f"{self.key}.tar"

    def packages_label(self) -> str:
        return " ".join(f"{name}={version}" for name, version in sorted(self.versions.items()))


def base_recipe() -> BaseRecipe:
    sources = tuple(debian_sources())
    versions = candidate_versions(BASE_PACKAGES)
    key = _digest(*rootfs_recipe(), *sources, *(f"{name}={version}" for name, version in sorted(versions.items())))
    return BaseRecipe(key, sources, versions)


@contextlib.contextmanager
def _cache_lock(name: str) -> Iterator[None]:
    """One builder per cache entry across processes (a second one waits, then finds it cached)."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_rootfs(recipe: BaseRecipe) -> Path:
    """The rootfs tar for `recipe`, from the cache or built with mmdebstrap (root namespace).

    mmdebstrap must run where the mirrors are reachable: the caller's (root) network namespace.
    """
    with _cache_lock(recipe.key):
        if recipe.tar.exists():
            return recipe.tar
        if shutil.which("mmdebstrap") is None:
            raise StandinError("mmdebstrap is not installed (scripts/acceptance-deps.sh installs it)")
        partial = recipe.tar.with_name(f"{recipe.key}.partial-{os.getpid()}.tar")
        started = time.monotonic()
        _log(f"building rootfs {recipe.key} with mmdebstrap ({len(BASE_PACKAGES)} packages; a few minutes)")
        try:
            _run([*rootfs_recipe(), SUITE, str(partial), *recipe.sources], timeout=BUILD_TIMEOUT)
            partial.rename(recipe.tar)
        finally:
            partial.unlink(missing_ok=True)
        size = recipe.tar.stat().st_size / 1e6
        _log(f"rootfs {recipe.key}: {size:.0f} MB in {time.monotonic() - started:.1f}s -> {recipe.tar}")
        return recipe.tar


def _image_or_none(client: Any, reference: str) -> Any:
    import docker.errors

    try:
        return client.images.get(reference)
    except docker.errors.ImageNotFound:
        return None


def ensure_base(client: Any) -> BaseRecipe:
    """The shared base image in the engine (imported from the cached rootfs tar if missing)."""
    recipe = base_recipe()
    image = _image_or_none(client, recipe.tag)
    if image is not None and image.labels.get(KEY_LABEL) == recipe.key:
        return recipe
    tar = build_rootfs(recipe)
    started = time.monotonic()
    changes = [
        f"LABEL {LABEL}=true",
        f"LABEL {KEY_LABEL}={recipe.key}",
        f'LABEL {PACKAGES_LABEL}="{recipe.packages_label()}"',
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        'CMD ["/bin/sh"]',
    ]
    client.api.import_image_from_file(str(tar), repository=BASE_REPOSITORY, tag=recipe.key, changes=changes)
    _log(f"imported {recipe.tag} in {time.monotonic() - started:.1f}s")
    return recipe


# --- per-image recipes --------------------------------------------------------------------------
PROMTOOL_WRAPPER = r"""#!/bin/sh
# Stand-in /bin/promtool: Debian's promtool 2.42 has no `check healthy` (promtool 3.x does, and the
# stack's healthcheck uses it). `check healthy [--url=U] [--http.config.file=F]` is a GET of
# U/-/healthy with F's tls_config (ca_file, cert_file, key_file, server_name,
# insecure_skip_verify); every other subcommand goes to Debian's promtool unchanged.
set -eu
REAL=/usr/lib/promshield/promtool
if [ "${1:-}" != check ] || [ "${2:-}" != healthy ]; then exec "$REAL" "$@"; fi
shift 2
url=http://localhost:9090
config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url=*) url=${1#--url=} ;;
    --url) url=$2; shift ;;
    --http.config.file=*) config=${1#--http.config.file=} ;;
    --http.config.file) config=$2; shift ;;
    *) echo "promtool (stand-in): check healthy: unsupported argument $1" >&2; exit 3 ;;
  esac
  shift
done
url=${url%/}
set -- -fsS --max-time 10 -o /dev/null
if [ -n "$config" ]; then
  [ -r "$config" ] || { echo "promtool (stand-in): cannot read $config" >&2; exit 3; }
  value() {
    sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" "$config" | head -n 1 | sed "s/^[\"']//; s/[\"'][[:space:]]*\$//"
  }
  ca=$(value ca_file); cert=$(value cert_file); key=$(value key_file)
  name=$(value server_name); insecure=$(value insecure_skip_verify)
  [ -z "$ca" ] || set -- "$@" --cacert "$ca"
  [ -z "$cert" ] || set -- "$@" --cert "$cert"
  [ -z "$key" ] || set -- "$@" --key "$key"
  [ "$insecure" != true ] || set -- "$@" --insecure
  if [ -n "$name" ]; then  # verify the certificate for server_name, connect to the URL's host
    rest=${url#*://}; scheme=${url%%://*}; hostport=${rest%%/*}; path=${rest#"$hostport"}
    host=${hostport%:*}; port=${hostport##*:}
    [ "$port" != "$hostport" ] || { [ "$scheme" = https ] && port=443 || port=80; }
    set -- "$@" --connect-to "$name:$port:$host:$port"
    url="$scheme://$name:$port$path"
  fi
fi
if curl "$@" "$url/-/healthy"; then
  echo "Prometheus Server is Healthy."
  exit 0
fi
echo "promtool (stand-in): $url/-/healthy is not healthy" >&2
exit 1
"""

NGINX_ENTRYPOINT = """#!/bin/sh
# Stand-in /docker-entrypoint.sh: the real one first runs /docker-entrypoint.d/*.sh (template
# envsubst, IPv6 listen tweak, worker tuning) when the command is nginx, then `exec "$@"`. The
# stack ships a complete config of its own, so this one only execs the command.
set -e
exec "$@"
"""

# The unprivileged image's default config (pid and temp paths in /tmp, port 8080).
NGINX_CONF = """worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /tmp/nginx.pid;

events {
    worker_connections 1024;
}

http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
"""

NGINX_DEFAULT_SITE = """server {
    listen 8080;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
}
"""

REDIS_ENTRYPOINT = """#!/bin/sh
# Stand-in docker-entrypoint.sh of the redis image: the same argument rewrite (a first argument
# that is a flag or a *.conf file means `redis-server ...`), without the real one's chown of /data
# and gosu step-down to the redis user (the stack overrides the entrypoint with [] anyway).
set -e
if [ "${1#-}" != "${1:-}" ] || [ "${1%.conf}" != "${1:-}" ]; then set -- redis-server "$@"; fi
exec "$@"
"""

PIP_CONF = """# Builds run without network: pip installs from the wheelhouse this stand-in carries.
[global]
no-index = true
find-links = /wheels
"""


@dataclass(frozen=True)
class Recipe:
    """How one pinned reference is stood in for: a Dockerfile on the shared base, plus files."""

    reference: str
    packages: tuple[str, ...]  # the Debian packages that do the work (for the README / labels)
    dockerfile: str  # `{base}` is the shared base image's tag
    files: Mapping[str, str] = field(default_factory=dict)  # context name -> text (0755 if `#!`)
    # Extra build-context content made on the host (e.g. the wheelhouse): fills a directory and
    # returns the text its key depends on.
    prepare: Callable[[Path], str] | None = None
    notes: str = ""


def _wheel_platform_args() -> list[str]:
    machine = platform.machine()
    return [
        "--only-binary=:all:",
        "--implementation=cp",
        "--python-version=3.11",
        "--abi=cp311",
        *(f"--platform={tag}_{machine}" for tag in ("manylinux_2_28", "manylinux_2_17", "manylinux2014")),
    ]


def _prepare_wheels(context: Path) -> str:
    """Copy the DuckDB exporter's wheels (downloaded once, in the root namespace) to `context/wheels`."""
    requirements = (EXPORTER_DIR / "requirements.txt").read_text()
    key = _digest(requirements, *_wheel_platform_args())
    wheels = cache_dir() / f"wheels-{key}"
    with _cache_lock(f"wheels-{key}"):
        if not wheels.is_dir():
            started = time.monotonic()
            partial = wheels.with_name(f"{wheels.name}.partial-{os.getpid()}")
            shutil.rmtree(partial, ignore_errors=True)
            python = venv_dir() / "bin" / "python"
            try:
                _run(
                    [
                        str(python),
                        "-m",
                        "pip",
                        "download",
                        "-q",
                        "--disable-pip-version-check",
                        *_wheel_platform_args(),
                        "-r",
                        str(EXPORTER_DIR / "requirements.txt"),
                        "-d",
                        str(partial),
                    ],
                    timeout=600,
                )
                partial.rename(wheels)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
            _log(f"wheelhouse {wheels.name} downloaded in {time.monotonic() - started:.1f}s")
    shutil.copytree(wheels, context / "wheels")
    return key


# `make bench` only (no pinned image): Debian's Caddy, the proxy dockprom puts in front of Prometheus.
# Its own recipe, not a package of the shared rootfs: adding it there would change the rootfs key and
# rebuild every stand-in for every test run on the machine. The .deb is fetched once in the root
# namespace (`apt-get download`, cached beside the rootfs) and only its binary is unpacked: Caddy is
# one static Go binary (its other dependencies, certutil and media-types, serve what the bench does
# not use: installing a local CA, file-server MIME types).
CADDY_REFERENCE = "promshield-bench/caddy:debian"


def _prepare_caddy(context: Path) -> str:
    """Copy Debian's caddy .deb (downloaded once, in the root namespace) to `context/caddy.deb`."""
    version = candidate_versions(["caddy"])["caddy"]
    deb = cache_dir() / f"caddy_{version.replace(':', '%3a')}.deb"
    with _cache_lock(f"caddy-{version}"):
        if not deb.exists():
            with tempfile.TemporaryDirectory(prefix="caddy-", dir=cache_dir()) as tmp:
                _run(["apt-get", "download", "-qq", f"caddy={version}"], timeout=300, cwd=Path(tmp))
                found = sorted(Path(tmp).glob("caddy_*.deb"))
                if not found:
                    raise StandinError(f"apt-get download caddy={version} left no .deb")
                shutil.move(str(found[0]), deb)
            _log(f"downloaded {deb.name}")
    shutil.copy(deb, context / "caddy.deb")
    return f"caddy={version}"


CADDY_RECIPE = Recipe(
    CADDY_REFERENCE,
    (),
    """FROM {base}
COPY caddy.deb /tmp/caddy.deb
RUN dpkg-deb -x /tmp/caddy.deb /tmp/caddy && install -m 0755 /tmp/caddy/usr/bin/caddy /usr/bin/caddy \\
 && rm -rf /tmp/caddy /tmp/caddy.deb && /usr/bin/caddy version
ENV HOME=/tmp XDG_DATA_HOME=/tmp/caddy-data XDG_CONFIG_HOME=/tmp/caddy-config
USER 101
EXPOSE 8443
ENTRYPOINT ["/usr/bin/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
""",
    prepare=_prepare_caddy,
    notes="make bench only: Debian's caddy binary (the .deb unpacked on the shared base)",
)


def _recipes() -> dict[str, Recipe]:
    images = catalog.DEFAULT_IMAGES
    prometheus, alertmanager = catalog.PROMETHEUS, catalog.ALERTMANAGER
    recipes = [
        Recipe(
            images["prometheus"],
            ("prometheus",),
            f"""FROM {{base}}
RUN mkdir -p /usr/lib/promshield /etc/prometheus {prometheus.data_dir} \\
 && mv /usr/bin/promtool /usr/lib/promshield/promtool \\
 && chown -R 65534:65534 /etc/prometheus {prometheus.data_dir}
COPY promtool /usr/bin/promtool
USER nobody
EXPOSE 9090
VOLUME ["{prometheus.data_dir}"]
WORKDIR {prometheus.data_dir}
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path={prometheus.data_dir}"]
""",
            {"promtool": PROMTOOL_WRAPPER},
            notes="promtool: wrapper adds `check healthy`",
        ),
        Recipe(
            images["alertmanager"],
            ("prometheus-alertmanager",),
            f"""FROM {{base}}
RUN ln -s prometheus-alertmanager /usr/bin/alertmanager \\
 && mkdir -p /etc/alertmanager {alertmanager.data_dir} \\
 && cp /etc/prometheus/alertmanager.yml /etc/alertmanager/alertmanager.yml \\
 && chown -R 65534:65534 /etc/alertmanager {alertmanager.data_dir}
USER nobody
EXPOSE 9093
VOLUME ["{alertmanager.data_dir}"]
WORKDIR {alertmanager.data_dir}
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path={alertmanager.data_dir}"]
""",
        ),
        Recipe(
            images["proxy"],
            ("nginx", "libnginx-mod-http-js"),
            """FROM {base}
COPY docker-entrypoint.sh /docker-entrypoint.sh
COPY nginx.conf /etc/nginx/nginx.conf
COPY default.conf /etc/nginx/conf.d/default.conf
RUN rm -f /etc/nginx/sites-enabled/default \\
 && ln -sfn /usr/lib/nginx/modules /etc/nginx/modules \\
 && mkdir -p /docker-entrypoint.d /var/cache/nginx /var/log/nginx \\
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log \\
 && chown -R 101:0 /var/cache/nginx /etc/nginx && chmod -R g+w /var/cache/nginx /etc/nginx
STOPSIGNAL SIGQUIT
USER 101
EXPOSE 8080
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
""",
            {"docker-entrypoint.sh": NGINX_ENTRYPOINT, "nginx.conf": NGINX_CONF, "default.conf": NGINX_DEFAULT_SITE},
        ),
        Recipe(
            images["redis_exporter"],
            ("prometheus-redis-exporter", "netcat-openbsd"),
            """FROM {base}
RUN ln -s /usr/bin/prometheus-redis-exporter /redis_exporter
USER 59000:59000
EXPOSE 9121
ENTRYPOINT ["/redis_exporter"]
""",
        ),
        Recipe(
            images["demo_redis"],
            ("redis-server", "redis-tools"),
            f"""FROM {{base}}
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p {catalog.DEMO_REDIS.data_dir} && chown 999:999 {catalog.DEMO_REDIS.data_dir}
VOLUME {catalog.DEMO_REDIS.data_dir}
WORKDIR {catalog.DEMO_REDIS.data_dir}
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
""",
            {"docker-entrypoint.sh": REDIS_ENTRYPOINT},
        ),
        Recipe(
            images["duckdb_exporter_base"],
            ("python3", "python3-pip", "python-is-python3", "passwd"),
            """FROM {base}
COPY wheels/ /wheels/
COPY pip.conf /etc/pip.conf
# The python images' pip installs into /usr/local without complaint; Debian's refuses (PEP 668).
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
ENV LANG=C.UTF-8
CMD ["python3"]
""",
            {"pip.conf": PIP_CONF},
            prepare=_prepare_wheels,
        ),
    ]
    recipes.append(CADDY_RECIPE)
    return {recipe.reference: recipe for recipe in recipes}


RECIPES: dict[str, Recipe] = _recipes()


def _build(
    client: Any, tag: str, context: Path, labels: Mapping[str, str], buildargs: Mapping[str, str] | None = None
) -> Any:
    """`docker build` with no network at all (nothing may be fetched), raising with the log."""
    import docker.errors

    try:
        image, _logs = client.images.build(
            path=str(context),
            tag=tag,
            labels=dict(labels),
            buildargs=dict(buildargs or {}),
            rm=True,
            forcerm=True,
            pull=False,
            network_mode="none",
        )
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
        raise StandinError(f"docker build of {tag} failed: {exc}\n{log[-4000:]}") from exc
    return image


def _drop_replaced(client: Any, previous: Any) -> None:
    """Remove a stand-in a rebuild left untagged (it would only hold disk); in use -> kept."""
    import docker.errors

    if previous is None or previous.labels.get(LABEL) != "true":
        return
    with contextlib.suppress(docker.errors.APIError):
        if not client.images.get(previous.id).tags:
            client.images.remove(previous.id)


def _ensure_one(client: Any, recipe: Recipe, base: BaseRecipe, built: list[str] | None) -> str:
    with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
        context = Path(tmp)
        extra = recipe.prepare(context) if recipe.prepare is not None else ""
        dockerfile = recipe.dockerfile.format(base=base.tag)
        files = (f"{name}\0{text}" for name, text in sorted(recipe.files.items()))
        key = _digest(base.key, recipe.reference, dockerfile, *files, extra)
        image = _image_or_none(client, recipe.reference)
        if image is not None and image.labels.get(KEY_LABEL) == key:
            return str(image.id)
        (context / "Dockerfile").write_text(dockerfile)
        for name, text in recipe.files.items():
            (context / name).write_text(text)
            (context / name).chmod(0o755 if text.startswith("#!") else 0o644)
        started = time.monotonic()
        packages = " ".join(f"{name}={base.versions[name]}" for name in recipe.packages) or extra
        previous = image
        image = _build(client, recipe.reference, context, {LABEL: "true", KEY_LABEL: key, PACKAGES_LABEL: packages})
        _log(f"built {recipe.reference} ({packages}) in {time.monotonic() - started:.1f}s")
        _drop_replaced(client, previous)
        if built is not None:
            built.append(recipe.reference)
        return str(image.id)


def ensure_images(client: Any, references: Iterable[str], *, built: list[str] | None = None) -> dict[str, str]:
    """Make every reference exist in `client`'s engine; returns reference -> image id.

    Pinned references (`DEFAULT_IMAGES`) are built from their recipe when missing or stale; the
    DuckDB exporter's tag (`image_tag()`) is built from exporters/duckdb on its stand-in
    base. Raises `UnknownStandinError` for any other reference the engine does not already have.
    The references actually (re)built are appended to `built` when given.
    """
    wanted = list(dict.fromkeys(references))
    exporter = duckdb_exporter_tag()
    unknown = []
    for reference in wanted:
        if reference not in RECIPES and reference != exporter and _image_or_none(client, reference) is None:
            unknown.append(reference)
    if unknown:
        known = ", ".join([*sorted(RECIPES), exporter])
        names = ", ".join(map(repr, unknown))
        raise UnknownStandinError(f"no stand-in recipe for {names} (nothing can be pulled here); known: {known}")
    result: dict[str, str] = {}
    base: BaseRecipe | None = None
    started = time.monotonic()
    for reference in wanted:
        if reference in RECIPES:
            base = base or ensure_base(client)
            result[reference] = _ensure_one(client, RECIPES[reference], base, built)
        elif reference == exporter:
            build_duckdb_exporter(client, built=built)
            result[reference] = str(client.images.get(reference).id)
        else:
            result[reference] = str(client.images.get(reference).id)
    count = "?" if built is None else str(len(built))
    _log(f"{len(result)} image(s) ready in {time.monotonic() - started:.1f}s ({count} built so far)")
    return result


def build_duckdb_exporter(client: Any, *, built: list[str] | None = None) -> str:
    """Build the project's DuckDB exporter image (exporters/duckdb) on the python stand-in,
    offline, as the program would; returns its tag (`components.duckdb.render.image_tag()`).

    Reused while it exists and was built on the current python stand-in.
    """
    base_reference = catalog.DEFAULT_IMAGES["duckdb_exporter_base"]
    base_id = ensure_images(client, [base_reference], built=built)[base_reference]
    tag = duckdb_exporter_tag()
    image = _image_or_none(client, tag)
    if image is not None and image.labels.get(KEY_LABEL) == base_id:
        return tag
    started = time.monotonic()
    _build(client, tag, EXPORTER_DIR, {LABEL: "true", KEY_LABEL: base_id}, {"BASE_IMAGE": base_reference})
    _drop_replaced(client, image)
    _log(f"built {tag} in {time.monotonic() - started:.1f}s")
    if built is not None:
        built.append(tag)
    return tag


def describe() -> str:
    """A Markdown table of the recipes (reference -> packages/versions) for humans."""
    versions = candidate_versions(BASE_PACKAGES)
    out = io.StringIO()
    out.write("| pinned image | Debian package (version) | notes |\n|---|---|---|\n")
    for recipe in RECIPES.values():
        packages = ", ".join(f"{name} {versions[name]}" for name in recipe.packages) or "(own .deb)"
        out.write(f"| `{recipe.reference}` | {packages} | {recipe.notes} |\n")
    return out.getvalue()
