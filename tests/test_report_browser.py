"""report.html in a real browser: Debian's chromium, driven through chromium-driver by selenium.

The overall findings table filters by status, severity, account, region, check and control and by typed
words, and sorts on a heading click; the page asks for nothing over the network and logs no console error.
Where chromium, its driver or selenium is missing, every test here skips and says which.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.library.config import Config
from auditpack.models import Assessment
from auditpack.pack.lifecycle import PackBuilder
from tests.browser import chromium, requests_made, unavailable

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=unavailable() or "")


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> tuple[Path, Assessment]:
    with PackBuilder(tmp_path_factory.mktemp("browser") / "pack") as builder:
        assessment = synthetic_assessment(findings=400, controls=8, checks=8, accounts=3, pack=builder.path)
        builder.write(assessment, Config(), ["html"])
        builder.seal(assessment, sealed_by="auditpack scan")
        return builder.publish(), assessment


@pytest.fixture(scope="module")
def page(pack):
    path, _ = pack
    with chromium() as driver:
        driver.get((path / "report.html").resolve().as_uri())
        yield driver


def visible_rows(driver) -> list[dict[str, str]]:
    """The rows the table shows, after asking for all of them (it shows a page at a time)."""
    show_all = driver.find_element("id", "findings-all")
    if show_all.is_displayed():
        show_all.click()
    more = driver.find_element("id", "findings-more")
    while more.is_displayed():
        more.click()
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#findings-table tbody tr'))
          .map(r => ({status: r.dataset.status, severity: r.dataset.severity, account: r.dataset.account,
                      region: r.dataset.region, check: r.dataset.check, control: r.dataset.control,
                      text: r.textContent}));""")


def choose(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, f"select[data-findings-filter='{name}']")).select_by_value(value)


def reset(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "findings-clear").click()


def test_the_table_lists_every_finding_a_page_at_a_time(page, pack):
    _, assessment = pack
    total = len(assessment.findings)
    reset(page)

    def rows() -> int:
        return page.execute_script("return document.querySelectorAll('#findings-table tbody tr').length")

    assert rows() == 250 < total
    counter = page.find_element("id", "findings-count")
    assert counter.text == f"{total} of {total} findings match; the first 250 are shown"
    page.find_element("id", "findings-more").click()
    assert rows() == min(500, total)
    assert len(visible_rows(page)) == total
    assert page.find_element("id", "findings-count").text == f"{total} of {total} findings match"


@pytest.mark.parametrize("name", ["status", "severity", "account", "region", "check", "control"])
def test_each_filter_shows_exactly_the_matching_findings(page, pack, name):
    _, assessment = pack
    reset(page)

    def values(f) -> list[str]:
        return {"status": [f.status.value], "severity": [f.severity.value], "account": [f.account],
                "region": [f.region], "check": [f.check_id], "control": list(f.control_ids)}[name]

    counts = Counter(v for f in assessment.findings for v in values(f))
    assert len(counts) >= 2, f"the synthetic assessment should vary in {name}"
    for value, expected in counts.most_common(3):
        choose(page, name, value)
        rows = visible_rows(page)
        assert len(rows) == expected, (name, value)
        if name == "control":
            assert all(value in r["control"].split() for r in rows)
        else:
            assert {r[name] for r in rows} == {value}
    reset(page)


def test_filters_combine_with_typed_words(page, pack):
    from selenium.webdriver.common.by import By

    _, assessment = pack
    reset(page)
    choose(page, "status", "fail")
    target = next(f for f in assessment.findings if f.status.value == "fail")
    box = page.find_element(By.ID, "findings-search")
    box.send_keys(target.resource.name)
    rows = visible_rows(page)
    expected = [f for f in assessment.findings if f.status.value == "fail" and target.resource.name.lower() in (
        f.resource.name + " " + f.resource.arn + " " + f.message + " " + f.check_id).lower()]
    assert rows and len(rows) <= len(expected)
    assert all(r["status"] == "fail" and target.resource.name.lower() in r["text"].lower() for r in rows)
    box.clear()
    reset(page)


SEVERITY_RANK = {"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def test_sorting_by_a_heading_orders_the_rows_and_again_reverses_them(page):
    from selenium.webdriver.common.by import By

    reset(page)
    heading = page.find_element(By.CSS_SELECTOR, "#findings-table th[data-column='severity']")
    heading.click()
    ranks = [SEVERITY_RANK[r["severity"]] for r in visible_rows(page)]
    assert ranks == sorted(ranks) and heading.get_attribute("aria-sort") == "ascending"
    heading.click()
    ranks = [SEVERITY_RANK[r["severity"]] for r in visible_rows(page)]
    assert ranks == sorted(ranks, reverse=True) and heading.get_attribute("aria-sort") == "descending"
    account = page.find_element(By.CSS_SELECTOR, "#findings-table th[data-column='account']")
    account.click()
    accounts = [r["account"] for r in visible_rows(page)]
    assert accounts == sorted(accounts) and len(set(accounts)) > 1
    choose(page, "status", "fail")  # sorting and filtering together: the shown rows keep the order
    shown = [r["account"] for r in visible_rows(page)]
    assert shown == sorted(shown)
    reset(page)


def test_the_page_makes_no_network_request_and_logs_no_console_error(pack):
    path, _ = pack
    with chromium() as driver:
        url = (path / "report.html").resolve().as_uri()
        driver.get(url)
        choose(driver, "severity", "high")
        driver.find_element("css selector", "#findings-table th[data-column='check']").click()
        made = requests_made(driver)
        assert [u for u, document in made if document == url] == [url], "the report is one self-contained file"
        assert [u for u, _ in made if not u.startswith(("file://", "chrome://", "data:"))] == [], "no network"
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
        console = driver.get_log("browser")  # read once: chromedriver hands each entry out once
        assert [e for e in console if e["level"] in ("SEVERE", "ERROR", "WARNING")] == [], console
