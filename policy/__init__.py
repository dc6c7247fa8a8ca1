"""promshield CrossGuard policy pack: policies in `policy.policies`, the pack built in `policy/__main__.py`."""
