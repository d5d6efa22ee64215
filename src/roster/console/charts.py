"""SCIM requests and failures over time as a bar chart, drawn on the server as SVG (no
JavaScript, no build): the Overview and the provisioning log show it.

Each bar is an hour (last 7 days) or a day (last 30 days, UTC). A bar's failures are a
red cap on top of its requests and a link to the log filtered to those failures in that
hour or day, in the tab order with its figures as its name; every bar says its figures
in a tooltip (`<title>`). The chart is a group named by its totals, not an image (an
image may not hold links). The latest periods with failures are also links in the text
beside it, since a 5-pixel bar is a poor target for a finger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from markupsafe import Markup

from roster.console.web import ConsoleError
from roster.directory import provisioning_log
from roster.directory.provisioning_log import PERIODS, Bar
from roster.store.db import Database
from roster.store.tenants import Tenant

WIDTH = 1000  # the SVG's own units; it is drawn at the width of its box
HEIGHT = 160
GAP = 0.2  # of each bar's slot
LINKED_FAILURES = 5
LINK_WIDTH = 14.0  # of WIDTH: 4 px in a phone's chart


@dataclass(frozen=True)
class FailedPeriod:
    label: str
    failures: int
    href: str


@dataclass(frozen=True)
class Chart:
    period: str
    svg: Markup
    requests: int
    failures: int
    failed_periods: list[FailedPeriod]
    peak: int
    since: str  # the first bar's start, for the axis


def _when(bar: Bar, hourly: bool) -> str:
    day = f"{bar.start:%a %-d %b}"
    return f"{day}, {bar.start:%H:%M}–{bar.end:%H:%M} UTC" if hourly else f"{day} (UTC)"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ")


def failures_href(bar: Bar) -> str:
    query = {"outcome": "failures", "since": _iso(bar.start), "until": _iso(bar.end)}
    return "/admin/log?" + urlencode(query)


def chart(bars: list[Bar], period: str) -> Chart:
    hourly = PERIODS[period][1] == 1
    peak = max((b.requests for b in bars), default=0)
    slot = WIDTH / max(1, len(bars))
    width = slot * (1 - GAP)
    # A link (a bar's failures) is at least LINK_WIDTH wide, centred on its bar, so that
    # a phone's narrow chart still gives it a few pixels to point at and to show focus.
    link_width = max(width, LINK_WIDTH)
    parts: list[Markup] = []
    for i, bar in enumerate(bars):
        if not bar.requests:
            continue
        x = f"{i * slot + slot * GAP / 2:.2f}"
        height = max(2.0, HEIGHT * bar.requests / peak)
        failed = min(height, max(4.0, HEIGHT * bar.failures / peak)) if bar.failures else 0.0
        top = f"{HEIGHT - height:.2f}"
        tip = (
            f"{_when(bar, hourly)}: {bar.requests:,} request{'s' * (bar.requests != 1)}, "
            f"{bar.failures:,} failed"
        )
        # Markup.format escapes every argument.
        parts.append(
            Markup(
                '<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}">'
                "<title>{tip}</title></rect>"
            ).format(x=x, y=top, w=f"{width:.2f}", h=f"{height - failed:.2f}", tip=tip)
        )
        if failed:
            parts.append(
                Markup(
                    '<a href="{href}" aria-label="{tip}"><rect class="bar-failed" x="{x}" '
                    'y="{y}" width="{w}" height="{h}"><title>{tip}</title></rect></a>'
                ).format(
                    href=failures_href(bar),
                    tip=tip,
                    x=f"{i * slot + slot / 2 - link_width / 2:.2f}",
                    y=top,
                    w=f"{link_width:.2f}",
                    h=f"{failed:.2f}",
                )
            )
    requests = sum(b.requests for b in bars)
    failures = sum(b.failures for b in bars)
    days = PERIODS[period][0]
    label = (
        f"SCIM requests per {'hour' if hourly else 'day'}, last {days} days: "
        f"{requests:,} requests, {failures:,} failed"
    )
    svg = Markup(
        '<svg class="chart-bars" viewBox="0 0 {w} {h}" preserveAspectRatio="none" '
        'role="group" aria-label="{label}">'
        '<line class="chart-base" x1="0" y1="{h}" x2="{w}" y2="{h}"/>{bars}</svg>'
    ).format(w=WIDTH, h=HEIGHT, label=label, bars=Markup("").join(parts))
    failed_periods = [
        FailedPeriod(_when(b, hourly), b.failures, failures_href(b))
        for b in reversed(bars)
        if b.failures
    ][:LINKED_FAILURES]
    since = f"{bars[0].start:%a %-d %b}" if bars else ""
    return Chart(period, svg, requests, failures, failed_periods, peak, since)


def period_of(value: str | None) -> str:
    """The `chart` query parameter: 7d (the default) or 30d."""
    if not value:
        return "7d"
    if value not in PERIODS:
        raise ConsoleError(
            400, "Unknown chart period", f"chart must be one of {', '.join(PERIODS)}"
        )
    return value


async def activity_chart(db: Database, tenant: Tenant, value: str | None) -> Chart:
    period = period_of(value)
    return chart(await provisioning_log.activity(db, tenant, period), period)
