"""Bring the acceptance stack up by hand (the same one `make acceptance` attacks), to poke at it.

    sudo .venv/bin/python -m tools.acceptance up [--hold 600]
    sudo .venv/bin/python -m tools.acceptance cleanup     # what a killed run left behind

`up` runs the program under mocks for the `acceptance` stack, starts a dockerd of its own in
the Docker host namespace, applies the program's firewall rules, deploys every container the
program registers on that engine (harness), prints where everything is, and
keeps it up until Ctrl-C or --hold seconds (then tears it all down). The users' passwords go to
a 0600 file in the run directory, never to the terminal. Look at the engine with the printed
`DOCKER_HOST` (`docker -H unix://... ps`, `inspect`, `logs`), or try the proxy from the trusted
client's namespace, e.g.:

    ip netns exec pd-trusted curl --cacert build/acceptance/pd/files/ca.crt \\
        -u read-only:"$(sed -n 's/^read-only=//p' build/acceptance/pd/files/passwords)" \\
        https://198.19.0.1:9090/api/v1/targets
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from harness import LiveStack
from harness.paths import MULTI_HOST_PREFIX
from harness.stack import HOST_ADDRESS, PORTS, PREFIX, AcceptanceStack


def up(hold: float) -> int:

    with AcceptanceStack.start() as stack:
        passwords = stack.files_dir / "passwords"
        passwords.touch(mode=0o600)
        passwords.chmod(0o600)
        passwords.write_text("".join(f"{user}={password}\n" for user, password in stack.passwords.items()))
        print(
            f"stack up: prometheus https://{HOST_ADDRESS}:{PORTS['prometheus']}/  "
            f"alertmanager https://{HOST_ADDRESS}:{PORTS['alertmanager']}/"
        )
        print(f"  CA certificate: {stack.ca_file}")
        print(f"  passwords (0600): {passwords}")
        print(f"  clients: ip netns exec {PREFIX}-trusted ... / {PREFIX}-trusted2 / {PREFIX}-untrusted")
        print(f"  audit log: {stack.audit_file()}")
        print(f"DOCKER_HOST={stack.topo.engine.host}", flush=True)
        print(f"  e.g. docker -H {stack.topo.engine.host} ps; docker -H {stack.topo.engine.host} logs <container>")
        print(f"holding for up to {hold:.0f}s (Ctrl-C tears down)", flush=True)
        deadline = time.monotonic() + hold
        try:
            while time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            print("tearing down")
        finally:
            passwords.unlink(missing_ok=True)
    return 0


def cleanup() -> int:
    """What a killed run left: its dockerds (and what those engines made) and its namespaces, for the
    single-host stack and the multi-host one."""

    for prefix in (PREFIX, MULTI_HOST_PREFIX):
        LiveStack(prefix=prefix).cleanup_stale()
        print(f"removed what a killed {prefix} run left")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the acceptance stack and keep it up")
    start.add_argument("--hold", type=float, default=600.0, help="seconds to keep it up (default 600)")
    commands.add_parser("cleanup", help="remove namespaces and links a killed run left")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("the acceptance stack needs root (network namespaces, dockerd, iptables)", file=sys.stderr)
        return 1
    if args.command == "up":
        return up(args.hold)
    return cleanup()


if __name__ == "__main__":
    sys.exit(main())
