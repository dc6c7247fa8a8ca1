"""promshield CrossGuard policy pack: the table in `policy.policies`, one module per domain, built in
`policy/__main__.py`."""
