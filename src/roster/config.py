"""Every setting Roster reads, from ROSTER_* environment variables (see README)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_COMPANY_EXTENSION = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"
# Retries after a failed webhook delivery, in seconds: about three days in all, then the
# delivery is dead-lettered (docs/events.md).
DEFAULT_RETRY_SCHEDULE = "5,30,120,600,1800,3600,10800,21600,43200,86400,86400"


class SettingError(ValueError):
    """A setting whose value cannot be used; the message names the variable and the fix."""


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
    # --- Database upkeep ---
    statistics_seconds: float = Field(
        default=5.0,
        ge=0,
        description="PostgreSQL: how often roster serve looks for its tables whose planner "
        "statistics are stale (autovacuum's rule: 50 rows + 10 % changed) and analyzes "
        "them, so plans are right before autovacuum's next pass or where it is off "
        "(0: never; autovacuum alone)",
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

    # --- Webhooks (docs/events.md) ---
    delivery: str = Field(
        default="on",
        description="on: `roster serve` also delivers webhooks; off: it does not, and "
        "`roster events deliver` runs apart (on other machines, say)",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback, private, link-local and metadata "
        "addresses (a receiver on this machine, in tests); off, such URLs are refused when "
        "added and again at every delivery",
    )
    webhook_retry_schedule: str = Field(
        default=DEFAULT_RETRY_SCHEDULE,
        description="Seconds before each retry of a failed delivery, comma-separated; after "
        "the last the delivery is dead",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, description="How long one delivery may take (connect to last byte)"
    )
    webhook_concurrency: int = Field(
        default=64, description="Deliveries one deliverer sends at once, all endpoints together"
    )
    webhook_per_endpoint: int = Field(
        default=4, description="Deliveries one deliverer sends at once to one endpoint"
    )
    webhook_poll_seconds: float = Field(
        default=1.0, description="How often the deliverer looks for new events and due retries"
    )

    def delivers_in_serve(self) -> bool:
        value = self.delivery.strip().lower()
        if value not in ("on", "off"):
            raise SettingError(
                f"ROSTER_DELIVERY={self.delivery!r}: use on (roster serve delivers webhooks) "
                "or off (run `roster events deliver` apart)"
            )
        return value == "on"

    def retry_delays(self) -> tuple[float, ...]:
        """ROSTER_WEBHOOK_RETRY_SCHEDULE as seconds, checked."""
        text = self.webhook_retry_schedule
        try:
            delays = tuple(float(part) for part in text.split(","))
        except ValueError:
            delays = ()
        if not delays or any(not 0 <= d <= 7 * 86400 for d in delays):
            raise SettingError(
                f"ROSTER_WEBHOOK_RETRY_SCHEDULE={text!r}: write comma-separated seconds "
                f"between 0 and 604800, e.g. {DEFAULT_RETRY_SCHEDULE}"
            )
        return delays

    def check_webhooks(self) -> None:
        """Every webhook setting usable, or a SettingError naming the one that is not."""
        self.delivers_in_serve()
        self.retry_delays()
        for name in ("webhook_timeout_seconds", "webhook_poll_seconds"):
            if not 0 < getattr(self, name) <= 600:
                raise SettingError(f"ROSTER_{name.upper()}: give seconds between 0 and 600")
        for name in ("webhook_concurrency", "webhook_per_endpoint"):
            if not 1 <= getattr(self, name) <= 10_000:
                raise SettingError(f"ROSTER_{name.upper()}: give a number from 1 to 10000")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
