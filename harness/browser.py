"""A real browser through the proxy: headless Chromium (Debian's) driven by playwright.

Not a test module: `test_25_ui.py` runs it as a subprocess inside a LAN client's network
namespace (`ip netns exec`), with its job as JSON on stdin (passwords never on a command line)
and the outcome as JSON on stdout. Chromium trusts the stack CA through the NSS database under
the `home` it is given (`$HOME/.pki/nssdb`, where Chromium on Linux reads user-trusted roots),
so certificate verification stays on: no `ignore_https_errors`, no ignore-certificate flags.

The browser is not slowed down (issue 22): a page loads as fast as Chromium asks for it, under
the acceptance stack's tight per-user limit (5/s, burst 5). The UI's pages and static files
have their own budget at the proxy (`limits.assetsPerSecond`/`assetBurst`), so only the API
requests a page makes spend the user's. Between two visits the browser waits `gap_seconds`, as
a person between two pages would (the bucket refills); within a page nothing is delayed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Request, Response, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a network namespace: Chromium's sandbox needs user namespaces we do not set up
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000


class NetworkLog:
    """Every request of a page: method, URL, status (or the failure), resource type."""

    def __init__(self, page: Page) -> None:
        self.entries: list[dict[str, Any]] = []
        self._by_request: dict[int, dict[str, Any]] = {}
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _request(self, request: Request) -> None:
        entry = {"method": request.method, "url": request.url, "type": request.resource_type, "status": None}
        self._by_request[id(request)] = entry
        self.entries.append(entry)

    def _response(self, response: Response) -> None:
        entry = self._by_request.get(id(response.request))
        if entry is not None:
            entry["status"] = response.status

    def _failed(self, request: Request) -> None:
        entry = self._by_request.get(id(request))
        if entry is not None:
            entry["failure"] = request.failure or "failed"


def visit(browser: Browser, job: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    credentials: dict[str, Any] = {
        "username": spec["user"],
        "password": spec["password"],
        "origin": spec["origin"],
        "send": "always",  # no 401 challenge round trip for every request
    }
    context = browser.new_context(http_credentials=credentials, viewport={"width": 1280, "height": 900})  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log = NetworkLog(page)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    result: dict[str, Any] = {"name": spec["name"], "requests": log.entries, "console": console}
    try:
        response = page.goto(spec["origin"] + spec["path"], wait_until="networkidle")
        result["document_status"] = response.status if response else None
        result["security"] = response.security_details() if response else None
        result["final_url"] = page.url
        action = spec.get("action")
        if action == "classic_query":
            page.fill("textarea.expression_input", spec["query"])
            page.click(".execute_btn")
            page.wait_for_function(
                "(want) => (document.querySelector('.console_table') || {}).innerText?.includes(want)",
                arg=spec["expect"],
            )
            page.wait_for_load_state("networkidle")
            result["result_text"] = page.inner_text(".console_table")
        result["body_text"] = page.inner_text("body")[:2000]
    except Exception as exc:  # reported to the test, which fails with it
        result["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if spec.get("screenshot"):
        shot = Path(job["out_dir"]) / f"{spec['name']}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            result["screenshot"] = str(shot)
        except Exception as exc:  # a failed screenshot is reported, not fatal
            result["screenshot_error"] = str(exc).splitlines()[0]
    context.close()
    return result


def cert_error(browser: Browser, url: str) -> str | None:
    """The navigation error of a browser that does NOT trust the stack CA (None if it loaded)."""
    page = browser.new_page()
    try:
        page.goto(url, timeout=TIMEOUT_MS)
    except Exception as exc:  # the error is the result
        return str(exc).splitlines()[0]
    finally:
        page.close()
    return None


def main() -> None:
    job = json.loads(sys.stdin.read())
    Path(job["out_dir"]).mkdir(parents=True, exist_ok=True)
    outcome: dict[str, Any] = {"visits": []}
    with sync_playwright() as playwright:

        def launch(home: str) -> Browser:
            return playwright.chromium.launch(
                executable_path=job["chromium"], headless=True, args=CHROMIUM_ARGS, env={"HOME": home}
            )

        browser = launch(job["home"])
        try:
            outcome["browser_version"] = browser.version
            for spec in job["visits"]:
                time.sleep(float(job["gap_seconds"]))
                outcome["visits"].append(visit(browser, job, spec))
        finally:
            browser.close()
        untrusting = launch(job["untrusting_home"])
        try:
            outcome["untrusted_error"] = cert_error(untrusting, job["untrusted_url"])
        finally:
            untrusting.close()
    json.dump(outcome, sys.stdout)


if __name__ == "__main__":
    main()
