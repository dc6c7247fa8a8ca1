"""How each pinned image is stood in for by a Debian package on this machine.

A profile knows the image's ENTRYPOINT semantics (how the container's `command` becomes an
argv), its WORKDIR, the port the service listens on by default (for readiness), and the few
files the image itself ships that a config may rely on.

Version skew to keep in mind: Debian's servers are older than the pinned images
(prometheus 2.42 vs 3.x, alertmanager 0.25 vs 0.28, redis_exporter 1.45 vs 1.74,
redis 7.0 vs 7.4, nginx 1.22 vs 1.28): flags and config keys that only the newer versions
know will fail here, loudly, in the container's log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from components import catalog

from .paths import REPO_ROOT, python_home, venv_dir

Entrypoint = Callable[[Sequence[str]], list[str]]


class UnknownImageError(LookupError):
    """The harness has no Debian stand-in for this image."""


@dataclass(frozen=True)
class ImageProfile:
    repository: str
    entrypoint: Entrypoint
    workdir: str = "/"
    ready_port: int | None = None
    # Files the image ships, by container path -> host path (bound read-only).
    image_files: Mapping[str, str] = field(default_factory=dict)
    # Symlinks the image ships, by container path -> target.
    image_symlinks: Mapping[str, str] = field(default_factory=dict)
    # Host directories made visible read-only at the same path (e.g. the venv).
    host_dirs: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)


def repository_of(image: str) -> str:
    """`docker.io/library/redis:7.4@sha256:...` -> `redis`; `prom/prometheus:v3` -> `prom/prometheus`."""
    name = image.split("@", 1)[0]
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    for registry in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(registry):
            name = name[len(registry) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name


def _binary_with_flags(binary: str, default_flags: Sequence[str] = ()) -> Entrypoint:
    """ENTRYPOINT ["/bin/<binary>"], CMD = default flags: the command is the flags."""

    def entrypoint(command: Sequence[str]) -> list[str]:
        return [binary, *(command or default_flags)]

    return entrypoint


def _nginx(command: Sequence[str]) -> list[str]:
    """nginx images: CMD ["nginx", "-g", "daemon off;"]; the image's prefix is /etc/nginx."""
    argv = list(command) or ["nginx", "-g", "daemon off;"]
    if argv[0] not in ("nginx", "nginx-debug", "/usr/sbin/nginx"):
        return argv  # the image's entrypoint execs anything else as is
    rest = argv[1:]
    prefix = [] if "-p" in rest else ["-p", "/etc/nginx/"]
    return ["/usr/sbin/nginx", *prefix, *rest]


def _redis(command: Sequence[str]) -> list[str]:
    """redis images: a first argument that is a flag or a .conf file means `redis-server ...`."""
    argv = list(command) or ["redis-server"]
    if argv[0].startswith("-") or argv[0].endswith(".conf"):
        argv = ["redis-server", *argv]
    if argv[0] in ("redis-server", "/usr/local/bin/redis-server"):
        return ["/usr/bin/redis-server", *argv[1:]]
    return argv


def exporter_script() -> str:
    return str(REPO_ROOT / "files" / "duckdb_exporter" / "exporter.py")


def _python(command: Sequence[str]) -> list[str]:
    """Our DuckDB exporter: the venv's python runs the repository's exporter.

    `command` is either the exporter's flags (the built image's ENTRYPOINT runs the exporter)
    or starts with `python`/`python3` (a python base image running an uploaded script).
    """
    python = str(venv_dir() / "bin" / "python")
    argv = list(command)
    if argv and argv[0].rsplit("/", 1)[-1] in ("python", "python3", "python3.11"):
        return [python, *argv[1:]]
    return [python, exporter_script(), *argv]


def _python_dirs() -> list[str]:
    dirs = [str(venv_dir()), str(REPO_ROOT / "files" / "duckdb_exporter")]
    home = python_home()
    if home is not None and not str(home).startswith("/usr/"):
        dirs.append(str(home))
    return dirs


_PYTHON_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}

_NGINX_FILES = {f"/etc/nginx/{name}": f"/etc/nginx/{name}" for name in ("mime.types", "fastcgi_params", "scgi_params", "uwsgi_params")}


def _profiles() -> dict[str, ImageProfile]:
    images = catalog.DEFAULT_IMAGES
    profiles = [
        ImageProfile(
            repository_of(images["prometheus"]),
            _binary_with_flags(
                "/usr/bin/prometheus",
                ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
            ),
            workdir=catalog.PROMETHEUS.data_dir,
            ready_port=catalog.PROMETHEUS.port,
        ),
        ImageProfile(
            repository_of(images["alertmanager"]),
            _binary_with_flags(
                "/usr/bin/prometheus-alertmanager",
                ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
            ),
            workdir=catalog.ALERTMANAGER.data_dir,
            ready_port=catalog.ALERTMANAGER.port,
        ),
        ImageProfile(
            repository_of(images["redis_exporter"]),
            _binary_with_flags("/usr/bin/prometheus-redis-exporter"),
            ready_port=catalog.REDIS_EXPORTER.port,
            image_symlinks={"/redis_exporter": "/usr/bin/prometheus-redis-exporter"},
        ),
        ImageProfile(
            repository_of(images["proxy"]),
            _nginx,
            ready_port=None,  # the published ports' internal side
            image_files=_NGINX_FILES,
            image_symlinks={
                "/etc/nginx/modules": "/usr/lib/nginx/modules",
                "/var/log/nginx/access.log": "/dev/stdout",
                "/var/log/nginx/error.log": "/dev/stderr",
            },
        ),
        ImageProfile(
            repository_of(images["demo_redis"]),
            _redis,
            workdir=catalog.DEMO_REDIS.data_dir,
            ready_port=catalog.DEMO_REDIS.port,
        ),
        ImageProfile(
            "promshield/duckdb-exporter",
            _python,
            ready_port=catalog.DUCKDB_EXPORTER.port,
            host_dirs=_python_dirs(),
            env=_PYTHON_ENV,
        ),
        ImageProfile(
            repository_of(images["duckdb_exporter_base"]),
            _python,
            ready_port=catalog.DUCKDB_EXPORTER.port,
            host_dirs=_python_dirs(),
            env=_PYTHON_ENV,
        ),
    ]
    return {profile.repository: profile for profile in profiles}


PROFILES: dict[str, ImageProfile] = _profiles()


def profile_for(image: str) -> ImageProfile:
    repository = repository_of(image)
    try:
        return PROFILES[repository]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownImageError(f"image {image!r} (repository {repository!r}) has no Debian stand-in; known: {known}") from None


def argv_for(image: str, command: Sequence[str]) -> list[str]:
    """The argv the stand-in runs for a container of `image` with `command`."""
    return profile_for(image).entrypoint(command)
