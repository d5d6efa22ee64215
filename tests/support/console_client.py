"""An HTTP client for the console that keeps its cookies by hand: the session cookie is
Secure, and http.cookiejar (rightly) never sends a Secure cookie over plain HTTP, while
browsers make an exception for localhost."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self) -> None:
        self.http.close()

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        match = (
            _CSRF.search(response.text)
            if "html" in response.headers.get("content-type", "")
            else None
        )
        if match:
            self.csrf = match.group(1)
        return response

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def get(self, url: str, **kw: Any) -> httpx.Response:
        headers = self._headers(kw.pop("headers", None))
        return self._keep(self.http.get(url, headers=headers, **kw))

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        headers = self._headers(kw.pop("headers", None))
        form = dict(data or {})
        if csrf and "csrf_token" not in form:
            form["csrf_token"] = self.csrf
        return self._keep(self.http.post(url, data=form, headers=headers, **kw))

    def login(self, company: str, email: str, password: str) -> httpx.Response:
        self.get("/admin/login")
        response = self.post(
            "/admin/login",
            {"company": company, "email": email, "password": password, "next": "/admin"},
        )
        if response.status_code == 303:
            self.get("/admin")  # the session's CSRF token
        return response
