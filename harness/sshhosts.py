"""SSH servers on the multi-host suite's Docker hosts, so the real `pulumi up` reaches them as it
would reach a user's machines: `ssh://deploy@<address>`.

Each host namespace runs its own OpenSSH server (Debian's `openssh-server`, `sshd -D -f <its config>`)
on the host's LAN address, with its own ed25519 host key, for one user, `deploy`:

- key-only: `AuthenticationMethods publickey`, no password or keyboard-interactive, no root login,
  `AllowUsers deploy`, one authorized key (`restrict`: no forwarding, no pty);
- that host's Docker: the sessions get `DOCKER_HOST` of that host's engine (`SetEnv`: every host
  namespace shares this machine's filesystem, so the socket path tells the engines apart), and `deploy`
  is in the `docker` group the engines' sockets belong to (what `docker system dial-stdio`, which the
  docker provider's ssh:// runs, needs);
- the firewall: `sudo -n sh -c <script>` as root (the program's `firewallSudo`), nothing else.

The user exists only inside the host namespaces: `ip netns exec` binds `/etc/netns/<ns>/passwd`,
`group` and `sudoers` over `/etc/` (the machine's own lines plus `deploy`), so nothing is added to
this machine's accounts. The deploying side (`Deployer`) holds the private key in an `ssh-agent` of
its own (the docker provider runs the system `ssh`, which takes its key from an agent or ~/.ssh; the
stack also gets the key as the Pulumi secret `sshPrivateKey`, for the remote commands).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess  # nosec B404 - the harness drives system tools on purpose
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import netns as nx

SSHD = "/usr/sbin/sshd"
DEPLOY_USER = "deploy"
DEPLOY_UID = 64910  # beside the harness's TEST_UID; never the stack's 65534
DOCKER_GROUP = "docker"  # the engines' sockets are root:docker 0660 (dockerd's default --group)
PRIVSEP_DIR = Path("/run/sshd")  # sshd's privilege-separation directory (Debian's runtime dir)
SSH_PORT = 22


def _keygen(path: Path, comment: str) -> str:
    """A new ed25519 key pair at `path` (private, 0600) and `path`.pub; the public key, "<type> <base64>"."""
    for old in (path, path.with_name(path.name + ".pub")):
        old.unlink(missing_ok=True)
    argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    nx.run(argv, check=True)
    kind, body, *_ = path.with_name(path.name + ".pub").read_text().split()
    return f"{kind} {body}"


@dataclass
class SshHost:
    name: str
    address: str
    netns: str
    engine_host: str  # DOCKER_HOST of its engine (unix:///run/promshield-<prefix><n>/docker.sock)
    directory: Path
    log: Path
    host_key: str = ""  # its public host key, "<type> <base64>": what the stack pins
    process: subprocess.Popen[bytes] | None = None

    @property
    def docker_host(self) -> str:
        return f"ssh://{DEPLOY_USER}@{self.address}"


@dataclass
class SshHosts:
    """One sshd per host namespace, the deploy user's key pair, and the per-namespace accounts."""

    root: Path  # root-owned, 0755 (sshd's StrictModes checks every directory up to the authorized keys)
    hosts: list[SshHost] = field(default_factory=list)
    deploy_public: str = ""

    @property
    def deploy_key(self) -> Path:
        return self.root / "deploy" / "id_ed25519"

    @classmethod
    def create(cls, root: Path, hosts: Mapping[str, tuple[str, str, str]], logs: Path) -> SshHosts:
        """Keys and configs for `hosts`: {name: (LAN address, netns, engine DOCKER_HOST)}; each sshd
        logs to `logs/sshd-<name>.log`."""
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True, mode=0o755)
        root.chmod(0o755)
        made = cls(root)
        (root / "deploy").mkdir(mode=0o700)
        made.deploy_public = _keygen(made.deploy_key, "promshield acceptance deploy")
        authorized = root / "authorized_keys"
        authorized.mkdir(mode=0o755)
        (authorized / DEPLOY_USER).write_text(f"restrict {made.deploy_public}\n")
        (authorized / DEPLOY_USER).chmod(0o644)
        for name, (address, netns, engine_host) in hosts.items():
            directory = root / name
            directory.mkdir(mode=0o755)
            host = SshHost(name, address, netns, engine_host, directory, logs / f"sshd-{name}.log")
            host.host_key = _keygen(directory / "ssh_host_ed25519_key", f"promshield acceptance host {name}")
            (directory / "sshd_config").write_text(made._config(host))
            made.hosts.append(host)
        return made

    def _config(self, host: SshHost) -> str:
        return "\n".join(
            [
                f"ListenAddress {host.address}:{SSH_PORT}",
                f"HostKey {host.directory / 'ssh_host_ed25519_key'}",
                "PidFile none",
                f"AuthorizedKeysFile {self.root / 'authorized_keys' / '%u'}",
                "AuthenticationMethods publickey",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin no",
                f"AllowUsers {DEPLOY_USER}",
                "UsePAM no",
                "StrictModes yes",
                "X11Forwarding no",
                "AllowTcpForwarding no",
                "AllowAgentForwarding no",
                # Its engine, for `docker` in every session (dial-stdio, the reload commands).
                f"SetEnv DOCKER_HOST={host.engine_host}",
                # The docker provider opens one SSH connection per concurrent Docker API call.
                "MaxStartups 100:30:200",
                "MaxSessions 100",
                "LogLevel VERBOSE",
                "",
            ]
        )

    def _accounts(self, host: SshHost) -> None:
        """`deploy` (and its `docker` membership, its sudo rule) as that namespace sees /etc."""
        passwd = Path("/etc/passwd").read_text()
        passwd += f"{DEPLOY_USER}:*:{DEPLOY_UID}:{DEPLOY_UID}:promshield deploy:/nonexistent:/bin/sh\n"
        groups = []
        for line in Path("/etc/group").read_text().splitlines():
            name, password, gid, members = line.split(":", 3)
            if name == DOCKER_GROUP:
                members = ",".join(filter(None, [*members.split(","), DEPLOY_USER]))
            groups.append(f"{name}:{password}:{gid}:{members}")
        groups.append(f"{DEPLOY_USER}:x:{DEPLOY_UID}:")
        sudoers = Path("/etc/sudoers").read_text()
        sudoers += (
            "\n# promshield acceptance: the firewall commands (firewallSudo) of the stack's deploy user\n"
            f"{DEPLOY_USER} ALL=(root) NOPASSWD: /usr/bin/sh, /bin/sh\n"
        )
        nx.write_netns_etc(host.netns, "passwd", passwd)
        nx.write_netns_etc(host.netns, "group", "\n".join(groups) + "\n")
        nx.write_netns_etc(host.netns, "sudoers", sudoers)
        (nx.ETC_NETNS_DIR / host.netns / "sudoers").chmod(0o440)
        for name in ("passwd", "group"):
            (nx.ETC_NETNS_DIR / host.netns / name).chmod(0o644)

    def start(self, timeout: float = 20) -> None:
        """Every host's sshd, once its namespace exists; returns when each accepts connections."""
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        for host in self.hosts:
            self._accounts(host)
            config = str(host.directory / "sshd_config")
            nx.run(nx.exec_argv(host.netns, [SSHD, "-t", "-f", config]), check=True)
            with open(host.log, "wb") as log:  # this run's logins only
                host.process = subprocess.Popen(  # nosec B603 - our own argv, no shell
                    nx.exec_argv(host.netns, [SSHD, "-D", "-e", "-f", config]),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
        deadline = time.monotonic() + timeout
        for host in self.hosts:
            while not self._listening(host):
                if time.monotonic() > deadline or (host.process is not None and host.process.poll() is not None):
                    raise RuntimeError(f"sshd on {host.name} did not start; its log:\n{host.log.read_text()[-2000:]}")
                time.sleep(0.1)

    @staticmethod
    def _listening(host: SshHost) -> bool:
        with contextlib.suppress(OSError):
            nx.connect(host.netns, host.address, SSH_PORT, 1.0).close()
            return True
        return False

    def stop(self) -> None:
        for host in self.hosts:
            if host.process is not None and host.process.poll() is None:
                host.process.terminate()
                try:
                    host.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    host.process.kill()
            host.process = None

    def accepted(self, host: str) -> list[str]:
        """The lines of that host's sshd log recording an accepted login."""
        (found,) = [h for h in self.hosts if h.name == host]
        return [line for line in found.log.read_text(errors="replace").splitlines() if "Accepted publickey" in line]


@dataclass
class Deployer:
    """The deploying machine's ssh-agent, holding the deploy key (what the docker provider's ssh uses)."""

    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "agent.sock"

    @property
    def env(self) -> dict[str, str]:
        return {"SSH_AUTH_SOCK": str(self.socket)}

    def start(self, key: Path, netns: str, timeout: float = 10) -> None:
        """The agent runs in the deployer's namespace (a SIGKILLed run's successor removes that
        namespace's processes); its socket is a file, reachable from anywhere on this machine."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # nosec B603 - our own argv, no shell
            nx.exec_argv(netns, ["ssh-agent", "-D", "-a", str(self.socket)]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("ssh-agent did not create its socket")
            time.sleep(0.05)
        nx.run(["ssh-add", "-q", str(key)], check=True, env={**os.environ, **self.env})

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.process = None
        self.socket.unlink(missing_ok=True)
