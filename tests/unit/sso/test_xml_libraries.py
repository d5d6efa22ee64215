"""The SAML stack's XML libraries: xmlsec and lxml must share one libxml2
(pyproject.toml pins them together)."""

from __future__ import annotations

import lxml.etree
import xmlsec


def test_lxml_and_xmlsec_share_one_libxml2() -> None:
    """A mismatch makes `import xmlsec` fail or, worse, misbehave (reference §2)."""
    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION
