"""CSV import: upload, preview (create / update / unchanged / reject, per row with the
reason), apply all-or-nothing."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.responses import Response

from roster import inputs
from roster.console.web import Admin, ConsoleError, redirect
from roster.directory import csv_import, tenants
from roster.directory.csv_columns import Column, columns
from roster.directory.csv_plan import RowResult
from roster.model.errors import DirectoryError
from roster.model.registry import UserSchemas

router = APIRouter()
PREVIEW_ROWS = 200


def _columns(ctx: Admin) -> list[Column]:
    schemas = UserSchemas(ctx.settings.company_extension_urn, tenants.custom_attributes(ctx.tenant))
    return columns(schemas)


def _file_refusal(file_name: str, raw: bytes) -> str | None:
    """Why an uploaded file cannot be kept as it is (the file and its name are stored
    with the import), or None."""
    problem = inputs.problem(file_name, "file name", max_length=255)
    if problem:
        return f"{problem}; rename the file and upload it again."
    if b"\x00" in raw:
        return (
            "The file contains a character Roster cannot store (a NUL byte), so it is "
            "not a CSV file; save it as CSV (UTF-8) from your spreadsheet and upload it "
            "again."
        )
    return None


def _refusal(ctx: Admin) -> str | None:
    try:
        csv_import.check_allowed(ctx.tenant)
    except DirectoryError as exc:
        return exc.message
    return None


@router.get("/import")
async def import_page(ctx: Admin) -> Response:
    return ctx.render(
        "import/upload.html",
        nav="import",
        refusal=_refusal(ctx),
        columns=_columns(ctx),
        recent=await csv_import.recent_imports(ctx.db, ctx.tenant),
        notice=ctx.request.query_params.get("done"),
    )


@router.get("/import/template.csv")
async def import_template(ctx: Admin) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in _columns(ctx)])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roster-people-template.csv"'},
    )


@router.post("/import")
async def import_upload(ctx: Admin) -> Response:
    form = await ctx.request.form(max_part_size=ctx.settings.max_csv_bytes)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ctx.render(
            "import/upload.html",
            status=400,
            nav="import",
            refusal=_refusal(ctx),
            columns=_columns(ctx),
            recent=await csv_import.recent_imports(ctx.db, ctx.tenant),
            error="Choose a CSV file to import.",
        )
    raw = await upload.read()
    refused = _file_refusal(upload.filename, raw)
    if refused:
        return ctx.render(
            "import/upload.html",
            status=400,
            nav="import",
            refusal=_refusal(ctx),
            columns=_columns(ctx),
            recent=await csv_import.recent_imports(ctx.db, ctx.tenant),
            error=refused,
        )
    try:
        import_id, _plan = await csv_import.preview(
            ctx.db,
            ctx.tenant,
            raw,
            file_name=upload.filename,
            actor=ctx.actor,
            company_urn=ctx.settings.company_extension_urn,
        )
    except DirectoryError as exc:
        return ctx.render(
            "import/upload.html",
            status=403 if exc.kind == "forbidden" else 400,
            nav="import",
            refusal=_refusal(ctx),
            columns=_columns(ctx),
            recent=await csv_import.recent_imports(ctx.db, ctx.tenant),
            error=exc.message,
        )
    return redirect(f"/admin/import/{import_id}")


def _rows(preview: csv_import.Preview, show: str) -> tuple[list[RowResult], int]:
    """The rows to list (rejected first) and how many the file has of that kind."""
    if show in preview.rows:
        return preview.rows[show], int(preview.summary.get(show, 0))
    rows = [r for action in csv_import.ACTIONS for r in preview.rows[action]]
    return rows[:PREVIEW_ROWS], int(preview.summary.get("rows", 0))


def _preview_page(
    ctx: Admin,
    stored: dict[str, object],
    preview: csv_import.Preview,
    show: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    rows, matching = _rows(preview, show)
    return ctx.render(
        "import/preview.html",
        status=status,
        nav="import",
        stored=stored,
        plan=preview,
        rows=rows,
        shown=len(rows),
        matching=matching,
        show=show if show in preview.rows else "",
        refusal=_refusal(ctx),
        error=error,
    )


@router.get("/import/{import_id}")
async def import_preview(import_id: str, ctx: Admin) -> Response:
    try:
        stored, preview = await csv_import.stored_preview(
            ctx.db, ctx.tenant, import_id, company_urn=ctx.settings.company_extension_urn
        )
    except DirectoryError:
        raise ConsoleError(404, "Import not found", "No such import in your company.") from None
    return _preview_page(ctx, stored, preview, ctx.request.query_params.get("show", ""))


@router.post("/import/{import_id}/apply")
async def import_apply(import_id: str, ctx: Admin) -> Response:
    try:
        plan = await csv_import.apply(
            ctx.db,
            ctx.tenant,
            "",
            actor=ctx.actor,
            company_urn=ctx.settings.company_extension_urn,
            import_id=import_id,
        )
    except DirectoryError as exc:
        try:
            stored, preview = await csv_import.stored_preview(
                ctx.db, ctx.tenant, import_id, company_urn=ctx.settings.company_extension_urn
            )
        except DirectoryError:
            raise ConsoleError(404, "Import not found", "No such import in your company.") from None
        status = 403 if exc.kind == "forbidden" else 400
        return _preview_page(ctx, stored, preview, "", error=exc.message, status=status)
    s = plan.summary
    return redirect(
        f"/admin/import?done=applied&created={s['create']}&updated={s['update']}"
        f"&unchanged={s['unchanged']}"
    )
