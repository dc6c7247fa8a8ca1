"""promshield components: one package per service (its ComponentResource in `component.py`, its pure
renderer in `render.py`, its templates in `templates/`), and `core` for what they share."""
