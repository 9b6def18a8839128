"""A real browser for the view's tests: Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver (named, so that Selenium fetches nothing)."""
import os
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "ui-screenshots")


def start_browser(width=1500, height=950):
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height)):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def until(browser, script, seconds, *args):
    """The script's first truthy answer; fails after seconds."""
    deadline = time.monotonic() + seconds
    while True:
        answer = browser.execute_script(script, *args)
        if answer:
            return answer
        assert time.monotonic() < deadline, "not in the page after %s s: %s" % (seconds, script)
        time.sleep(0.05)


def screenshot(browser, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, name)
    browser.save_screenshot(path)
    return path
