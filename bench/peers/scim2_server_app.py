"""python-scim's scim2-server as a WSGI app for gunicorn: the same application its
`scim2-server` command builds (RFC 7643 schemas, in-memory storage, a static bearer
token), served by a production server instead of wsgiref.

    gunicorn --workers 1 scim2_server_app:application   (SCIM2_BENCH_TOKEN=...)
"""

import os
import secrets

from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

config = load_default_service_provider_config()
config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
provider = ScimProvider.from_discovery(
    load_default_schemas().values(), load_default_resource_types().values(), config=config
)
application = BearerTokenApplication(
    InMemoryStorage(),
    provider,
    service=ScimService(provider, secret=secrets.token_urlsafe(32)),
    bearer_tokens=[os.environ["SCIM2_BENCH_TOKEN"]],
)
