"""The real Pulumi engine, driven through the Automation API, deploying into a harness engine.

`PulumiProject` is a throw-away copy of the project's entry points (links to `__main__.py`,
`components/`, `exporters/`, `policy/`, `.venv`; its own `Pulumi.yaml` copy) with a file backend and
a passphrase of its own in a temporary folder, so the state, the stack files and the secrets never
touch the checkout. Every `pulumi` the Automation API starts runs inside the Docker host's network
namespace (a two-line wrapper around the real CLI: `nsenter --net=<namespace> pulumi "$@"`), so
the program's `command:local` firewall scripts act on that namespace's `DOCKER-USER` chain, exactly
as they would on a user's Docker host. The CLI and its plugins are the ones `toolchain/build.sh`
built (`.pulumi-bin`, `.pulumi-home`), or the user's own when `pulumi` is on PATH.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import ssl
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from pulumi import automation as auto

from components.core import catalog
from components.core.catalog import PROJECT
from components.stack.keys import SECRET_KEYS
from testing import mock_stack

from .netns import in_netns
from .paths import REPO_ROOT, venv_dir

PROJECT_ENTRIES = ("__main__.py", "components", "exporters", "policy", "requirements.txt")


class ToolchainMissing(RuntimeError):
    """No Pulumi CLI: neither on PATH nor built by `make deps` (toolchain/build.sh)."""


def toolchain_bin() -> Path:
    """The folder holding `pulumi` and its language host: the project's build, else PATH's."""
    built = REPO_ROOT / ".pulumi-bin"
    if (built / "pulumi").exists():
        return built.resolve()
    found = shutil.which("pulumi")
    if found:
        return Path(found).resolve().parent
    raise ToolchainMissing("no pulumi CLI: run `make deps` (it builds one into .pulumi-bin) or install Pulumi")


def toolchain_env() -> dict[str, str]:
    """What every Pulumi command here runs with: the toolchain and venv first on PATH, the
    project-local plugin home, no update check, no plugin download."""
    path = os.pathsep.join([str(toolchain_bin()), str(venv_dir() / "bin"), os.environ.get("PATH", "")])
    env = {
        "PATH": path,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    }
    home = REPO_ROOT / ".pulumi-home"
    if home.is_dir():
        env["PULUMI_HOME"] = str(home)
    return env


def secret_config(value: Any) -> auto.ConfigValue:
    return auto.ConfigValue(value if isinstance(value, str) else json.dumps(value), secret=True)


@dataclass
class PulumiProject:
    """The project in a temporary folder with its own file backend; `stack()` selects or makes one."""

    netns: str | None  # the Docker host namespace every `pulumi` runs in (None: this one)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="promshield-pulumi-")))
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Where the program comes from: the checkout, or another tree of it (an older commit, `switch_source`).
    source: Path = REPO_ROOT
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. SSH_AUTH_SOCK for ssh:// hosts

    def __post_init__(self) -> None:
        self.work_dir = self.root / "project"
        self.state_dir = self.root / "state"
        self.cli_dir = self.root / "cli"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(exist_ok=True)
        self.switch_source(self.source)
        self._write_cli_wrapper()

    def switch_source(self, source: Path, project_yaml: Mapping[str, Any] | None = None, *, copy: bool = False) -> None:
        """Point the project at the program in `source` (its entry points and `Pulumi.yaml`, or
        `project_yaml` instead), keeping the state, the stack files and the passphrase: the next
        operation runs that program against the same stack, as a user's `git pull` then `pulumi up`.

        `copy`: the entry points are copied into the project folder instead of linked, so the program
        sees one path whichever code it is (it resolves its own files' paths, e.g. the DuckDB
        exporter's build context): an upgrade in place, as a user's checkout is."""
        self.source = source
        for entry in PROJECT_ENTRIES:
            target = self.work_dir / entry
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
            if not (source / entry).exists():
                continue
            if not copy:
                target.symlink_to(source / entry)
            elif (source / entry).is_dir():
                shutil.copytree(source / entry, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source / entry, target)
        venv = self.work_dir / ".venv"  # where a copied policy pack looks for its virtualenv (../.venv)
        if copy and not venv.is_symlink():
            venv.symlink_to(venv_dir())
        if project_yaml is None:
            project_yaml = yaml.safe_load((source / "Pulumi.yaml").read_text())
        project = dict(project_yaml)
        project["runtime"]["options"]["virtualenv"] = str(venv_dir())
        (self.work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))

    @property
    def policy_pack(self) -> str:
        """The policy pack of the program the project points at, by its real path: the language host
        finds the pack's virtualenv (`../.venv` in PulumiPolicy.yaml) next to it, not next to our link
        (through the link, the analyzer never starts and the engine waits on it)."""
        return str((self.work_dir / "policy").resolve())

    def _write_cli_wrapper(self) -> None:
        real = toolchain_bin() / "pulumi"
        (self.cli_dir / "bin").mkdir(parents=True, exist_ok=True)
        wrapper = self.cli_dir / "bin" / "pulumi"
        enter = f"nsenter --net=/run/netns/{self.netns} " if self.netns else ""
        wrapper.write_text(f'#!/bin/sh\nexec {enter}"{real}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    @property
    def env(self) -> dict[str, str]:
        return {
            **toolchain_env(),
            "PULUMI_BACKEND_URL": f"file://{self.state_dir}",
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            **self.extra_env,
        }

    def workspace_options(self) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.work_dir),
            env_vars=self.env,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(self.cli_dir), skip_version_check=True),
        )

    def stack(self, name: str, config: Mapping[str, Any], secret: Mapping[str, Any] | None = None) -> auto.Stack:
        """Select (or create) stack `name` with exactly `config` (plain: written into its stack file, so
        a preview diff shows it) and `secret` (encrypted by the passphrase, keys as `a.b` paths)."""
        stack = auto.create_or_select_stack(name, work_dir=str(self.work_dir), opts=self.workspace_options())
        stack_file = self.work_dir / f"Pulumi.{name}.yaml"
        document = (yaml.safe_load(stack_file.read_text()) if stack_file.exists() else None) or {}
        # Exactly this config: a secret set before and not given now is gone (the salt stays, top-level).
        document["config"] = {f"{PROJECT}:{key}": value for key, value in config.items()}
        stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        if secret:
            stack.set_all_config({f"{PROJECT}:{k}": secret_config(v) for k, v in secret.items()}, path=True)
        return stack

    def export(self, stack: auto.Stack, *, show_secrets: bool = False) -> dict[str, Any]:
        """`pulumi stack export` (ciphertext for secrets unless `show_secrets`)."""
        command = ["stack", "export", "--stack", stack.name]
        if show_secrets:
            command.append("--show-secrets")
        result = stack.workspace.pulumi_command.run(command, str(self.work_dir), self.env)
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def run(self, stack: auto.Stack, *args: str) -> auto.CommandResult:
        """Any other `pulumi` command for `stack` (e.g. `preview --diff` as a reviewer runs it)."""
        command = [*args, "--stack", stack.name, "--non-interactive", "--color", "never"]
        return stack.workspace.pulumi_command.run(command, str(self.work_dir), self.env)

    @contextmanager
    def program(self, text: str | None) -> Iterator[None]:
        """Run `text` as the project's `__main__.py` meanwhile (a developer's change; None: the real one)."""
        if text is None:
            yield
            return
        main = self.work_dir / "__main__.py"
        main.unlink()
        main.write_text(text)
        try:
            yield
        finally:
            main.unlink()
            main.symlink_to(REPO_ROOT / "__main__.py")

    def up(
        self, stack: auto.Stack, policy_pack: str | None, on_output: Any = None, targets: Sequence[str] = ()
    ) -> Outcome:
        """`pulumi up` with the policy pack enforced; what it did (`Outcome`, from the engine's event log), or
        `DeployFailedError` with what completed before the failure. `targets`: `--target` URNs (or globs),
        only those resources (the engine refuses to create one whose parent or dependency is not among them).

        The CLI's own `--event-log` file, not the Automation API's `on_event`: since CLI 3.206 the Automation
        API takes the events over gRPC on 127.0.0.1, which a CLI entered into the Docker host's network
        namespace cannot reach (that loopback is another one); nor can it send `preview`'s summary event."""
        events = self.root / f"events-{secrets.token_hex(4)}.jsonl"
        command = ["up", "--yes", "--skip-preview", "--event-log", str(events)]
        command += ["--policy-pack", policy_pack] if policy_pack is not None else []
        command += [arg for target in targets for arg in ("--target", target)]
        command += ["--stack", stack.name, "--non-interactive", "--color", "never"]
        outcome = Outcome()
        try:
            # `--event-log` exists only with PULUMI_DEBUG_COMMANDS (the Automation API sets it too).
            env = {**self.env, "PULUMI_DEBUG_COMMANDS": "true"}
            stack.workspace.pulumi_command.run(command, str(self.work_dir), env, on_output=on_output)
        except auto.CommandError as error:
            outcome.read(events)
            raise DeployFailedError(str(error), outcome) from None
        outcome.read(events)
        return outcome

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def project(netns: str | None) -> Iterator[PulumiProject]:
    made = PulumiProject(netns)
    try:
        yield made
    finally:
        made.close()


def changes(summary: auto.UpdateSummary | None) -> dict[str, int]:
    """The resource changes of an operation, without the unchanged ones."""
    counts = dict((summary.resource_changes if summary else None) or {})
    return {op: count for op, count in counts.items() if op != "same" and count}


# --- what an `up` did, read from the engine's own events ---------------------------------------------
DOCKER_NAMED_TYPES = (catalog.CONTAINER_TYPE, catalog.NETWORK_TYPE, catalog.VOLUME_TYPE)
COMMAND_TYPES = (catalog.LOCAL_COMMAND_TYPE, catalog.REMOTE_COMMAND_TYPE)
REPLACING = {"replace", "create-replacement"}
RUNNING = {"create", "update", "replace", "create-replacement"}


@dataclass
class Outcome:
    """What one `pulumi up` did, from its engine events (steps that completed, in order): the Docker names
    of the containers it replaced, of the containers, volumes and networks it created and deleted, and the
    resource names of the commands it ran to success. `diagnostics`: the engine's error messages."""

    replaced: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    def read(self, log: Path) -> None:
        """Every event of a CLI `--event-log` file (JSON lines), in order."""
        if not log.exists():
            return
        for line in log.read_text().splitlines():
            if line.strip():
                self.record(auto.EngineEvent.from_json(json.loads(line)))
        log.unlink()

    def record(self, event: auto.EngineEvent) -> None:
        if event.summary_event:
            counts = event.summary_event.resource_changes or {}
            self.summary = {str(op): count for op, count in counts.items() if op != "same" and count}
        if event.diagnostic_event and event.diagnostic_event.severity == "error":
            self.diagnostics.append(event.diagnostic_event.message)
        if not event.res_outputs_event:
            return
        step = event.res_outputs_event.metadata
        op = step.op.value if hasattr(step.op, "value") else str(step.op)
        state = step.new or step.old
        docker_name = str((state.inputs or {}).get("name", "")) if state else ""
        name = step.urn.rsplit("::", 1)[-1]
        if step.type in DOCKER_NAMED_TYPES:
            if op in REPLACING and step.type == catalog.CONTAINER_TYPE:
                _append_once(self.replaced, docker_name)
            elif op == "create":
                self.created.append(docker_name)
            elif op == "delete":
                self.removed.append(docker_name)
        elif step.type in COMMAND_TYPES and op in RUNNING:
            _append_once(self.commands, name)


def _append_once(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


class DeployFailedError(RuntimeError):
    """`pulumi up` failed (e.g. a reload command exited non-zero). `output` is what the CLI printed (the
    failed command's stderr is in its diagnostics); `applied`, what completed before the failure (the
    state Pulumi keeps)."""

    def __init__(self, output: str, applied: Outcome) -> None:
        super().__init__(output[-3000:])
        self.output = output
        self.applied = applied


# --- the state, read back as the mocks record a program ----------------------------------------------
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def _from_state(value: Any) -> Any:
    """A state value with each decrypted secret (`--show-secrets`) as the mocks' secret sentinel."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            plaintext = value.get("plaintext")
            inner = json.loads(plaintext) if isinstance(plaintext, str) else value.get("value")
            return mock_stack.secret(_from_state(inner))
        return {k: _from_state(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_from_state(v) for v in value]
    return value


def recorded_from_state(document: Mapping[str, Any], stack: str) -> mock_stack.RecordedStack:
    """`pulumi stack export --show-secrets` as a `RecordedStack`: every resource the engine holds with the
    inputs it was given (secrets marked), in state order, and the stack's outputs as its exports. The
    tests read the deployed stack's files, users and commands through it, from the real state."""
    resources: list[mock_stack.Registered] = []
    exports: dict[str, Any] = {}
    secret_exports: set[str] = set()
    for entry in document["deployment"].get("resources") or []:
        if entry["type"] == "pulumi:pulumi:Stack":
            outputs = _from_state(entry.get("outputs") or {})
            exports = mock_stack.unwrap(outputs)
            secret_exports = {k for k, v in outputs.items() if mock_stack.is_secret(v)}
            continue
        if entry["type"].startswith("pulumi:providers:") and entry["urn"].endswith("::default"):
            continue
        resources.append(
            mock_stack.Registered(
                type=entry["type"],
                name=entry["urn"].rsplit("::", 1)[-1],
                urn=entry["urn"],
                custom=bool(entry.get("custom")),
                raw_inputs=_from_state(entry.get("inputs") or {}),
                outputs=mock_stack.unwrap(_from_state(entry.get("outputs") or {})),
                parent_urn=entry.get("parent", ""),
                provider=entry.get("provider", ""),
            )
        )
    return mock_stack.RecordedStack(stack, resources, exports, secret_exports)


POLICY_PACK = str(REPO_ROOT / "policy")


def program_with(prelude: str) -> str:
    """A `__main__.py` that runs `prelude` (a developer's change: a patched module, a lifted check) and then
    the real program, in the language host's process, where the engine runs it."""
    main = str(REPO_ROOT / "__main__.py")
    return f"{prelude.rstrip()}\n\nimport runpy\n\nrunpy.run_path({main!r}, run_name='__main__')\n"


@dataclass
class Deployment:
    """One stack deployed by the real engine into a harness engine: `up` with changes on top of the config it
    started from (secret keys set with `--secret`, the rest plain in the stack file, as a user would), the
    policy pack enforced, the engine's output kept in `log`; `recorded` is the state after the last `up`."""

    project: PulumiProject
    name: str
    docker_host: str
    base_config: Mapping[str, Any]
    log: Path
    recorded: mock_stack.RecordedStack | None = None
    seconds: float = 0.0  # how long the last successful `up` took

    def up(
        self,
        changes: Mapping[str, Any] | None = None,
        program: str | None = None,
        targets: Sequence[str] = (),
        *,
        policy: bool = True,
    ) -> Outcome:
        """`pulumi up` of the stack with `changes` on top of `base_config`; `program`: another `__main__.py` for
        this update; `targets`: only these resources (`--target`, URNs or globs); `policy=False`: without the
        policy pack (a program with resources of a test's own beside the project's, e.g. the benchmark's peers)."""
        config = {**self.base_config, **(changes or {}), "dockerHost": self.docker_host}
        plain = {key: value for key, value in config.items() if key not in SECRET_KEYS}
        secret = {key: value for key, value in config.items() if key in SECRET_KEYS}
        stack = self.project.stack(self.name, plain, secret)
        started = time.monotonic()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log.open("a") as log, self.project.program(program):
                log.write(f"--- pulumi up ({sorted(changes or {})}{', another program' if program else ''})\n")
                outcome = self.project.up(
                    stack,
                    POLICY_PACK if policy else None,
                    on_output=lambda line: log.write(line.rstrip() + "\n"),
                    targets=targets,
                )
            self.seconds = time.monotonic() - started
            print(f"[engine] up {outcome.summary} in {self.seconds:.1f}s", file=sys.stderr)
            return outcome
        finally:
            self.recorded = recorded_from_state(self.project.export(stack, show_secrets=True), self.name)

    def destroy(self) -> None:
        """`pulumi destroy` of the stack (what the last `up` made; the stack file as it left it)."""
        stack = auto.select_stack(self.name, work_dir=str(self.project.work_dir), opts=self.project.workspace_options())
        with self.log.open("a") as log:
            log.write("--- pulumi destroy\n")
            result = self.project.run(stack, "destroy", "--yes", "--skip-preview")
            log.write(result.stdout)


# --- a stack of a test module's own: the engine's steps, requests through the proxy -------------------
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced", "create-before-replace"})


@dataclass(frozen=True)
class Step:
    """One resource the engine changed in an operation: what it did, and which inputs made it."""

    op: str  # create, update, replace, delete (a replacement's three steps collapse to replace)
    type: str
    name: str
    keys: tuple[str, ...]  # the inputs that forced a replacement
    diffs: tuple[str, ...]  # the inputs that changed

    def line(self) -> str:
        why = f" (replace: {', '.join(self.keys)})" if self.keys else ""
        changed = f" [changed: {', '.join(self.diffs)}]" if self.diffs and not self.keys else ""
        return f"{self.op:8} {self.type} {self.name}{why}{changed}"


class StepRecorder:
    """The resource steps of one operation but the unchanged ones, from what the CLI prints with `--json`:
    `preview` one document (`steps`: op, urn, replaceReasons, diffReasons), `up` one engine event per
    line (`resourcePreEvent.metadata`: op, urn, keys, diffs)."""

    def __init__(self, output: str = "") -> None:
        self._steps: dict[str, list[Mapping[str, Any]]] = {}
        try:
            documents = [json.loads(output)] if output.strip() else []
        except json.JSONDecodeError:
            documents = [json.loads(line) for line in output.splitlines() if line.strip()]
        for document in documents:
            for step in document.get("steps") or []:
                self._add(step, "replaceReasons", "diffReasons")
            metadata = (document.get("resourcePreEvent") or {}).get("metadata")
            if metadata:
                self._add(metadata, "keys", "diffs")

    def _add(self, step: Mapping[str, Any], keys: str, diffs: str) -> None:
        if str(step.get("op")) not in ("same", "read", "refresh"):
            # Providers that report no changed keys still give the paths of their detailed diff.
            changed = step.get(diffs) or sorted(step.get("detailedDiff") or {})
            normal = {"op": step["op"], "keys": step.get(keys) or [], "diffs": changed}
            self._steps.setdefault(str(step["urn"]), []).append(normal)

    def steps(self) -> list[Step]:
        found = []
        for urn, steps in self._steps.items():
            ops = {str(s["op"]) for s in steps}
            op = "replace" if ops & REPLACE_OPS else sorted(ops)[0]
            keys = sorted({k for s in steps for k in s["keys"]}) if op == "replace" else []
            diffs = sorted({d for s in steps for d in s["diffs"]})
            kind = urn.rpartition("::")[0].rpartition("::")[2].rpartition("$")[2]
            found.append(Step(op, kind, urn.rpartition("::")[2], tuple(keys), tuple(diffs)))
        return sorted(found, key=lambda s: (s.op, s.type, s.name))

    def report(self, title: str) -> str:
        steps = self.steps()
        counts: dict[str, int] = {}
        for step in steps:
            counts[step.op] = counts.get(step.op, 0) + 1
        return "\n".join([f"[engine] {title}: {counts or 'no change'}", *(f"  {s.line()}" for s in steps)])


@dataclass
class EngineStack:
    """A stack of a `PulumiProject` deployed into a harness engine (`harness.live.LiveStack`), and
    what a test asks of it: `up` with its steps, the stack's containers, requests through the proxy
    from a LAN client (Python's TLS client inside that client's namespace: no password on a command line)."""

    topo: Any  # harness.live.LiveStack
    project: PulumiProject
    stack: auto.Stack
    address: str  # the proxy's published address (the stack's bindAddress)
    client: str = "trusted"  # the LAN client requests come from
    _outputs: dict[str, Any] = field(default_factory=dict)

    def up(self, title: str, *, replace: Sequence[str] = ()) -> StepRecorder:
        """`pulumi up --json` with the policy pack of the program in use; prints what the engine changed.

        The CLI's own JSON, not the Automation API's `on_event`: that listens on a loopback port of this
        process's namespace, which the CLI (inside the Docker host's) cannot reach. Raises
        `auto.CommandError` when the update fails."""
        started = time.monotonic()
        argv = ["up", "--yes", "--skip-preview", "--json", "--policy-pack", self.project.policy_pack]
        for urn in replace:
            argv += ["--replace", urn]
        self._outputs = {}
        result = self.project.run(self.stack, *argv)
        recorder = StepRecorder(result.stdout)
        print(recorder.report(f"{title}: up in {time.monotonic() - started:.1f}s"))
        return recorder

    def preview(self, title: str) -> StepRecorder:
        """`pulumi preview --json` (what an `up` would change), printed as `up` prints its steps."""
        started = time.monotonic()
        result = self.project.run(self.stack, "preview", "--json", "--policy-pack", self.project.policy_pack)
        recorder = StepRecorder(result.stdout)
        print(recorder.report(f"{title}: preview in {time.monotonic() - started:.1f}s"))
        return recorder

    def outputs(self) -> dict[str, Any]:
        if not self._outputs:
            self._outputs = {name: value.value for name, value in self.stack.outputs().items()}
        return self._outputs

    def passwords(self) -> dict[str, str]:
        return dict(self.outputs()["passwords"])

    def state_resources(self, *, show_secrets: bool = False) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = self.project.export(self.stack, show_secrets=show_secrets)["deployment"][
            "resources"
        ]
        return resources

    def containers(self) -> dict[str, Any]:
        """The stack's containers on the engine, running or not, by name."""
        prefix = catalog.resource_name(self.stack.name, "")
        return {c.name: c for c in self.topo.engine.client().containers.list(all=True) if c.name.startswith(prefix)}

    def volumes(self) -> list[str]:
        prefix = catalog.resource_name(self.stack.name, "")
        return sorted(v.name for v in self.topo.engine.client().volumes.list() if v.name.startswith(prefix))

    def healthy(self) -> bool:
        """Every container with a healthcheck reports healthy (and there is at least one)."""
        states = {}
        for name, container in self.containers().items():
            container.reload()
            health = container.attrs["State"].get("Health")
            if health:
                states[name] = health["Status"]
        return bool(states) and all(status == "healthy" for status in states.values())

    def request(self, method: str, path: str, *, user: str, port: int, body: bytes | None = None) -> tuple[int, bytes]:
        """One HTTPS request to the proxy as `user` (basic auth), the stack's CA verifying it."""
        ca = str(self.outputs()["ca_certificate"])
        token = base64.b64encode(f"{user}:{self.passwords()[user]}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"

        def call() -> tuple[int, bytes]:
            context = ssl.create_default_context(cadata=ca)
            connection = http.client.HTTPSConnection(self.address, port, context=context, timeout=15)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            finally:
                connection.close()

        return in_netns(self.topo.client(self.client).netns, call)

    def query(self, promql: str, *, user: str = "admin", port: int = 9090, at: float | None = None) -> list[Any]:
        """An instant query's result vector (raises on any status but 200)."""
        params = {"query": promql, **({"time": f"{at:.3f}"} if at is not None else {})}
        status, body = self.request("GET", f"/api/v1/query?{urlencode(params)}", user=user, port=port)
        if status != 200:
            raise AssertionError(f"query {promql!r}: HTTP {status}: {body[:300]!r}")
        result: list[Any] = json.loads(body)["data"]["result"]
        return result
