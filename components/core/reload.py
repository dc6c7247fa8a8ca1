"""Reloading a running service in place when only its files change.

A service's files reach it through its carriers (`components/core/hardening.py`: one for config
files, one for secret files): changed files replace their carrier (every `docker.Container` input
is ForceNew in the provider) and land in the volume the running service mounts read-only. This
module adds the second half: a pulumi-command resource, triggered by the files' digests (config
files and secret files apart, so a key rotation reloads as a rule change does), that asks the
running service to re-read them, after checking them with the tool the image carries:

1. wait until Docker reports the container `running` and `healthy` (a SIGHUP that arrives before
   the service has installed its handler would stop it, e.g. right after a replacement);
2. validate the files inside the container (`docker exec`, as the service's own user): the
   running configuration is untouched when they are bad, because no signal is sent;
3. send the reload signal to the container's main process from inside it (`docker exec <c> sh -c
   'kill -HUP 1'`, as the service's own user), never with `docker kill --signal`: Docker marks a
   container it signalled that way as stopped by hand, and `unless-stopped` then never restarts
   it after a later crash (moby/moby#41302); wait for the outcome the service reports; a failed
   or missing outcome exits non-zero, which fails `pulumi up`.

The command text holds no secret (container name, file paths, fixed log phrases) and its output is
the validators' and this script's own messages; the triggers are the digests, which reveal no
secret (`hardening.files_digest` over config files, `hardening.secrets_hmac` keyed over secret ones).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

import pulumi
import pulumi_command as command

from components.core.settings import SecretValue

HEALTHY_TIMEOUT_SECONDS = 120
OUTCOME_TIMEOUT_SECONDS = 30
STATE_FORMAT = shlex.quote("{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}")


class HostView(Protocol):
    """What locating a Docker host takes (the stack's settings as one host sees them)."""

    @property
    def docker_host(self) -> str: ...

    @property
    def ssh_private_key(self) -> SecretValue | None: ...

    @property
    def ssh_host_key(self) -> str: ...


@dataclass(frozen=True)
class DockerAccess:
    """Where `docker` commands about the stack's containers run: on this machine against
    `dockerHost`, or on the Docker host itself over SSH (as the firewall commands do)."""

    docker_host: str
    ssh_private_key: SecretValue | None = None
    ssh_host_key: str = ""  # "<type> <base64>": the only key an ssh:// host may present

    @property
    def is_remote(self) -> bool:
        return self.docker_host.startswith("ssh://")

    @classmethod
    def of(cls, host: HostView) -> DockerAccess:
        return cls(host.docker_host, host.ssh_private_key, host.ssh_host_key)

    @property
    def ssh_options(self) -> list[str]:
        """The `sshOpts` of the docker provider for an ssh:// host (none otherwise). Its ssh:// runs the
        system `ssh` (docker's connection helper), which would trust the deploying user's known_hosts
        and ask on an unknown key: these options accept exactly the pinned key and nothing from a file.
        The client key comes from the deploying user's ssh-agent or ~/.ssh (the provider takes none)."""
        if not self.is_remote:
            return []
        if not self.ssh_host_key:  # settings reject this; kept for the type checker
            raise ValueError("promshield:sshHostKey is required with an ssh:// dockerHost")
        target = urlparse(self.docker_host)
        port = target.port or 22
        known = target.hostname if port == 22 else f"[{target.hostname}]:{port}"
        kind = self.ssh_host_key.split()[0]
        algorithms = "rsa-sha2-512,rsa-sha2-256" if kind == "ssh-rsa" else kind
        return [
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", f"KnownHostsCommand=/bin/echo {known} {self.ssh_host_key}",
            "-o", f"HostKeyAlgorithms={algorithms}",
            "-o", "BatchMode=yes",
        ]  # fmt: skip

    def command(self, name: str, lifecycle: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        """A `remote.Command` over SSH for an ssh:// host, else a `local.Command`."""
        if self.is_remote:
            if self.ssh_private_key is None:  # settings reject this; kept for the type checker
                raise ValueError("promshield:sshPrivateKey is required with an ssh:// dockerHost")
            if not self.ssh_host_key:  # without it pulumi-command accepts any host key (InsecureIgnoreHostKey)
                raise ValueError("promshield:sshHostKey is required with an ssh:// dockerHost")
            target = urlparse(self.docker_host)
            connection = command.remote.ConnectionArgs(
                host=target.hostname or "",
                port=target.port or 22,
                user=target.username or "root",
                private_key=pulumi.Output.secret(self.ssh_private_key.reveal()),
                host_key=self.ssh_host_key,
            )
            return command.remote.Command(
                name, connection=connection, logging=command.remote.Logging.STDOUT_AND_STDERR, opts=opts, **lifecycle
            )
        return command.local.Command(name, logging=command.local.Logging.STDOUT_AND_STDERR, opts=opts, **lifecycle)

    @property
    def environment(self) -> dict[str, str]:
        """The docker CLI's target: the engine the provider deploys to. Over SSH the command runs
        on the Docker host, whose CLI uses its own default socket."""
        return {} if self.is_remote else {"DOCKER_HOST": self.docker_host}


@dataclass(frozen=True)
class ReloadPlan:
    """How one service re-reads its files: the checks its image carries, the signal, and the
    outcome it reports (a log phrase for success and one for failure, or for NGINX: new workers)."""

    validate: Sequence[Sequence[str]]  # argv lists run inside the container before the signal
    failure_log: str  # the service logs this when the new files were refused (it keeps the old config)
    prepare: Sequence[Sequence[str]] = ()  # argv lists run inside the container after validation, before it
    success_log: str | None = None  # the service logs this when the reload worked
    workers: str | None = None  # or: the processes whose args end with this are all new after a reload
    signal: str = "HUP"


def reload_script(container: str, plan: ReloadPlan) -> str:
    """The POSIX shell script the reload command runs (every value quoted)."""
    if not plan.failure_log or (plan.success_log is None) == (plan.workers is None):
        raise ValueError("a reload plan reports its outcome by exactly one of success_log or workers")
    c = shlex.quote(container)
    checks = "\n".join(
        f"docker exec {c} {shlex.join(argv)} >&2 || fail 'new files are invalid ({shlex.quote(argv[0])}); "
        "not reloaded: the service keeps running its current configuration'"
        for argv in plan.validate
    )
    checks += "".join(
        f"\ndocker exec {c} {shlex.join(argv)} >&2 || fail 'could not prepare the reload ({shlex.quote(argv[0])})'"
        for argv in plan.prepare
    )
    if plan.workers is not None:
        workers = shlex.quote(plan.workers)
        before = "old=$(workers)\n"
        # Done when every accepting worker is new: a retiring one is retitled "... is shutting down"
        # and has closed its listeners, so from then on every new connection gets the new config.
        outcome = (
            "  now=$(workers); renewed=${now:+yes}\n"
            '  for pid in $now; do case " $old " in *" $pid "*) renewed="" ;; esac; done\n'
            '  [ -z "$renewed" ] || done_ok'
        )
        helpers = (
            f"workers() {{ docker top {c} -o pid,args | awk -v w={workers} "
            "'substr($0, length($0) - length(w) + 1) == w {print $1}' | tr '\\n' ' '; }\n"
        )
    else:
        before, helpers = "", ""
        outcome = f'  case "$logs" in *{shlex.quote(plan.success_log or "")}*) done_ok ;; esac'
    return f"""set -eu
# promshield: reload {container} in place (components/core/reload.py)
fail() {{ echo "promshield: {container}: $1" >&2; exit 1; }}
done_ok() {{ echo "promshield: {container}: reloaded"; exit 0; }}
{helpers}i=0
while :; do
  state=$(docker inspect -f {STATE_FORMAT} {c}) || fail 'no such container'
  case "$state" in
    "running healthy") break ;;
    "running "*) ;;
    *) fail "container is $state: not reloaded" ;;
  esac
  i=$((i + 1))
  [ "$i" -lt {HEALTHY_TIMEOUT_SECONDS} ] || fail "not healthy after {HEALTHY_TIMEOUT_SECONDS} s ($state): not reloaded"
  sleep 1
done
{checks}
{before}since=$(docker info --format '{{{{.SystemTime}}}}')
docker exec {c} sh -c {shlex.quote(f"kill -{plan.signal} 1")} >&2 || fail 'could not signal the service: not reloaded'
i=0
while :; do
  logs=$(docker logs --since "$since" {c} 2>&1)
  case "$logs" in *{shlex.quote(plan.failure_log)}*) fail 'the reload failed (see docker logs): it keeps its \
previous configuration in memory, the files on disk are the new ones' ;; esac
{outcome}
  i=$((i + 1))
  [ "$i" -lt {OUTCOME_TIMEOUT_SECONDS * 2} ] || fail 'no reload outcome after {OUTCOME_TIMEOUT_SECONDS} s'
  sleep 0.5
done
"""


def reload_command(
    name: str,
    *,
    container: str,
    plan: ReloadPlan,
    digests: Sequence[pulumi.Input[str]],
    docker: DockerAccess,
    opts: pulumi.ResourceOptions,
) -> pulumi.CustomResource:
    """The command that reloads `container` whenever one of `digests` (its files) changes.

    `update` is the same script as `create`, so a changed trigger runs it against the running
    container instead of replacing anything; `delete` is absent (nothing to undo).
    """
    script = reload_script(container, plan)
    lifecycle: dict[str, Any] = {"create": script, "update": script, "triggers": list(digests)}
    if docker.environment:
        lifecycle["environment"] = docker.environment
    return docker.command(name, lifecycle, opts)
