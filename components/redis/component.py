"""Least-privilege Redis monitoring: an ACL user per Redis instance and one redis_exporter for all.

For each of the trading system's Redis instances (`redisInstances`) the exporter's user is managed
as a typed resource (`RedisAclUser`, a dynamic provider: create/update set the user with `reset`
first, delete removes it), each with its own generated password. For the dev stack's demo Redis
servers (internal network, no published port, so the deploying machine cannot reach them) the
same rules are rendered into each demo's ACL file.

One exporter in multi-target mode watches every instance (docs/targets.md, "Redis: one exporter for every
instance", has the measured numbers): Prometheus scrapes `/scrape?target=redis://host:port`, one
target per instance. The exporter reads the passwords from a 0400 JSON file that maps each
instance's URL to its own password (`--redis.password-file`), so `/scrape?target=` cannot send a
password to any other address, and serves its metrics only over mTLS to Prometheus.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.core import catalog
from components.core.hardening import (
    ContainerPlan,
    Healthcheck,
    NetworkAttachment,
    UploadFile,
    config_file,
    hardened_container,
    secret_file,
    stack_volume,
)
from components.core.images import pulled_image
from components.core.pki import Certificate, tls_files
from components.prometheus.render import ScrapeJob, stack_mtls
from components.redis.acl import password_sha256
from components.redis.provider import RedisAclUser
from components.redis.render import ACL_PATH, CONF_PATH, demo_redis_command, demo_redis_conf, render_users_acl
from components.redis.settings import RedisSettings

EXPORTER = catalog.REDIS_EXPORTER
DEMO = catalog.DEMO_REDIS
PASSWORD_FILE = f"{EXPORTER.secrets_dir}/redis-passwords.json"
REDIS_CA_FILE = f"{EXPORTER.tls_dir}/redis-ca.crt"


@dataclass(frozen=True)
class RedisAccessArgs:
    stack: str
    instances: tuple[RedisSettings, ...]
    images: Mapping[str, str]  # redis_exporter, and demo_redis for the demo
    backend_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate  # the exporter's server certificate (Prometheus scrapes it over mTLS)
    # Multi-host stacks: the first host's RedisAccess, whose exporter users (one ACL user and password
    # per instance) every other host's exporter shares: two managers of one user would overwrite each
    # other's password.
    shared_from: RedisAccess | None = None
    # (egress network, the exporter's fixed address on it): only when a Redis instance is outside the host.
    egress: tuple[pulumi.Input[str], str] | None = None


def redis_url(redis: RedisSettings) -> str:
    return f"{'rediss' if redis.tls else 'redis'}://{redis.address}"


# The flags that decide which commands the exporter sends to Redis: the ACL user
# (components/redis/acl.py) allows exactly those, and tests/redis runs the exporter with them.
# `--config-command=-`: never `CONFIG GET *`, which returns `requirepass` and `masterauth` in
# clear text and cannot be limited to some parameters by an ACL; the user has no `config|get`
# (v1.74 skips the call; Debian's 1.45 sends the unknown command `-`, refused before any ACL check).
EXPORTER_COMMAND_FLAGS: tuple[str, ...] = ("--config-command=-", "--redact-config-metrics=true")


def exporter_command(instances: Sequence[RedisSettings]) -> list[str]:
    """Multi-target mode: `--redis.addr` is the first instance (what a bare `/metrics` shows);
    Prometheus scrapes every instance through `/scrape?target=`. One user name for all
    (the settings require it); each URL's own password comes from the password file."""
    tls_dir = EXPORTER.tls_dir
    command = [
        f"--redis.addr={redis_url(instances[0])}",
        f"--redis.user={instances[0].exporter_username}",
        f"--redis.password-file={PASSWORD_FILE}",
        f"--web.listen-address=:{EXPORTER.port}",
        f"--tls-server-cert-file={tls_dir}/{catalog.TLS_CERT_FILE}",
        f"--tls-server-key-file={EXPORTER.key_file}",
        f"--tls-server-ca-cert-file={tls_dir}/{catalog.TLS_CA_FILE}",
        "--tls-server-min-version=TLS1.2",
        *EXPORTER_COMMAND_FLAGS,
    ]
    if any(i.tls and i.tls_ca_pem for i in instances):
        command.append(f"--tls-ca-cert-file={REDIS_CA_FILE}")
    return command


