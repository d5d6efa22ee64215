"""No `roster` command writes the directory without its audit row: every command of the
CLI's command tree (taken from the Typer app, so a command added later fails the test
until it is in a table below) is run for real, in a subprocess against the live server's
database, with the directory tables snapshotted before and after. A write command that
changes a table must add an audit row written as the CLI, and must change something
(the test cannot pass vacuously); a read-only command must change nothing and add no
audit row. The routes' half of the requirement: test_audit_immutable.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer

from roster.cli import app
from roster.directory import api_tokens, set_receivers
from roster.directory.sealing import Sealer
from roster.directory.set_receivers import NewReceiver
from tests.support.audit_sweep import Step, Tracker
from tests.support.console import PASSWORD
from tests.support.harness import LiveServer, free_port, make_company
from tests.support.helpers import roster_cli
from tests.support.sso_idp import TestIdp, make_keypair
from tests.support.webhooks import add_endpoint


@dataclass(frozen=True)
class Run:
    """One invocation: the command's path in the tree, then its arguments, whose
    {placeholders} the setup fills in."""

    command: str
    args: tuple[str, ...] = ()
    stdin: str = ""
    variant: str = ""  # tells apart two runs of one command, e.g. "--off"
    exit_codes: tuple[int, ...] = (0,)
    may_not_change: bool = False  # documented as possibly changing nothing
    gap: str = ""  # a known write without its audit row: xfail(strict=True)

    @property
    def id(self) -> str:
        return f"{self.command} {self.variant}".strip()


# The sweep's module fixture runs every command below as its own `roster` process (about
# a hundred, 2-3 s each on a busy machine), all inside the first test's time limit.
pytestmark = pytest.mark.timeout(900)


# Every command that writes, run in this order (each run's setup is an earlier run or
# the fixture's): the company starts with SCIM on, one token, and a person deleted
# over SCIM.
WRITES = (
    Run("tenant create", ("{new_company}", "--name", "CLI Audit")),
    Run("scim token create", ("{sub}", "--label", "CLI")),
    Run("scim token revoke", ("{sub}", "{token_id}")),
    Run("api-token create", ("{sub}", "--label", "Feed")),
    Run("api-token revoke", ("{sub}", "{api_token_id}")),
    Run("attribute add", ("{sub}", "customCliAudit", "--type", "string")),
    Run("scim accept-passwords", ("{sub}",)),
    Run("scim accept-passwords", ("{sub}", "--off"), variant="--off"),
    Run("support allow-csv", ("{sub}",)),
    Run("import-csv", ("{sub}", "{csv}")),
    Run("support allow-csv", ("{sub}", "--off"), variant="--off"),
    Run("person restore", ("{sub}", "{deleted_person}")),
    Run("scim disable", ("{sub}",)),
    Run("person add", ("{sub}", "added@cli.example", "--given-name", "Added")),
    # On the person restored above, with SCIM off: edited, offboarded, their email freed.
    Run("person set", ("{sub}", "{deleted_person}", "--field", "title=Swept")),
    Run("person deactivate", ("{sub}", "{deleted_person}")),
    Run("person free-email", ("{sub}", "{deleted_person}")),
    Run("person reactivate", ("{sub}", "{deleted_person}")),
    Run("group add", ("{sub}", "CLI Group", "--type", "Teams")),
    Run("admin create", ("{sub}", "ops@cli.example"), stdin=f"{PASSWORD}\n"),
    Run("admin invite", ("{sub}", "invited@cli.example", "--role", "account_admin")),
    Run("admin reset-password", ("{sub}", "invited@cli.example")),
    Run("admin set-roles", ("{sub}", "invited@cli.example", "--role", "manage_integrations")),
    # Nobody is locked out here: it says so and changes nothing.
    Run("admin unlock", ("{sub}", "ops@cli.example"), may_not_change=True),
    Run("admin remove", ("{sub}", "invited@cli.example")),
    Run("sso configure", ("{sub}", "--idp-metadata", "{metadata}")),
    Run("sso set", ("{sub}", "--enable", "--allow-jit", "--nameid", "email")),
    Run("sso cert add", ("{sub}", "{next_cert}")),
    Run("sso cert remove", ("{sub}", "{first_fingerprint}")),
    Run("sso break-glass", ("{sub}", "ops@cli.example")),
    Run("sso break-glass", ("{sub}", "ops@cli.example", "--off"), variant="--off"),
    Run("sso link", ("{sub}", "ops@cli.example", "ops-nameid")),
    Run("sso link", ("{sub}", "ops@cli.example", "--off"), variant="--off"),
    Run("sso set", ("{sub}", "--no-allow-jit"), variant="--no-allow-jit"),
    Run("scim enable", ("{sub}",)),
    # Last, on the setup's endpoint, which takes only person.deleted (no run deletes
    # anyone): no deliveries until the replay, none changing after the removal.
    Run("webhook add", ("{sub}", "{webhook_url}", "--event", "group.members_removed")),
    Run("webhook rotate-secret", ("{sub}", "{endpoint_id}")),
    Run("webhook replay", ("{sub}", "{endpoint_id}", "--from-seq", "1")),
    Run("webhook remove", ("{sub}", "{endpoint_id}")),
    # The same for the setup's SET receiver (it takes only person.deleted events).
    Run(
        "events set-receiver add",
        (
            "{sub}",
            "{webhook_url}",
            "--issuer",
            "https://roster.example/cli",
            "--event",
            "group.members_removed",
        ),
    ),
    Run("events set-receiver replay", ("{sub}", "{receiver_id}", "--from-seq", "1")),
    Run("events set-receiver remove", ("{sub}", "{receiver_id}")),
)

# The commands that change nothing; each is run too (after the writes, on a full
# directory), and fails the test if it changes a directory table or adds an audit row.
READ_ONLY = (
    Run("db upgrade"),  # the schema is already up to date
    Run("doctor", ("{sub}",), exit_codes=(0, 2)),  # 2: it found a problem
    Run("scim token list", ("{sub}",)),
    Run("api-token list", ("{sub}",)),
    Run("sso show", ("{sub}",)),
    # On the company the writes created: SCIM is off there, so the preview runs.
    Run("import-csv", ("{new_company}", "{csv}", "--dry-run"), variant="--dry-run"),
    Run("webhook list", ("{sub}",)),
    Run("webhook deliveries", ("{sub}", "{endpoint_id}", "--status", "dead")),
    Run("events set-receiver list", ("{sub}",)),
    Run("events set-receiver deliveries", ("{sub}", "{receiver_id}", "--status", "dead")),
    Run("events signing-key list"),
    Run("admin list", ("{sub}",)),
)

# Commands in the tree that are not run here, and why.
NOT_RUN = {
    "serve": "serves the routes until stopped; test_audit_immutable.py sweeps every route",
    "events deliver": "delivers until stopped, writing only deliveries' outcomes (no admin "
    "change); tests/e2e/events/test_webhooks_delivery.py runs it",
    "events signing-key rotate": "the deployment's SET signing keys, no company's directory "
    "(nothing to audit per company); tests/e2e/events/test_security_events.py runs it",
}


def command_tree() -> list[str]:
    """Every runnable command of `roster`, as its path ("scim token create")."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield " ".join(path)
            return
        for name, sub in subcommands.items():
            yield from walk(sub, (*path, name))

    return sorted(walk(typer.main.get_command(app), ()))


