"""History entries as the builders record them -> instruction keyword, text and build args."""

from __future__ import annotations

import pytest

from hullcheck.imagecheck.context import parse_instruction


@pytest.mark.parametrize(("created_by", "keyword", "text", "args"), [
    # BuildKit
    ("RUN /bin/sh -c apt-get update # buildkit", "RUN", "apt-get update", ()),
    ("RUN |2 TOKEN=abc V=1 /bin/sh -c make # buildkit", "RUN", "make", (("TOKEN", "abc"), ("V", "1"))),
    ("ADD https://x.example/a.tgz /opt/ # buildkit", "ADD", "https://x.example/a.tgz /opt/", ()),
    ("COPY /src /dst # buildkit", "COPY", "/src /dst", ()),
    ("ENV A=b", "ENV", "A=b", ()),
    ("EXPOSE map[22/tcp:{}]", "EXPOSE", "map[22/tcp:{}]", ()),
    ("RUN apt-get install -y curl # buildkit", "RUN", "apt-get install -y curl", ()),  # exec form
    # classic builder
    ("/bin/sh -c #(nop)  ENV A=b", "ENV", "A=b", ()),
    ("/bin/sh -c #(nop) ADD file:4b03b5f551 in / ", "ADD", "file:4b03b5f551 in /", ()),
    ("|1 NPM_TOKEN=x /bin/sh -c npm ci", "RUN", "npm ci", (("NPM_TOKEN", "x"),)),
    ("/bin/sh -c apt-get update", "RUN", "apt-get update", ()),
    ('/bin/sh -c echo "#(nop) ADD http://x/y"', "RUN", 'echo "#(nop) ADD http://x/y"', ()),
    # other builders record the bare command
    ("apt-get install -y x", "RUN", "apt-get install -y x", ()),
])
def test_parse(created_by: str, keyword: str, text: str, args: tuple[tuple[str, str], ...]) -> None:
    ins = parse_instruction(3, created_by, 1)
    assert (ins.keyword, ins.text, ins.build_args, ins.index, ins.layer_index) == (keyword, text, args, 3, 1)


def test_bounded() -> None:
    ins = parse_instruction(0, "RUN |999 " + "A=1 " * 100_000 + "/bin/sh -c x")
    assert len(ins.build_args) == 999
