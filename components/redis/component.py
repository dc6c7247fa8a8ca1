"""Least-privilege Redis monitoring: an ACL user for redis_exporter and the exporter itself.

For the trading system's Redis the exporter's user is managed as a typed resource
(`RedisAclUser`, a dynamic provider: create/update set the user with `reset` first, delete
removes it). For the dev stack's demo Redis (internal network, no published port, so the
deploying machine cannot reach it) the same rules are rendered into the demo's ACL file.

The exporter reads its password from a 0400 JSON file bound to that one Redis address
(`--redis.password-file`), so `/scrape?target=` cannot send it anywhere else, and serves
its metrics only over mTLS to Prometheus.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from components.core.settings import RedisSettings
from components.prometheus.render import ScrapeJob, stack_mtls
from components.redis.acl import password_sha256
from components.redis.provider import RedisAclUser
from components.redis.render import ACL_PATH, CONF_PATH, demo_redis_command, render_demo_redis_files

EXPORTER = catalog.REDIS_EXPORTER
DEMO = catalog.DEMO_REDIS
PASSWORD_FILE = f"{EXPORTER.config_dir}/secrets/redis-passwords.json"
REDIS_CA_FILE = f"{EXPORTER.tls_dir}/redis-ca.crt"


@dataclass(frozen=True)
class RedisAccessArgs:
    stack: str
    redis: RedisSettings
    images: Mapping[str, str]  # redis_exporter, and demo_redis for the demo
    backend_network: pulumi.Input[str]
    edge_network: pulumi.Input[str]  # the route to a Redis outside this host
    ca_cert_pem: pulumi.Input[str]
    server: Certificate  # the exporter's server certificate (Prometheus scrapes it over mTLS)


def redis_url(redis: RedisSettings) -> str:
    return f"{'rediss' if redis.tls else 'redis'}://{redis.address}"


# The flags that decide which commands the exporter sends to Redis: the ACL user
# (components/redis/acl.py) allows exactly those, and tests/redis runs the exporter with them.
# `--config-command=-`: never `CONFIG GET *`, which returns `requirepass` and `masterauth` in
# clear text and cannot be limited to some parameters by an ACL; the user has no `config|get`
# (v1.74 skips the call; Debian's 1.45 sends the unknown command `-`, refused before any ACL check).
EXPORTER_COMMAND_FLAGS: tuple[str, ...] = ("--config-command=-", "--redact-config-metrics=true")


def exporter_command(redis: RedisSettings) -> list[str]:
    tls_dir = EXPORTER.tls_dir
    command = [
        f"--redis.addr={redis_url(redis)}",
        f"--redis.user={redis.exporter_username}",
        f"--redis.password-file={PASSWORD_FILE}",
        f"--web.listen-address=:{EXPORTER.port}",
        f"--tls-server-cert-file={tls_dir}/{catalog.TLS_CERT_FILE}",
        f"--tls-server-key-file={tls_dir}/{catalog.TLS_KEY_FILE}",
        f"--tls-server-ca-cert-file={tls_dir}/{catalog.TLS_CA_FILE}",
        "--tls-server-min-version=TLS1.2",
        *EXPORTER_COMMAND_FLAGS,
    ]
    if redis.tls and redis.tls_ca_pem:
        command.append(f"--tls-ca-cert-file={REDIS_CA_FILE}")
    return command


def password_file(redis: RedisSettings, password: str) -> str:
    """redis_exporter's password file: a JSON map from the Redis URL to its password."""
    return json.dumps({redis_url(redis): password})


def scrape_job(redis: RedisSettings) -> ScrapeJob:
    return ScrapeJob(
        catalog.JOB_REDIS,
        [f"{EXPORTER.name}:{EXPORTER.port}"],
        tls=stack_mtls(EXPORTER.name),
        labels={"redis_instance": redis.instance_label},
    )