@dataclass
class Outcome:
    run: Run
    argv: list[str]
    returncode: int
    output: str
    step: Step = field(repr=False)

    def describe(self) -> str:
        return (
            f"`roster {' '.join(self.argv)}` (exit {self.returncode}) changed "
            f"{self.step.changed or 'nothing'}, added audit rows "
            f"{[(r.actor, r.action) for r in self.step.added] or 'none'}\n{self.output}"
        )


def _setup(server: LiveServer, files: Path) -> tuple[int, dict[str, str]]:
    """A company with SCIM on, its token, a person deleted over SCIM and, after that, a
    webhook endpoint and a SET receiver taking person.deleted events; the files the
    commands read."""
    company = make_company(server)
    made = company.client.post("/Users", json={"userName": "deleted@cli.example"})
    assert made.status_code == 201, made.text
    deleted = made.json()["id"]
    assert company.client.delete(f"/Users/{deleted}").status_code == 204
    company.client.close()
    api_token_id, _ = company.call(
        lambda db: api_tokens.create_api_token(db, company.subdomain, "to revoke")
    )
    nowhere = f"http://127.0.0.1:{free_port()}/cli-audit"  # nothing listens there
    endpoint_id, _ = add_endpoint(company, nowhere, ["person.deleted"])
    receiver_id = company.call(
        lambda db: set_receivers.add_receiver(
            db,
            company.subdomain,
            NewReceiver(nowhere, ["person.deleted"], issuer="https://roster.example/cli"),
            public_url="",
            allow_private=True,
            sealer=Sealer.for_settings(server.settings),
        )
    ).id
    idp, next_keys = TestIdp(), make_keypair("cli-next")
    (files / "idp.xml").write_text(idp.metadata())
    (files / "next.pem").write_text(next_keys.cert_pem)
    (files / "people.csv").write_text("email,givenName\ncsv1@cli.example,Csv\n")
    return company.tenant.id, {
        "sub": company.subdomain,
        "new_company": f"{company.subdomain}-new",
        "token_id": company.token_id,
        "api_token_id": api_token_id,
        "deleted_person": deleted,
        "csv": str(files / "people.csv"),
        "metadata": str(files / "idp.xml"),
        "next_cert": str(files / "next.pem"),
        "first_fingerprint": idp.keys.fingerprint,
        "endpoint_id": endpoint_id,
        "receiver_id": receiver_id,
        "webhook_url": nowhere,
    }


