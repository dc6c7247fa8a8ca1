"""Typed, validated stack settings.

Everything the program needs from `pulumi config` is read here, once, into one immutable
`Settings` object. Defaults live in code (Pulumi mocks do not apply Pulumi.yaml defaults): the
top-level ones in the config key table (`keys`), the nested ones beside their section's reader.
Every problem is collected and reported together, before any resource exists, each naming the
config key, the bad value and what is expected.

- `types`: the immutable values (`Settings` and one type per section)
- `keys`: the table of config keys (Pulumi.yaml, the reference in docs/configuration.md and the known keys come from it)
- `reader`: typed access to raw strings, collecting problems; `SettingsError`
- `edge`, `users`, `alerting`, `routing`, `sources`: one reader per section
- `load`: `load_settings` and `from_pulumi_config`
"""

from components.core.settings.keys import CONFIG_KEYS, KNOWN_KEYS, SECRET_KEYS, ConfigKey
from components.core.settings.load import from_pulumi_config, load_settings
from components.core.settings.reader import ConfigReader, SettingsError
from components.core.settings.types import (
    DEFAULT_NETWORKS,
    AlertRouting,
    DuckDbSettings,
    EmailSettings,
    Limits,
    LogLimits,
    NetworkSettings,
    QueryLimits,
    Receiver,
    RedisSettings,
    RemoteWrite,
    Route,
    ScrapeTarget,
    SecretValue,
    Settings,
    SilenceLimits,
    TimeInterval,
    TlsSettings,
    User,
)

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_NETWORKS",
    "KNOWN_KEYS",
    "SECRET_KEYS",
    "AlertRouting",
    "ConfigKey",
    "ConfigReader",
    "DuckDbSettings",
    "EmailSettings",
    "Limits",
    "LogLimits",
    "NetworkSettings",
    "QueryLimits",
    "Receiver",
    "RedisSettings",
    "RemoteWrite",
    "Route",
    "ScrapeTarget",
    "SecretValue",
    "Settings",
    "SettingsError",
    "SilenceLimits",
    "TimeInterval",
    "TlsSettings",
    "User",
    "from_pulumi_config",
    "load_settings",
]
