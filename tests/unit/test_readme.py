"""The generated sections of README.md and the docs pages (roles, configuration, runbooks, thresholds)
match their sources, and the pages keep the promises other code relies on."""

from __future__ import annotations

import re
from pathlib import Path

from tools import readme

ROOT = Path(__file__).resolve().parents[2]


def test_generated_sections_are_current() -> None:
    assert readme.stale() == [], "run `python -m tools.readme`"


def test_every_config_key_is_documented() -> None:
    """The configuration page's reference lists every key (Pulumi.yaml declares only those with a
    default: tests/unit/test_config_keys.py)."""
    from components.stack.keys import KNOWN_KEYS

    text = readme.CONFIGURATION.read_text()
    assert all(f"`{key}`" in text for key in KNOWN_KEYS)


def test_every_threshold_is_documented() -> None:
    from components.prometheus.rules.thresholds import threshold_config_keys

    text = readme.ALERTING.read_text()
    table = text[text.index("<!-- BEGIN thresholds -->") : text.index("<!-- END thresholds -->")]
    assert all(f"`alertThresholds.{key}`" in table for key in threshold_config_keys())


def test_readme_names_the_two_commands_and_ci_runs_make_test() -> None:
    text = readme.README.read_text()
    assert "make up" in text and "make test" in text
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)


def test_the_readme_is_a_map() -> None:
    """Short, and a newcomer finds "add a user" from it in one step."""
    text = readme.README.read_text()
    assert len(text.splitlines()) <= 250
    assert "[add a user](docs/users-and-roles.md#add-a-user)" in text.split("## ", 2)[0]  # in the first lines


def test_the_architecture_picture_is_the_same_in_the_readme_and_the_docs() -> None:
    """The picture is drawn twice (the README is not part of the docs site): the copies must agree."""
    picture = re.compile(r"^```\n(trusted CIDR .*?)^```$", re.DOTALL | re.MULTILINE)
    pages = (readme.README, readme.DOCS / "development" / "architecture.md")
    found = [picture.search(path.read_text()) for path in pages]
    assert found[0] is not None and found[1] is not None
    assert found[0].group(1) == found[1].group(1), "copy the README's architecture picture to the docs page"


def slug(heading: str) -> str:
    """The anchor MkDocs (toc) and GitHub give a heading."""
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


def test_the_readme_links_resolve() -> None:
    """The README is not in the docs site (whose strict build checks its own links): its relative
    links must name files that exist, and headings that exist on them."""
    text = readme.README.read_text()
    links = re.findall(r"\]\(([^)#:]+)(?:#([^)]+))?\)", text)
    assert len(links) >= 15
    for target, anchor in links:
        path = ROOT / target
        assert path.exists(), target
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(), flags=re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, f"{target}#{anchor}"


def test_every_alert_has_a_runbook_anchor_where_its_runbook_url_points() -> None:
    """Each alert's `runbook_url` is `<page>#<anchor>`: the page exists and has the heading whose
    anchor (MkDocs' and GitHub's slug of `Runbook: <Alert>`) is that anchor."""
    import yaml

    from components.prometheus.rules import alert_names, render_rule_files

    urls = {
        rule["alert"]: rule["annotations"]["runbook_url"]
        for text in render_rule_files().values()  # the rule files as Prometheus gets them
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert sorted(urls) == sorted(alert_names())
    for name, url in urls.items():
        page, _, anchor = url.partition("#")
        text = (ROOT / page).read_text()
        assert f"### Runbook: {name}\n" in text, name
        assert anchor == "runbook-" + name.lower(), url


def test_the_docs_show_the_error_the_code_prints() -> None:
    """The configuration page's example is the program's own output for those three mistakes."""
    import json

    from components.core.settings import SettingsError
    from components.stack.settings import load_settings

    config = {
        "prometheusPort": "70000",
        "bindAddress": "0.0.0.0",
        "images": json.dumps({"prometheus": "prom/prometheus:latest"}),
    }
    try:
        load_settings(config.get, "dev", config.keys())
    except SettingsError as error:
        printed = f"error: {error}"
    assert f"```\n{printed}\n```" in readme.CONFIGURATION.read_text()


def test_the_configuration_table_shows_the_code_defaults() -> None:
    """Each default in the reference is the value the program uses when the key is unset
    (read back from `Settings`), spelt as one token: no YAML document-end marker, no newline."""
    import json

    from components.stack.settings import load_settings

    text = readme.CONFIGURATION.read_text()
    table = text[text.index("<!-- BEGIN config -->") : text.index("<!-- END config -->")]
    rows = re.findall(r"^\| `(\w+)` \| \w+ \| `([^`]*)` \|", table, flags=re.MULTILINE)
    assert len(rows) >= 10
    unset = load_settings(lambda _key: None, "readme")
    for key, shown in rows:
        assert "..." not in shown and "\\n" not in shown, (key, shown)
        used = getattr(unset, re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower())
        expected = json.dumps(list(used)) if isinstance(used, tuple) else readme._shown(used)
        assert shown == expected, f"the reference says {key} defaults to {shown}, the code uses {expected}"


def test_the_readme_maps_every_user_page_of_the_site() -> None:
    """Every page of the site's "Using it" section is linked from the README (the map)."""
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    using = next(entry["Using it"] for entry in nav if isinstance(entry, dict) and "Using it" in entry)
    pages = [page for entry in using for page in entry.values()]
    assert len(pages) >= 10
    text = readme.README.read_text()
    assert [p for p in pages if f"(docs/{p})" not in text and f"(docs/{p}#" not in text] == []
