"""Numbers a registry or feed server sends in headers (Retry-After, Content-Length).

A hostile server chooses these strings. Contract: a wait time, a body, or a one-line
``HullcheckError``; never a ValueError. (``"²".isdigit()`` is True but ``int("²")`` fails,
which is how the first crash here was found.)
"""

from __future__ import annotations

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from hullcheck.errors import HullcheckError
from hullcheck.image.registry.http import HttpSession, read_limited
from hullcheck.image.registry.options import RegistryOptions
from tests.fuzz.conftest import fuzz

HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, blacklist_categories=("Cc", "Cs")), max_size=40),
    st.sampled_from(["²", " ² ", "١٢", "9" * 400, "-1", "0", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT",
                     "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 00 Jan 0000 00:00:00 GMT"]),
)


@fuzz(3)
@given(value=HEADER_VALUES)
@example(value="²")  # was: ValueError from float("²")
def test_retry_after(value: str) -> None:
    session = HttpSession(RegistryOptions())
    resp = httpx.Response(429, headers={"retry-after": value.encode("utf-8")})
    try:
        wait = session._retry_wait(resp, 1, "registry.test")
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()
        return
    assert 0 <= wait <= session.options.max_retry_wait


@fuzz(3)
@given(value=HEADER_VALUES, body=st.binary(max_size=64))
@example(value="²", body=b"x")  # was: ValueError from int("²")
def test_content_length(value: str, body: bytes) -> None:
    resp = httpx.Response(200, headers={"content-length": value.encode("utf-8")}, content=body)
    try:
        assert read_limited(resp, 32, "manifest") == body
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()
