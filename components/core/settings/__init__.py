"""The shared settings and the machinery every service's settings use.

Defaults live in code (Pulumi mocks do not apply Pulumi.yaml defaults), in the key tables. Every problem is
collected and reported together, before any resource is created, each naming the config key, the bad value
and what is expected; an unknown key at any depth names the closest valid one.

- `types`: the shared immutable values (TLS, edge limits, networks, hosts) and `SecretValue`
- `keys`: how a config key is declared (`ConfigKey`) and the shared keys (`CORE_KEYS`)
- `reader`: typed access to raw config, collecting problems (`Reader`, `unknown_key`); `SettingsError`
- `declare`: a section declared as a pydantic model (`Declared`, `read_declared`) and its reference rows
- `edge`, `limits`, `hosts`, `egress`, `images`: the shared sections' readers

Each service declares and reads its own keys in `components/<service>/settings.py`; the stack layer
(components/stack) joins them into `Settings`. Nothing here imports a service package
(tests/unit/test_layers.py).
"""

from components.core.settings.keys import CORE_KEYS, ConfigKey
from components.core.settings.limits import Limits
from components.core.settings.reader import ConfigReader, Reader, SettingsError
from components.core.settings.types import (
    DEFAULT_NETWORKS,
    HostSettings,
    NetworkSettings,
    SecretValue,
    TlsSettings,
)

__all__ = [
    "CORE_KEYS",
    "DEFAULT_NETWORKS",
    "ConfigKey",
    "ConfigReader",
    "HostSettings",
    "Limits",
    "NetworkSettings",
    "Reader",
    "SecretValue",
    "SettingsError",
    "TlsSettings",
]