class RedisAccess(pulumi.ComponentResource):
    container: pulumi.CustomResource  # the exporter
    exporter_password: pulumi.Output[str]  # secret
    demo_admin_password: pulumi.Output[str] | None  # secret
    acl_user: RedisAclUser | None
    demo: pulumi.CustomResource | None
    files: list[UploadFile]

    def __init__(self, name: str, args: RedisAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.REDIS_ACCESS_TYPE, name, None, opts)
        redis = args.redis
        child = pulumi.ResourceOptions(parent=self)
        self.exporter_password = pulumi.Output.secret(
            random.RandomPassword(f"{name}-exporter-password", length=32, special=False, opts=child).result
        )
        self.acl_user = None
        self.demo = None
        self.demo_admin_password = None
        depends: list[pulumi.Resource] = []
        if redis.demo:
            self.demo = self._demo_redis(name, redis, args)
            depends.append(self.demo)
        else:
            if redis.admin_password is None:  # settings require it without demo
                raise ValueError("promshield:redisAdminPassword is required to manage the exporter's ACL user")
            host, _, port = redis.address.rpartition(":")
            self.acl_user = RedisAclUser(
                f"{name}-exporter-user",
                host=host,
                port=int(port),
                admin_username=redis.admin_username,
                admin_password=pulumi.Output.secret(redis.admin_password.reveal()),
                username=redis.exporter_username,
                password=self.exporter_password,
                tls=redis.tls,
                tls_ca_pem=redis.tls_ca_pem,
                check_keys=list(redis.check_keys),
                opts=child,
            )
            depends.append(self.acl_user)
        tls_dir = EXPORTER.tls_dir
        self.files = [
            secret_file(
                PASSWORD_FILE, pulumi.Output.secret(self.exporter_password.apply(lambda pw: password_file(redis, pw)))
            ),
            *tls_files(tls_dir, args.ca_cert_pem, args.server),
        ]
        if redis.tls and redis.tls_ca_pem:
            self.files.append(config_file(REDIS_CA_FILE, redis.tls_ca_pem))
        networks = [NetworkAttachment(args.backend_network, [EXPORTER.name])]
        if not redis.demo:
            networks.append(NetworkAttachment(args.edge_network))  # the trading Redis is not on this host
        plan = ContainerPlan(
            service=EXPORTER,
            image=pulled_image(f"{name}-exporter-image", args.images["redis_exporter"], child),
            command=exporter_command(redis),
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

    def _demo_redis(self, name: str, redis: RedisSettings, args: RedisAccessArgs) -> pulumi.CustomResource:
        """The dev stack's Redis: ACL users only (default user off), the exporter's user rendered in."""

        child = pulumi.ResourceOptions(parent=self)
        admin_password: pulumi.Output[str] = pulumi.Output.secret(  # type: ignore[arg-type]
            random.RandomPassword(f"{name}-demo-admin-password", length=32, special=False, opts=child).result
        )
        self.demo_admin_password = admin_password
        files = pulumi.Output.all(admin_password, self.exporter_password).apply(
            lambda pws: render_demo_redis_files(
                redis.admin_username,
                password_sha256(pws[0]),
                redis.exporter_username,
                password_sha256(pws[1]),
                redis.check_keys,
            )
        )
        data = stack_volume(f"{name}-demo-data", args.stack, "demo-redis-data", self)
        plan = ContainerPlan(
            service=DEMO,
            image=pulled_image(f"{name}-demo-image", args.images["demo_redis"], child),
            command=demo_redis_command(),
            entrypoint=[],  # the official image's entrypoint would chown and re-exec as root
            networks=[NetworkAttachment(args.backend_network, [DEMO.name])],
            healthcheck=Healthcheck(["redis-cli", "-p", str(DEMO.port), "ping"]),
            uploads=[
                config_file(CONF_PATH, files.apply(lambda f: f[CONF_PATH])),
                secret_file(ACL_PATH, pulumi.Output.secret(files.apply(lambda f: f[ACL_PATH]))),
            ],
            volumes=[(data.name, DEMO.data_dir, False)],
            memory_mb=192,
            stack=args.stack,
        )
        return hardened_container(f"{name}-demo", catalog.container_name(args.stack, DEMO), plan, child)