def password_file(passwords: Mapping[str, str]) -> str:
    """redis_exporter's password file: a JSON map from each Redis URL to its password."""
    return json.dumps(dict(sorted(passwords.items())))


def scrape_jobs(instances: Sequence[RedisSettings]) -> list[ScrapeJob]:
    """One scrape config per instance, all under `job="redis"`: the exporter's `/scrape` with the
    instance's URL (and its key patterns) as parameters, `instance` its address and `redis_instance`
    its name. A config per instance because `check-keys` differs per instance and a relabelled
    `__param_check-keys` is not a valid label name."""
    jobs = []
    for redis in instances:
        params = {"target": [redis_url(redis)]}
        if redis.check_keys:
            params["check-keys"] = [",".join(redis.check_keys)]
        jobs.append(
            ScrapeJob(
                f"{catalog.JOB_REDIS}-{redis.name.lower()}",
                [f"{EXPORTER.name}:{EXPORTER.port}"],
                tls=stack_mtls(EXPORTER.name),
                labels={"job": catalog.JOB_REDIS, "instance": redis.address, "redis_instance": redis.name},
                metrics_path="/scrape",
                params=params,
            )
        )
    return jobs


def demo_service(redis: RedisSettings) -> catalog.Service:
    """The demo Redis of one instance: `demo-redis-rts`, the host part of its address."""
    return dataclasses.replace(DEMO, name=redis.address.rpartition(":")[0])


