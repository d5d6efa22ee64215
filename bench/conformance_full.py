"""The full conformance run (not in `make test`; docs/conformance.md): a real
`roster serve` on a fresh database, then python-scim's scim2-tester (every check) and
schemathesis's CLI (every phase: examples, coverage, fuzzing, stateful; every check but
positive_data_acceptance, see docs/conformance.md) against it.

    .venv/bin/python bench/conformance_full.py [--postgres URL] [--max-examples 500]

Exits non-zero when a check fails that docs/conformance.md does not list as not
applicable, or schemathesis reports a failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpx2 import Client  # noqa: E402
from scim2_client.engines.httpx2 import SyncSCIMClient  # noqa: E402
from scim2_tester import Status, check_server  # noqa: E402
from tests.e2e.scim.test_conformance import _explained  # noqa: E402
from tests.support.procserver import RosterProcess, provision  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--max-examples", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/roster.db"
        (tenant,) = provision(url)
        server = RosterProcess(url, Path(tmp) / "server.log")
        server.start()
        try:
            http = Client(
                base_url=server.scim_url,
                headers={"Authorization": f"Bearer {tenant.token}"},
                timeout=60,
            )
            results = check_server(SyncSCIMClient(http))
            counts = Counter(r.status.name for r in results)
            bad = [
                r
                for r in results
                if r.status in (Status.ERROR, Status.CRITICAL)
                and not _explained(r.title, r.reason or "")
            ]
            print(f"scim2-tester: {len(results)} checks: {dict(counts)}")
            for r in bad:
                print(f"  UNEXPLAINED {r.status.name} {r.title}: {r.reason}")
            st = subprocess.run(
                [
                    str(ROOT / ".venv/bin/schemathesis"),
                    "run",
                    f"{server.scim_url}/openapi.json",
                    "--url",
                    server.url,
                    "-H",
                    f"Authorization: Bearer {tenant.token}",
                    "--max-examples",
                    str(args.max_examples),
                    "--exclude-checks",
                    "positive_data_acceptance",
                    "--continue-on-failure",
                ],
                check=False,
            )
        finally:
            server.stop()
        errors = [line for line in server.logs().splitlines() if '"status": 5' in line]
        print(f"server 5xx lines in its log: {len(errors)}")
        return 1 if bad or st.returncode or errors else 0


if __name__ == "__main__":
    sys.exit(main())
