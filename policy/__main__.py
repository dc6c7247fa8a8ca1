"""The promshield policy pack: `pulumi preview --policy-pack policy` runs this file.

Constructing `PolicyPack` starts the analyzer's gRPC server and blocks, so nothing but this
file builds it; the pack's table is `policy/policies.py` and the checks live in one module
per domain (containers, network, files, monitoring, firewall), imported by the tests too.
"""

import sys
from pathlib import Path

# The CLI runs this file with the pack's directory as the working directory: make the project
# root importable so the policies can read the fixed facts from components/core/catalog.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.policies import ALL_POLICIES, PACK_NAME

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(ALL_POLICIES),
    description=(
        "promshield guardrails: hardened containers, one published address, mTLS-only monitoring, strict secret "
        "files, a host firewall."
    ),
)
