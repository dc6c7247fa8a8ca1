"""Redis access: `component` (exporter, demo Redis), `acl` (the exporter's ACL rules), `provider` (the dynamic
provider that manages the ACL user) and `render` (the demo Redis's files)."""
