#!/usr/bin/env python3
"""The live demo in a real browser: starts `roster-sim serve` on a free port
and drives headless Chromium (Debian's chromium and chromium-driver, through
python3-selenium) through the page: load, scroll to several depths, switch
channels (one with a list of its own, one sharing another's, one the user
may not view), with churn running between the checks.

At each check the churn is paused (POST /api/churn?paused=1), the test waits
until the page has received every dispatch the server sent its session
(the "s" of /debug/rows?session=...), and then every row the page has drawn
(read back from the DOM) must equal the server's own row at that index
(/debug/rows): headers by section and count, members by id, name and
status. Every drawn row lies in a subscribed chunk, so none may be unknown.
The private channel must be refused and show no row.

Usage: test_serve.py ROSTER_SIM [--screenshots DIR]
Exit: 0 ok, 1 failure, 77 skipped (selenium, chromium or chromedriver
missing: .ci/install-deps test installs them when it can).
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

SKIP = 77


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def find_browser():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        # Debian's python3-selenium is for Debian's python3: when another
        # python3 comes first on PATH (pyenv, a venv), run again with it.
        system = "/usr/bin/python3"
        if os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system) \
                and not os.environ.get("ROSTER_BROWSER_REEXEC"):
            os.environ["ROSTER_BROWSER_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
        return None, None, "python3-selenium is not installed"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium:
        return None, None, "chromium is not installed"
    if not driver:
        return None, None, "chromedriver (chromium-driver) is not installed"
    return chromium, driver, None


class Demo:
    def __init__(self, sim):
        self.proc = subprocess.Popen(
            [sim, "serve", "--port", "0", "--members", "3000", "--rate", "100", "--seed", "7"],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            fail("roster-sim serve printed no URL: %r" % line)
        self.url = line.split()[2]
        print("server: " + self.url, flush=True)

    def get(self, path, method="GET"):
        req = urllib.request.Request(self.url.rstrip("/") + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode())

    def churn(self, query):
        return self.get("/api/churn?" + query, method="POST")

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("roster-sim serve did not stop on SIGTERM")
        return rc


def wait_for(what, fn, timeout=30.0):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


class Page:
    def __init__(self, driver, demo):
        self.d = driver
        self.demo = demo

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def current(self):
        return self.js("return window.rosterDemo.current;")

    def rendered(self):
        return self.js("window.rosterDemo.draw(); return window.rosterDemo.renderedRows();")

    def channel_by_name(self, name):
        chans = self.js("return window.rosterDemo.channels;")
        for c in chans:
            if c["name"] == name:
                return c
        fail("no channel #" + name)

    def settle(self):
        """Every drawn row known (the subscription's SYNC has arrived)."""
        def known():
            rows = self.rendered()
            return rows and all(r["kind"] != "unknown" for r in rows)
        wait_for("the drawn rows to be known", known)

    def compare(self, label):
        """Pauses the churn, waits for the page to catch up, compares every
        drawn row with the server's, resumes."""
        self.settle()
        self.demo.churn("paused=1")
        channel = self.current()
        session = self.js("return window.rosterDemo.sessionId;")
        state = self.demo.get("/debug/rows?channel=%s&start=0&end=0&session=%s" % (channel, session))
        seq = state["seq"]
        wait_for("the page to receive s=%d" % seq,
                 lambda: self.js("return window.rosterDemo.seq;") >= seq)
        rows = self.rendered()
        if not rows:
            fail(label + ": no row drawn")
        lo = min(r["index"] for r in rows)
        hi = max(r["index"] for r in rows)
        truth = self.demo.get("/debug/rows?channel=%s&start=%d&end=%d&session=%s"
                              % (channel, lo, hi, session))
        if truth["seq"] != seq:
            fail(label + ": the server sent more while paused")
        by_index = {r["index"]: r for r in truth["rows"]}
        list_id = truth["list_id"]
        length = self.js("return window.rosterDemo.lists.get(arguments[0]).rows.length;", list_id)
        if length != truth["length"]:
            fail("%s: the page's list has %d rows, the server's %d" % (label, length, truth["length"]))
        for r in rows:
            t = by_index.get(r["index"])
            if t is None:
                fail("%s: row %d drawn past the end of the list" % (label, r["index"]))
            if r["kind"] != t["kind"]:
                fail("%s: row %d is a %s on the page, a %s on the server"
                     % (label, r["index"], r["kind"], t["kind"]))
            if r["kind"] == "header":
                if r["group"] != t["group"] or r["count"] != t["count"] or \
                        not r["text"].endswith(str(t["count"])):
                    fail("%s: header %d: page %r, server %r" % (label, r["index"], r, t))
            else:
                if r["id"] != t["id"] or r["name"] != t["name"] or r["status"] != t["status"] \
                        or t["status"] not in r["dot"]:
                    fail("%s: member row %d: page %r, server %r" % (label, r["index"], r, t))
        covered = self.js("return window.rosterDemo.coveredRows();")
        if covered:
            fail("%s: rows %r are drawn but covered" % (label, covered))
        top = self.js("return Math.floor(document.getElementById('scroller').scrollTop / 42);")
        sticky = self.js("return window.rosterDemo.stickySection();")
        if top > 0:
            want = by_index[top]["group"]
            if sticky != want:
                fail("%s: the sticky header shows %r, the top row is in %r" % (label, sticky, want))
        elif sticky is not None:
            fail("%s: a sticky header over the list's first row" % label)
        print("%s: %d rows drawn [%d, %d] of %d (list %s, s=%d): all equal to the server's"
              % (label, len(rows), lo, hi, truth["length"], list_id, seq), flush=True)
        self.demo.churn("paused=0")
        return truth

    def churn_for(self, seconds):
        before = self.js("return window.rosterDemo.framesTotal;")
        time.sleep(seconds)
        after = self.js("return window.rosterDemo.framesTotal;")
        if after <= before:
            fail("no frame received during %.1f s of churn" % seconds)
        return after - before

    def scroll(self, row):
        self.js("window.rosterDemo.scrollToRow(arguments[0]);", row)
        time.sleep(0.2)

    def switch(self, name):
        c = self.channel_by_name(name)
        self.d.find_element("css selector", '#channel-list li[data-channel="%s"]' % c["id"]).click()
        wait_for("#" + name + " to be shown", lambda: self.current() == c["id"])
        return c


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    sim = sys.argv[1]
    shots = None
    if len(sys.argv) >= 4 and sys.argv[2] == "--screenshots":
        shots = sys.argv[3]
        os.makedirs(shots, exist_ok=True)
    chromium, driver_path, why = find_browser()
    if why:
        print("SKIP: " + why, flush=True)
        return SKIP
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    demo = Demo(sim)
    driver = None
    try:
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1200,760", "--force-device-scale-factor=1"):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
        driver.set_script_timeout(30)
        driver.get(demo.url)
        page = Page(driver, demo)
        wait_for("READY", lambda: page.js("return window.rosterDemo.ready;"))
        general = page.channel_by_name("general")
        wait_for("#general", lambda: page.current() == general["id"])

        # Load: the top of #general, then churn, then deeper and deeper.
        truth = page.compare("#general top")
        length = truth["length"]
        if length < 1000:
            fail("#general has only %d rows: the test wants a long list" % length)
        print("churn: %d frames in 1.5 s" % page.churn_for(1.5), flush=True)
        if shots:
            driver.save_screenshot(os.path.join(shots, "serve-general.png"))
        for depth in (150, 420, length // 2, length - 30):
            page.scroll(depth)
            page.compare("#general at row %d" % depth)
            page.churn_for(1.0)
        page.compare("#general after churn")

        # Another list: #lounge (denied to a role), deep.
        lounge = page.switch("lounge")
        if lounge["member_list_id"] == general["member_list_id"]:
            fail("#lounge has #general's list id")
        page.compare("#lounge top")
        page.scroll(700)
        page.churn_for(1.0)
        page.compare("#lounge at row 700")
        if shots:
            driver.save_screenshot(os.path.join(shots, "serve-lounge.png"))

        # #staff, then #announcements: the same list id (one roster list).
        staff = page.switch("staff")
        page.compare("#staff")
        ann = page.switch("announcements")
        if ann["member_list_id"] != staff["member_list_id"]:
            fail("#announcements and #staff should share a list id")
        page.churn_for(1.0)
        page.compare("#announcements")

        # #admins: the user may not view it; the request is refused.
        admins = page.switch("admins")
        wait_for("the refusal of #admins",
                 lambda: page.js("return window.rosterDemo.refused.has(arguments[0]);",
                                 admins["id"]))
        # The page draws in the next animation frame after the refusal
        # came: give it that frame (and a slow machine's delay) before
        # looking.
        end = time.monotonic() + 5.0
        while (page.js("return document.getElementById('refused').hidden;")
               and time.monotonic() < end):
            time.sleep(0.05)
        if page.js("return document.getElementById('refused').hidden;"):
            fail("#admins: the refusal is not shown")
        if page.rendered():
            fail("#admins: rows are drawn for a refused channel")
        if shots:
            driver.save_screenshot(os.path.join(shots, "serve-refused.png"))
        print("#admins: refused, no row drawn", flush=True)

        # Back to #general: the list is there again and right.
        page.switch("general")
        page.churn_for(1.0)
        page.compare("#general again")
        stats = demo.get("/api/state")
        print("server: %d events applied, %d dispatches, %d bytes"
              % (stats["events"], stats["dispatches"], stats["bytes"]), flush=True)
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        if errors:
            fail("the page logged errors: %r" % errors)
    finally:
        if driver:
            driver.quit()
        rc = demo.stop()
    if rc != 0:
        fail("roster-sim serve exited with %d" % rc)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
