"""The one table of config keys: the shared ones (components/core/settings/keys.py), then each service's own,
declared beside its readers. Pulumi.yaml's `config:` block, docs/configuration.md's reference and the known
and secret keys all come from it (tests/unit/test_config_keys.py, test_readme.py)."""

from __future__ import annotations

from typing import Any

from components.alertmanager import settings as alertmanager
from components.core.settings.keys import CORE_KEYS, ConfigKey
from components.duckdb import settings as duckdb
from components.firewall import settings as firewall
from components.prometheus import settings as prometheus
from components.proxy import settings as proxy
from components.redis import settings as redis

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    *CORE_KEYS,
    *firewall.KEYS,
    *proxy.KEYS,
    *prometheus.KEYS,
    *alertmanager.KEYS,
    *redis.KEYS,
    *duckdb.KEYS,
)
BY_KEY = {spec.key: spec for spec in CONFIG_KEYS}
KNOWN_KEYS = tuple(BY_KEY)
SECRET_KEYS = tuple(spec.key for spec in CONFIG_KEYS if spec.secret)
assert len(BY_KEY) == len(CONFIG_KEYS), "a config key is declared twice"  # noqa: S101 - an import-time invariant


def default_of(key: str) -> Any:
    """The default the table declares for `key` (KeyError when it declares none)."""
    spec = BY_KEY[key]
    if not spec.has_default:
        raise KeyError(f"{key} has no declared default")
    return spec.default
