"""The benchmark's program (bench/load.py `bench_program`, bench/program.py) under Pulumi mocks: the project's
program unchanged, then every extra record with exactly the inputs bench/stack.py built, through a docker
provider of its own, and the extra firewall plan as the program's own firewall component."""

from __future__ import annotations

import json
from pathlib import Path

from bench.host import BENCH_USER, NAIVE_PORT_OFFSET, bench_config
from bench.lib import CADDY, NATIVE, NO_AUTH, PROXIED
from bench.load import bench_program
from bench.stack import extras_document, peer_records, proxy_copy
from components.core import catalog
from components.firewall.render import FirewallPlan, render_apply_script, with_privilege
from components.proxy import component as proxy_component
from testing.mock_stack import CONTAINER, LOCAL_COMMAND, PROVIDER_DOCKER, contains_secret, run_program, unwrap

DOCKER_HOST = "unix:///run/promshield-test/docker.sock"


def test_the_bench_program_registers_the_program_and_exactly_the_extras(tmp_path: Path) -> None:
    config = {**bench_config(), "dockerHost": DOCKER_HOST}
    stack = run_program(config, stack="bench")
    proxy = catalog.container_name("bench", catalog.PROXY)
    records = proxy_copy(stack.resources, proxy, "naive", NAIVE_PORT_OFFSET, "# another nginx.conf\n")
    peers, _ = peer_records(stack, [PROXIED, CADDY, NATIVE, NO_AUTH], config["bindAddress"], BENCH_USER)
    records += peers
    plan = FirewallPlan("PROMSHIELD-BENCH-EXTRA", config["bindAddress"], [9190, 9193], config["trustedCidrs"])
    document = extras_document(records, plan)
    extras = tmp_path / "extras.json"
    extras.write_text(json.dumps(document))
    program = tmp_path / "__main__.py"
    program.write_text(bench_program(None, extras))

    bench = run_program(config, stack="bench", program=program)

    own = {r.urn: r for r in stack.resources}
    # the program as it is: every resource of its own, each with the same inputs
    assert {r.urn: r.raw_inputs for r in bench.resources if r.urn in own} == {u: r.raw_inputs for u, r in own.items()}
    extra = [r for r in bench.resources if r.urn not in own]
    registered = {r.name: r for r in extra if r.custom and r.type != LOCAL_COMMAND and not r.type.startswith("pulumi:")}
    wanted = {r.name: r for r in records}
    assert sorted(registered) == sorted(wanted)
    providers = {r.urn: r for r in extra if r.type == PROVIDER_DOCKER}
    (provider,) = providers.values()
    assert unwrap(provider.raw_inputs)["host"] == DOCKER_HOST
    for name, record in wanted.items():
        got = registered[name]
        assert got.type == record.type and got.inputs == record.inputs, name
        for key, value in record.raw_inputs.items():
            assert contains_secret(got.raw_inputs[key]) is contains_secret(value), (name, key)
        assert got.provider.startswith(provider.urn + "::"), name
    assert {r.type for r in registered.values()} >= {CONTAINER}
    assert any(contains_secret(r.raw_inputs.get("uploads")) for r in registered.values())  # keys stay secret
    (rules,) = [r for r in extra if r.type == LOCAL_COMMAND]
    assert rules.inputs["create"] == with_privilege(render_apply_script(plan), use_sudo=False)


def test_proxy_conf_replaces_the_programs_own_nginx_conf(tmp_path: Path) -> None:
    """`--proxy-conf`: the program the engine runs renders that file as the proxy's nginx.conf; nothing else
    changes."""
    config = {**bench_config(), "dockerHost": DOCKER_HOST}
    stack = run_program(config, stack="bench")
    conf = tmp_path / "nginx.conf"
    conf.write_text("# an experiment\n")
    program = tmp_path / "__main__.py"
    program.write_text(bench_program(str(conf)))

    # The patched program runs in this process and rebinds the proxy component's renderer: put it back, or
    # every later test renders "# an experiment" as the proxy's nginx.conf.
    original = proxy_component.render_nginx_conf
    try:
        patched = run_program(config, stack="bench", program=program)
    finally:
        proxy_component.render_nginx_conf = original

    proxy = catalog.container_name("bench", catalog.PROXY)
    assert unwrap(patched.container_files(proxy)[catalog.PROXY_CONFIG_FILE]["content"]) == "# an experiment\n"
    changed = {r.urn for r in patched.resources} ^ {r.urn for r in stack.resources}
    assert not changed
    before = {r.urn: r.raw_inputs for r in stack.resources}
    differs = sorted(r.name for r in patched.resources if r.raw_inputs != before[r.urn])
    assert differs == ["proxy-container-config", "proxy-container-reload"], differs  # its carrier and reload
