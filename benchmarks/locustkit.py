"""The locust side of the HTTP load benchmarks: a signed-in browser (cookie jar,
CSRF, its own client address), TOTP codes, and sitting an exam as the exam page
describes it. Imported by benchmarks/storm/locustfile.py and
benchmarks/load/locustfile.py (the runners' side is benchmarks/loadkit.py).

Every user sends ``X-Real-IP`` with an address of its own: production trusts that
header from nginx, so the per-IP login rate limit sees many clients, not one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import struct
import time
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser
from locust.exception import StopUser

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELDSET = re.compile(r'data-position="(\d+)" data-qtype="(\w+)"')
BODY_CHARS = 300  # of an unexpected response, kept in the failure message


def sleep_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        gevent.sleep(delay)


def totp_code(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits): what an authenticator app shows."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def failure_text(name: str, response) -> str:
    """The status and the start of what the page says (its text, not its head)."""
    body = response.text or ""
    if "<body" in body:
        body = body.split("<body", 1)[1]
        body = re.sub(r"<(script|style|nav|header)\b.*?</\1>", " ", body, flags=re.S)
        body = re.sub(r"<[^>]+>", " ", body)
    return f"{name}: HTTP {response.status_code} {' '.join(body.split())[:BODY_CHARS]}"


class Browser(FastHttpUser):
    """One person at one browser. Subclasses call ``identify(index)`` first."""

    abstract = True

    def identify(self, index: int) -> None:
        self.index = index
        self.rng = random.Random(index)
        ip = 10 * 256 * 256 + index + 1
        self.headers = {"X-Real-IP": f"10.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}"}

    def csrf(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def get(self, path: str, name: str, *, expect: int = 200):
        with self.client.get(
            path,
            name=name,
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(failure_text(name, response))
            return response

    def post_form(self, path: str, name: str, data: dict, *, expect: int = 302):
        """A form post as the browser sends it (token in the body, Referer set),
        not following the redirect."""
        with self.client.post(
            path,
            # Encoded here: repeated fields (checkboxes) must be repeated keys.
            data=urlencode({**data, "csrfmiddlewaretoken": self.csrf()}, doseq=True),
            headers={
                **self.headers,
                "Referer": f"{self.host}{path}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(failure_text(name, response))
            return response

    def sign_in(self, username: str, password: str, totp_secret: str = "") -> bool:
        """allauth's login form, and its TOTP step when the account has one."""
        page = self.get("/accounts/login/", "login page")
        token = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={**self.headers, "Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            wanted = "/accounts/2fa/authenticate/" if totp_secret else ""
            if response.status_code != 302 or (wanted and wanted not in location):
                response.failure(f"{failure_text('login', response)} → {location!r}")
                return False
        if not totp_secret:
            return True
        self.get("/accounts/2fa/authenticate/", "login 2fa page")
        # A person whose app shows a code about to expire waits for the next one.
        if time.time() % 30 > 20:
            sleep_until(time.time() // 30 * 30 + 30.5)
        response = self.post_form(
            "/accounts/2fa/authenticate/", "login 2fa", {"code": totp_code(totp_secret)}
        )
        return response.status_code == 302

    # --- an exam, as the exam page describes it -----------------------------------

    def exam_start(self, quiz: str) -> tuple[str, list[dict]]:
        """Press "start"; returns the attempt's path and its items."""
        with self.client.post(
            f"/quizzes/{quiz}/start",
            data={"csrfmiddlewaretoken": self.csrf()},
            headers=self.headers,
            name="start",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 303 or "/attempts/" not in location:
                response.failure(f"{failure_text('start', response)} → {location!r}")
                raise StopUser
        attempt_path = location.split("://", 1)[-1]
        attempt_path = attempt_path[attempt_path.index("/attempts/") :]
        page = self.get(attempt_path, "attempt page")
        items = exam_items(page.text or "")
        if not items:
            raise StopUser
        return attempt_path, items

    def exam_autosave(
        self,
        attempt_path: str,
        items: list[dict],
        *,
        until: float,
        every: tuple[float, float],
    ) -> None:
        """An answer every ``every`` seconds (uniform) until ``until``."""
        seqs: dict[int, int] = {}
        while time.time() < until:
            gevent.sleep(self.rng.uniform(every[0], every[1]))
            if time.time() >= until:
                break
            item = self.rng.choice(items)
            seqs[item["position"]] = seqs.get(item["position"], 0) + 1
            with self.client.post(
                f"{attempt_path}answer",
                json={
                    "position": item["position"],
                    "response": exam_response(item, self.rng),
                    "seq": seqs[item["position"]],
                },
                headers={**self.headers, "X-CSRFToken": self.csrf()},
                name="answer",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(failure_text("answer", response))

    def exam_submit(self, attempt_path: str) -> None:
        with self.client.post(
            f"{attempt_path}submit",
            data={"csrfmiddlewaretoken": self.csrf()},
            headers={**self.headers, "Accept": "application/json"},
            name="submit",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or '"ok": true' not in (response.text or ""):
                response.failure(failure_text("submit", response))


def exam_items(html: str) -> list[dict]:
    """Positions, types and what each accepts, read from the exam page as a
    browser would (option values and blank inputs)."""
    items = []
    for position, qtype in FIELDSET.findall(html):
        keys = re.findall(rf'name="q-{position}" value="([^"]+)"', html)
        blanks = len(re.findall(rf'name="q-{position}-\d+"', html))
        items.append(
            {"position": int(position), "qtype": qtype, "keys": keys, "blanks": blanks}
        )
    return items


def exam_response(item: dict, rng: random.Random):
    qtype, keys = item["qtype"], item["keys"]
    if qtype in ("single", "true_false"):
        return rng.choice(keys)
    if qtype == "multiple":
        return sorted(rng.sample(keys, min(2, len(keys))))
    if qtype == "fill":
        return [
            rng.choice(["忠诚", "公正", "清廉", "文明"]) for _ in range(item["blanks"])
        ]
    return "忠诚、公正、清廉、文明。" * rng.randint(1, 5)
