"""The demo without a Docker of your own: a private Docker Engine and the real `pulumi up` of the dev stack.

    sudo make demo        # = .venv/bin/python -m tools.demo up
    sudo make demo-down   # = .venv/bin/python -m tools.demo down

`up` starts a dockerd of ours inside network namespace `dm-host` (the acceptance harness's engine, in
the background; stand-in images built from Debian's packages under the pinned names, since no image
registry is reachable), then runs the real Pulumi engine (the user's, or the one `make deps` built) on
the dev stack's settings (`Pulumi.dev.yaml`) with two changes: `dockerHost` is that engine's socket,
and `firewallSudo` is false when run as root. The state, its passphrase (0600) and the stack file live
in `build/demo/`; running `up` again changes nothing. Everything the dev stack publishes is on
127.0.0.1 *inside* `dm-host`: reach it with `ip netns exec dm-host ...` (the commands are printed).
`down` destroys the stack (the data volumes stay, as with `make down`) and stops the engine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess  # nosec B404
import sys
import time
from typing import Any

from harness import pulumi_engine
from harness.engine import Engine
from harness.engine import main as engine_main
from harness.paths import REPO_ROOT
from testing.stack_config import load_stack_config
from tools import cli

PREFIX = "dm"
NETNS = f"{PREFIX}-host"
STACK = "dev"
DEMO_DIR = REPO_ROOT / "build" / "demo"
ENGINE_LOG = DEMO_DIR / "engine.log"
PASSPHRASE_FILE = DEMO_DIR / "passphrase"
ENGINE_START_SECONDS = 900  # the first start builds the stand-in images


def _passphrase() -> str:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    if not PASSPHRASE_FILE.exists():
        PASSPHRASE_FILE.touch(mode=0o600)
        PASSPHRASE_FILE.write_text(secrets.token_urlsafe(32))
    PASSPHRASE_FILE.chmod(0o600)
    return PASSPHRASE_FILE.read_text().strip()


def _engine_host() -> str:
    """The demo engine's DOCKER_HOST: started in the background unless it already runs."""

    engine = Engine(prefix=PREFIX)
    if engine.lock_holder() is None:
        ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
        with ENGINE_LOG.open("wb") as log:
            subprocess.Popen(  # nosec B603 - our own module, fixed arguments
                [sys.executable, "-m", "harness.engine", "up", "--prefix", PREFIX],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        print(f"[demo] starting a private Docker Engine in namespace {NETNS} (log: {ENGINE_LOG})", flush=True)
    deadline = time.monotonic() + ENGINE_START_SECONDS
    while time.monotonic() < deadline:
        text = ENGINE_LOG.read_text(errors="replace") if ENGINE_LOG.exists() else ""
        if "DOCKER_HOST=" in text and engine.lock_holder() is not None:
            return engine.host
        if "Traceback" in text:
            raise SystemExit(f"[demo] the engine did not start:\n{text[-3000:]}")
        time.sleep(1)
    raise SystemExit(f"[demo] the engine did not start in {ENGINE_START_SECONDS}s; see {ENGINE_LOG}")


def _project() -> Any:

    return pulumi_engine.PulumiProject(NETNS, root=DEMO_DIR, passphrase=_passphrase())


def _dev_config(docker_host: str) -> dict[str, Any]:
    config = load_stack_config(STACK)
    config["dockerHost"] = docker_host
    if os.geteuid() == 0:
        config["firewallSudo"] = False
    return config


def up() -> int:
    from pulumi import automation as auto

    docker_host = _engine_host()
    project = _project()
    stack = project.stack(STACK, _dev_config(docker_host))
    print(f"[demo] pulumi up --stack {STACK} (policy pack enforced) into {docker_host}", flush=True)
    try:
        stack.up(policy_packs=[str(REPO_ROOT / "policy")], color="never", on_output=print)
    except auto.CommandError as error:
        print(f"[demo] pulumi up failed:\n{str(error)[-4000:]}", file=sys.stderr)
        return 1
    outputs = stack.outputs()
    ca = DEMO_DIR / "ca.crt"
    ca.write_text(str(outputs["ca_certificate"].value))
    shown = {k: v for k, v in project.env.items() if k.startswith("PULUMI_") and k != "PULUMI_CONFIG_PASSPHRASE"}
    env = " ".join(f"{k}={v}" for k, v in shown.items())
    print(
        "\n[demo] up. Everything is on 127.0.0.1 inside network namespace "
        f"{NETNS}:\n"
        "  Prometheus    https://127.0.0.1:9090/\n"
        "  Alertmanager  https://127.0.0.1:9093/\n"
        f"  CA certificate: {ca}\n"
        "  passwords:\n"
        f"    cd {project.work_dir} && PULUMI_CONFIG_PASSPHRASE_FILE={PASSPHRASE_FILE} {env} \\\n"
        f"      pulumi stack output passwords --show-secrets --stack {STACK}\n"
        "  try:\n"
        f"    ip netns exec {NETNS} curl --cacert {ca} -u read-only:<password> https://127.0.0.1:9090/api/v1/targets\n"
        f"  docker: docker -H {docker_host} ps\n"
        "  `make demo` again changes nothing; `make demo-down` destroys the stack and stops the engine."
    )
    return 0


def down() -> int:
    from pulumi import automation as auto

    if PASSPHRASE_FILE.exists() and (DEMO_DIR / "state").exists():
        project = _project()
        try:
            stack = auto.select_stack(STACK, work_dir=str(project.work_dir), opts=project.workspace_options())
            stack.destroy(color="never", on_output=print)
        except auto.CommandError as error:
            print(f"[demo] destroy: {str(error)[-2000:]}", file=sys.stderr)
    return engine_main(["down", "--prefix", PREFIX])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("[demo] needs root (a network namespace and a dockerd of its own): sudo make demo", file=sys.stderr)
        return 2
    return up() if args.action == "up" else down()


if __name__ == "__main__":
    sys.exit(cli.run(main))
