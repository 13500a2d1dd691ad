#!/usr/bin/env python3
"""Opens an rh-batch report.html from file:// in headless Chromium (Selenium) and reports what a
person would see, as JSON on the last line of output.

    check_report_page.py REPORT.html [--screenshot OUT.png] [--filter-model M] [--search TEXT]

It waits for the page to say it is ready, then counts job cells, result media and failure
reasons, checks that hostile text stayed text (no injected script ran, no injected element
exists), tries the model, status and search filters, opens a cell's detail dialog, and saves a
screenshot. With --time it prints only the time to interactive (navigation start to the page's
ready mark), for the benchmark. With --resources DIR it opens a copy of the page whose style
sheet and script are loaded as the files DIR/contact-sheet.css and DIR/contact-sheet.js (the
project's sources of them), after checking that the page embeds exactly those files.
"""
import argparse
import json
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def browser(width=1400, height=1000):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--allow-file-access-from-files"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def with_resource_files(report, resources):
    """A copy of the page beside it that loads its style sheet and script from the resource files."""
    page = report.read_text(encoding="utf-8")
    css = (resources / "contact-sheet.css").read_text(encoding="utf-8")
    js = (resources / "contact-sheet.js").read_text(encoding="utf-8")
    for embedded in ("<style>" + css + "</style>", "<script>" + js + "</script>"):
        if page.count(embedded) != 1:
            sys.exit("the page does not embed the resource file as it is: " + embedded[:40])
    page = page.replace("<style>" + css + "</style>", '<link rel="stylesheet" href="%s">' % (resources / "contact-sheet.css").resolve().as_uri())
    page = page.replace("<script>" + js + "</script>", '<script src="%s"></script>' % (resources / "contact-sheet.js").resolve().as_uri())
    # The page's policy allows inline code only; the copy also allows the two files.
    policy = "style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    if page.count(policy) != 1:
        sys.exit("the page's content security policy is not the one expected")
    page = page.replace(policy, "style-src 'unsafe-inline' file:; script-src 'unsafe-inline' file:")
    copy = report.with_name("report-files.html")
    copy.write_text(page, encoding="utf-8")
    return copy.resolve().as_uri()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--screenshot")
    parser.add_argument("--filter-model")
    parser.add_argument("--search")
    parser.add_argument("--time", action="store_true")
    parser.add_argument("--resources")
    args = parser.parse_args()
    url = Path(args.report).resolve().as_uri()
    if args.resources:
        url = with_resource_files(Path(args.report), Path(args.resources))
    driver = browser()
    try:
        driver.get(url)
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.documentElement.getAttribute('data-ready')") == "true")
        if args.time:
            ready = driver.execute_script("return window.rhReady")
            loaded = driver.execute_script("return performance.getEntriesByType('resource').filter(function (r) { return /\\.(png|jpe?g|webp|gif)$/.test(r.name); }).length")
            cells = driver.execute_script("return document.querySelectorAll('.job img').length")
            print(json.dumps({"interactiveMs": ready, "imagesInPage": cells, "imagesFetched": loaded}))
            return 0
        count = lambda css: len(driver.find_elements(By.CSS_SELECTOR, css))
        summary = {
            "title": driver.title,
            "jobs": count(".job"),
            "media": count(".job img, .job video, .job audio, .job a"),
            "failed": count(".job.failed"),
            "reasons": [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".job .reason")],
            "prompts": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "th.row .prompt")],
            "scripts": count("script"),
            "injected": driver.execute_script("return [window.__pwned === undefined ? null : window.__pwned, document.querySelectorAll('[data-injected], b.injected').length]"),
            "totals": {e.get_attribute("data-total"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-total]")},
            "simulated": count("header .sim") == 1,
            "shown": driver.find_element(By.ID, "shown-count").text,
            # The style sheet applied: the header is laid out as it says.
            "styled": driver.execute_script("return getComputedStyle(document.querySelector('header')).display") == "flex",
        }
        # Lazy images in view load from file:// (nothing blocks them).
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "var i = document.querySelector('.job img'); return i !== null && i.complete && i.naturalWidth > 0"))
        summary["firstImageWidth"] = driver.execute_script("return document.querySelector('.job img').naturalWidth")
        summary["inputImages"] = count("th.row .inputs img")
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
        # Filters change what is visible, without reloading.
        marker = driver.execute_script("window.__sameDocument = 1; return 1")
        if args.filter_model:
            Select(driver.find_element(By.CSS_SELECTOR, "select[data-filter=model]")).select_by_value(args.filter_model)
            summary["afterModelFilter"] = {"jobs": count(".job"), "models": sorted({e.get_attribute("data-column").split("\u0000")[0] for e in driver.find_elements(By.CSS_SELECTOR, "th[data-column]")})}
            Select(driver.find_element(By.CSS_SELECTOR, "select[data-filter=model]")).select_by_value("")
        status = Select(driver.find_element(By.CSS_SELECTOR, "select[data-filter=status]"))
        if "failed" in [o.get_attribute("value") for o in status.options]:
            status.select_by_value("failed")
            summary["afterStatusFilter"] = {"jobs": count(".job"), "statuses": sorted({e.get_attribute("data-status") for e in driver.find_elements(By.CSS_SELECTOR, ".job")})}
            status.select_by_value("")
        if args.search:
            box = driver.find_element(By.CSS_SELECTOR, "input[data-filter=search]")
            box.send_keys(args.search)
            summary["afterSearch"] = {"jobs": count(".job"), "prompts": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "th.row .prompt")]}
            box.clear()
            box.send_keys(" ")
            box.clear()
        summary["sameDocument"] = driver.execute_script("return window.__sameDocument") == marker
        # A click opens the detail dialog with the job's prompt and its result.
        driver.find_element(By.CSS_SELECTOR, ".job.succeeded").click()
        dialog = driver.find_element(By.ID, "detail")
        summary["dialogOpen"] = dialog.get_attribute("open") is not None
        summary["dialogText"] = driver.find_element(By.ID, "detail-body").text
        summary["dialogMedia"] = count("#detail-body img, #detail-body video, #detail-body audio")
        summary["injectedAfterAll"] = driver.execute_script("return window.__pwned === undefined ? null : window.__pwned")
        print(json.dumps(summary))
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
