"""Webhook delivery: the loop that turns each company's events into signed POSTs to
its endpoints (deliverer.py), what is sent and how it is signed (messages.py), and the
HTTP client that connects only to the addresses it checked (sending.py). It runs inside
`roster serve` (app.py's lifespan) unless ROSTER_DELIVERY=off, and as
`roster events deliver`. docs/events.md is what a receiver needs to know."""
