"""Every setting Roster reads, from ROSTER_* environment variables (see README)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_COMPANY_EXTENSION = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTER_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///roster.db",
        description="sqlite:///PATH (embedded default) or postgresql://USER@HOST/DB",
    )
    public_url: str = Field(
        default="",
        description="Public base URL (https://roster.example.com) used in meta.location; "
        "empty means the URL the request came in on",
    )
    company_extension_urn: str = Field(
        default=DEFAULT_COMPANY_EXTENSION,
        description="URN of the company extension schema (dates, location, custom attributes)",
    )
    max_body_bytes: int = Field(default=1024 * 1024, description="Largest request body accepted")
    max_group_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        description="Largest body for /Groups requests (a Push Now of 100,000 members)",
    )
    max_page_size: int = Field(default=1000, description="Largest count a list request returns")
    default_page_size: int = Field(default=100, description="count when a list omits it")
    max_filter_length: int = Field(default=4096, description="Longest filter accepted")
    max_patch_operations: int = Field(default=1000, description="Most operations in one PATCH")
    max_members_per_request: int = Field(
        default=100_000, description="Most group members in one request"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(default=True, description="One JSON object per log line")
    token_last_used_resolution_seconds: int = Field(
        default=60, description="How often a token's last-used time is written"
    )

    redis_url: str = Field(
        default="", description="redis://HOST:PORT/DB to share rate limits across workers"
    )
    secret_key: str = Field(
        default="",
        description="Key that signs short-lived browser state (the SAML request-id cookie); "
        "set the same value on every machine. Empty: read or create secret_key_file",
    )
    secret_key_file: str = Field(
        default="roster-secret.key",
        description="Where a generated secret key is kept when ROSTER_SECRET_KEY is empty",
    )
    rate_limit_per_company: int = Field(
        default=2000, description="Requests per second per company (0 = no limit)"
    )
    rate_limit_per_token: int = Field(
        default=1000, description="Requests per second per token (0 = no limit)"
    )

    rate_limit_unauthenticated: int = Field(
        default=120,
        description="SCIM requests per minute per client address whose token is missing or "
        "wrong, answered 401; past it 429 until the minute ends (0 = no limit). A valid "
        "token is never refused for another client's failures",
    )

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def token_last_used_seconds_delta(self) -> timedelta:
        return timedelta(seconds=self.token_last_used_resolution_seconds)

    database_pool_size: int = Field(
        default=20, description="Read connections per worker; writes get half as many"
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (CIDR) of the reverse proxies in "
        "front of Roster whose X-Forwarded-For and X-Forwarded-Proto are believed; empty "
        "(the default) believes no one, so a client cannot choose the address its sign-in "
        "attempts are counted against",
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token /metrics requires; empty: /metrics is open, unless "
        "metrics_port serves it elsewhere",
    )
    metrics_port: int = Field(
        default=0,
        description="Serve metrics on this port only, not on the public one (0: on the "
        "public port); one process's metrics, so only with one worker",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the metrics port is bound to"
    )
    # --- Events out ---
    events_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days the events feed keeps each event (a reader that falls further "
        "behind is told so and starts again)",
    )
    # --- Admin console ---
    cookie_secure: bool = Field(
        default=True,
        description="Mark the console's session cookie Secure (browsers still accept it on "
        "http://localhost); turn off only to try the console over plain HTTP on another host",
    )
    max_csv_bytes: int = Field(
        default=64 * 1024 * 1024, description="Largest CSV file the console accepts for import"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
