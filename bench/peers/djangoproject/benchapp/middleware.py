"""Bearer-token authentication for the SCIM endpoints: the token (from the
environment) maps to one service user, looked up once per process."""

import hmac
import os

from django.contrib.auth import get_user_model

_TOKEN = os.environ.get("DJANGO_BENCH_TOKEN", "")
_service_user = None


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        global _service_user
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and _TOKEN and hmac.compare_digest(token, _TOKEN):
            if _service_user is None:
                _service_user, _ = get_user_model().objects.get_or_create(
                    username="okta-service", defaults={"is_active": True}
                )
            request.user = _service_user
        return self.get_response(request)