@pytest.fixture(scope="module")
def outcomes(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every run of WRITES, then of READ_ONLY, on one company: what each changed."""
    tenant_id, values = _setup(server, tmp_path_factory.mktemp("cli-audit"))
    # The company and any created after it (tenant create: tests run one at a time on a
    # server, so those are this sweep's); the audit rows of the same companies.
    tracker = Tracker(server, tenant_id, and_later=True, whole_audit=False)
    out: dict[str, Outcome] = {}
    for run in (*WRITES, *READ_ONLY):
        argv = [*run.command.split(), *(a.format(**values) for a in run.args)]
        result = roster_cli(server, *argv, stdin=run.stdin)
        out[run.id] = Outcome(
            run, argv, result.returncode, result.stdout + result.stderr, tracker.step()
        )
    return out


def test_every_command_of_the_cli_is_exercised() -> None:
    """A command added to the CLI later fails here until it is run by WRITES or
    READ_ONLY (or NOT_RUN says why not)."""
    tree = command_tree()
    listed = {r.command for r in (*WRITES, *READ_ONLY)} | set(NOT_RUN)
    assert len(tree) >= 20, tree
    not_exercised = [c for c in tree if c not in listed]
    assert not not_exercised, f"CLI commands not exercised by the audit sweep: {not_exercised}"
    unknown = sorted(listed - set(tree))
    assert not unknown, f"listed but not in the CLI's command tree: {unknown}"
    ids = [r.id for r in (*WRITES, *READ_ONLY)]
    assert len(ids) == len(set(ids)), "two runs with one id: give them a variant"


def _param(run: Run) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=run.gap)] if run.gap else []
    return pytest.param(run, id=run.id, marks=marks)


@pytest.mark.parametrize("run", [_param(r) for r in WRITES])
def test_cli_write_is_recorded(run: Run, outcomes: dict[str, Outcome]) -> None:
    """The command ran, changed the directory, and added the CLI's audit row."""
    outcome = outcomes[run.id]
    assert outcome.returncode in run.exit_codes, outcome.describe()
    step = outcome.step
    assert step.changed or run.may_not_change, (
        f"{run.id}: a write command changed no directory table: {outcome.describe()}"
    )
    cli_rows = [r for r in step.added if r.actor.startswith("cli")]
    assert not (step.changed and not cli_rows), (
        f"{run.id}: changed {step.changed} without an audit row by the CLI "
        f"(record_change bypassed): {outcome.describe()}"
    )


@pytest.mark.parametrize("run", [_param(r) for r in READ_ONLY])
def test_cli_read_only_command_changes_nothing(run: Run, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[run.id]
    assert outcome.returncode in run.exit_codes, outcome.describe()
    assert not outcome.step.changed and not outcome.step.added, (
        f"{run.id}: a read-only command wrote: {outcome.describe()}"
    )
