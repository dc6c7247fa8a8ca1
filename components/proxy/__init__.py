"""The NGINX proxy: `component`, `render` (nginx.conf and njs from `templates/`), `rbac` (the role table) and
`credentials` (passwords and their bcrypt hashes)."""
