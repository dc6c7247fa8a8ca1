"""The stack layer, above the services: it joins the shared settings (components/core/settings) and every
service's own (`components/<service>/settings.py`) into one `Settings` (`settings`) and one key table (`keys`)."""
