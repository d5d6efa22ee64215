"""What a refused console form needs to come back with its input: the values as they
were typed, and the directory's message as a sentence."""

from __future__ import annotations

import re

from starlette.requests import Request

from roster import inputs

_CONTROL = re.compile(r"[\x00-\x1f]")


def kept(value: str) -> str:
    """A refused value shown back in its field, without the characters it may have been
    refused for."""
    return _CONTROL.sub("", value)[: inputs.FORM_MAX]


async def kept_form(request: Request, *names: str) -> dict[str, str]:
    """The form's `names` as typed, for the form shown again with its error in place."""
    form = await request.form()
    return {name: kept(str(form.get(name) or "")) for name in names}


def sentence(message: str) -> str:
    """A directory message (lower case, no stop) as a sentence on a page."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