class RedisAccess(pulumi.ComponentResource):
    container: pulumi.CustomResource  # the one exporter
    exporter_passwords: dict[str, pulumi.Output[str]]  # by instance name; secret
    demo_admin_passwords: dict[str, pulumi.Output[str]]  # by instance name; secret
    acl_users: dict[str, RedisAclUser]  # by instance name (instances the stack does not deploy)
    demos: dict[str, pulumi.CustomResource]  # by instance name (the demo Redis servers)
    files: list[UploadFile]

    def __init__(self, name: str, args: RedisAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.REDIS_ACCESS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.exporter_passwords = {}
        self.acl_users = {}
        self.demos = {}
        self.demo_admin_passwords = {}
        depends: list[pulumi.Resource] = []
        # One pull for every demo Redis: the same pinned image.
        demo_image = (
            pulled_image(f"{name}-demo-image", args.images["demo_redis"], child)
            if any(redis.demo for redis in args.instances)
            else None
        )
        shared = args.shared_from
        for redis in args.instances:
            suffix = redis.name.lower()
            password: pulumi.Output[str]
            if shared is not None:
                password = shared.exporter_passwords[redis.name]
            else:
                password = pulumi.Output.secret(  # type: ignore[assignment]
                    random.RandomPassword(
                        f"{name}-{suffix}-exporter-password", length=32, special=False, opts=child
                    ).result
                )
            self.exporter_passwords[redis.name] = password
            if redis.demo and demo_image is not None:
                # Each host's demo Redis is its own server: the user is rendered into each.
                self.demos[redis.name] = self._demo_redis(f"{name}-{suffix}", redis, password, demo_image, args)
                depends.append(self.demos[redis.name])
                continue
            if shared is not None:
                depends.append(shared.acl_users[redis.name])
                continue
            if redis.admin_password is None:  # settings require it without demo
                raise ValueError(f"promshield:redisAdminPasswords.{redis.name} is required to manage its ACL user")
            host, _, port = redis.address.rpartition(":")
            self.acl_users[redis.name] = RedisAclUser(
                f"{name}-{suffix}-exporter-user",
                host=host,
                port=int(port),
                admin_username=redis.admin_username,
                admin_password=pulumi.Output.secret(redis.admin_password.reveal()),
                username=redis.exporter_username,
                password=password,
                tls=redis.tls,
                tls_ca_pem=redis.tls_ca_pem,
                check_keys=list(redis.check_keys),
                opts=child,
            )
            depends.append(self.acl_users[redis.name])
        urls = [redis_url(redis) for redis in args.instances]
        passwords = pulumi.Output.all(*self.exporter_passwords.values()).apply(
            lambda pws: password_file(dict(zip(urls, pws, strict=True)))
        )
        self.files = [
            secret_file(PASSWORD_FILE, passwords),
            *tls_files(EXPORTER, args.ca_cert_pem, args.server),
        ]
        ca_pems = sorted({i.tls_ca_pem for i in args.instances if i.tls and i.tls_ca_pem})
        if ca_pems:
            self.files.append(config_file(REDIS_CA_FILE, "".join(ca_pems)))
        networks = [NetworkAttachment(args.backend_network, [EXPORTER.name])]
        if args.egress is not None:
            networks.append(NetworkAttachment(args.egress[0], (), args.egress[1]))  # the trading Redis is elsewhere
        plan = ContainerPlan(
            service=EXPORTER,
            image=pulled_image(f"{name}-exporter-image", args.images["redis_exporter"], child),
            command=exporter_command(args.instances),
            networks=networks,
            healthcheck=Healthcheck(["nc", "-z", "127.0.0.1", str(EXPORTER.port)]),
            uploads=self.files,
            memory_mb=64,
            stack=args.stack,
        )
        self.container = hardened_container(
            f"{name}-exporter",
            catalog.container_name(args.stack, EXPORTER),
            plan,
            pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.register_outputs({"container_name": self.container.name})

    def _demo_redis(
        self,
        name: str,
        redis: RedisSettings,
        exporter_password: pulumi.Output[str],
        image: pulumi.Output[str],
        args: RedisAccessArgs,
    ) -> pulumi.CustomResource:
        """One demo Redis of the dev stack: ACL users only (default user off), the exporter's user rendered in."""

        child = pulumi.ResourceOptions(parent=self)
        admin_password: pulumi.Output[str] = pulumi.Output.secret(  # type: ignore[arg-type]
            random.RandomPassword(f"{name}-demo-admin-password", length=32, special=False, opts=child).result
        )
        self.demo_admin_passwords[redis.name] = admin_password
        service = demo_service(redis)
        users = pulumi.Output.all(admin_password, exporter_password).apply(
            lambda pws: render_users_acl(
                redis.admin_username,
                password_sha256(pws[0]),
                redis.exporter_username,
                password_sha256(pws[1]),
                redis.check_keys,
            )
        )
        data = stack_volume(f"{name}-demo-data", args.stack, f"{service.name}-data", self)
        plan = ContainerPlan(
            service=service,
            image=image,
            # The official image's entrypoint would chown and re-exec as root: named away explicitly,
            # since an empty list never reaches Docker (the provider skips it) and is read back as a diff.
            entrypoint=demo_redis_command()[:1],
            command=demo_redis_command()[1:],
            networks=[NetworkAttachment(args.backend_network, [service.name])],
            healthcheck=Healthcheck(["redis-cli", "-p", str(DEMO.port), "ping"]),
            uploads=[
                config_file(CONF_PATH, demo_redis_conf()),  # no password in it: plain
                secret_file(ACL_PATH, users),
            ],
            volumes=[(data.name, DEMO.data_dir, False)],
            memory_mb=192,
            stack=args.stack,
        )
        return hardened_container(f"{name}-demo", catalog.container_name(args.stack, service), plan, child)
