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

from components.core import catalog

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


EXPORTER_SOURCE_DIR = REPO_ROOT / "exporters" / "duckdb"
EXPORTER_APP_DIR = "/app"  # where the image's Dockerfile COPYs the exporter
EXPORTER_DEFAULT_CMD = ("--config", "/etc/duckdb-exporter/config.yml")


def _python_argv(command: Sequence[str], default_script: str | None) -> list[str]:
    """The venv's python stands in for the image's `python`.

    A command starting with `python`/`python3` runs as given (a script path in it must be in
    the container: an upload, or the exporter image's /app files); any other command is the
    flags of `default_script` (the exporter image's ENTRYPOINT ["python", "/app/exporter.py"]).
    """
    python = str(venv_dir() / "bin" / "python")
    argv = list(command)
    if argv and argv[0].rsplit("/", 1)[-1] in ("python", "python3", "python3.11"):
        return [python, *argv[1:]]
    if default_script is None:
        raise UnknownImageError(f"a python base image needs a `python ...` command, got {argv!r}")
    return [python, default_script, *argv]


def _duckdb_exporter(command: Sequence[str]) -> list[str]:
    return _python_argv(list(command) or list(EXPORTER_DEFAULT_CMD), f"{EXPORTER_APP_DIR}/exporter.py")


def _python_base(command: Sequence[str]) -> list[str]:
    return _python_argv(command, None)


def _exporter_image_files() -> dict[str, str]:
    """The image's COPY of the exporter sources: the repository's files, read-only at /app."""
    names = ("exporter.py", "make_demo_db.py", "demo_seed.sql")
    return {f"{EXPORTER_APP_DIR}/{name}": str(EXPORTER_SOURCE_DIR / name) for name in names}


def _python_dirs() -> list[str]:
    """The venv (python + site-packages) and the base interpreter behind it, read-only."""
    dirs = [str(venv_dir())]
    home = python_home()
    if home is not None and not str(home).startswith("/usr/"):
        dirs.append(str(home))
    return dirs


# The python images have `python` on PATH (/usr/local/bin): here the venv's bin stands in, so a
# container's own `python ...` commands (e.g. its healthcheck) find the same interpreter.
_PYTHON_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PATH": f"{venv_dir()}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
}

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
            _duckdb_exporter,
            ready_port=catalog.DUCKDB_EXPORTER.port,
            image_files=_exporter_image_files(),
            host_dirs=_python_dirs(),
            env=_PYTHON_ENV,
        ),
        ImageProfile(
            repository_of(images["duckdb_exporter_base"]),
            _python_base,
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
