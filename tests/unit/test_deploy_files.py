"""The shipped deployment files (no Docker engine or nginx needed): the proxy logs no token,
and the container keeps its database and secret on a volume (issue 10, points 7 and 10)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from roomcast.config import SECRET_FILE_NAME, secret_file_path

REPO = Path(__file__).resolve().parents[2]
# Variables that carry the query string ($arg_token too); $request_method or $uri do not.
FORBIDDEN = frozenset({"request", "request_uri", "args", "query_string"})
# nginx's built-in `combined` (the default) logs $request, query string included.
BUILT_IN_FORMATS = {"combined": '$remote_addr - $remote_user [$time_local] "$request" $status'}


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None


def parse_nginx(text: str) -> list[Directive]:
    tokens = re.findall(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[{};]|[^\s{};]+", re.sub(r"#[^\n]*", "", text))
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                directives.append(Directive(words[0], words[1:]))
                words = []
            elif token == "{":
                directives.append(Directive(words[0], words[1:], block()))
                words = []
            elif token == "}":
                return directives
            else:
                words.append(token[1:-1] if token[0] in "'\"" else token)
        return directives

    return block()


def leaking_variables(log_format: str) -> set[str]:
    variables = set(re.findall(r"\$\{?([A-Za-z0-9_]+)", log_format))
    return {v for v in variables if v in FORBIDDEN or v.startswith("arg_")}


def walk(directives: list[Directive]) -> list[Directive]:
    found = []
    for directive in directives:
        found.append(directive)
        found.extend(walk(directive.block or []))
    return found


def test_the_proxy_logs_no_query_string_on_websocket_handshakes() -> None:
    config = parse_nginx((REPO / "deploy" / "nginx.conf").read_text())
    formats = dict(BUILT_IN_FORMATS)
    for directive in walk(config):
        if directive.name == "log_format":
            formats[directive.args[0]] = "".join(directive.args[1:])
    servers = [d for d in walk(config) if d.name == "server"]
    assert servers
    checked = 0
    for server in servers:
        server_logs = [d for d in server.block or [] if d.name == "access_log"]
        for location in (d for d in server.block or [] if d.name == "location"):
            if not location.args[-1].startswith("/ws"):
                continue
            logs = [d for d in location.block or [] if d.name == "access_log"] or server_logs
            assert logs, "a /ws location without access_log would use the `combined` format"
            for log in logs:
                if log.args == ["off"]:
                    continue
                name = log.args[1] if len(log.args) > 1 else "combined"
                used = formats[name]
                assert not leaking_variables(used), f"/ws logs with {name!r}: {used}"
            errors = [d for d in location.block or [] if d.name == "error_log"]
            assert errors and errors[0].args[0] == "/dev/null", "error lines quote the request line"
            checked += 1
    assert checked >= 1
    # /ws covers both endpoints: /ws (a user's connection) and /ws/{room_id}
    assert any(loc.args == ["/ws"] for loc in walk(config) if loc.name == "location")


def test_the_parser_sees_a_token_leaking_format() -> None:
    leaking = "log_format x '$remote_addr \"$request\"'; server { location /ws { access_log /l x; } }"
    (directive,) = [d for d in walk(parse_nginx(leaking)) if d.name == "log_format"]
    assert leaking_variables("".join(directive.args[1:])) == {"request"}
    assert leaking_variables("$request_method ${arg_token} $uri") == {"arg_token"}
    assert leaking_variables(BUILT_IN_FORMATS["combined"]) == {"request"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_image_keeps_database_and_secret_on_a_volume() -> None:
    instructions = dockerfile_instructions()
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    volumes = [arg for op, arg in final_stage if op == "VOLUME"]
    assert volumes == ['["/data"]'], volumes
    env = " ".join(arg for op, arg in final_stage if op == "ENV")
    match = re.search(r"DATABASE_URL=(\S+)", env)
    assert match, env
    database_url = match.group(1)
    assert database_url == "sqlite+aiosqlite:////data/roomcast.db"
    # the generated secret lands beside the database, on the same volume
    assert secret_file_path(database_url) == Path("/data") / SECRET_FILE_NAME
    # the unprivileged user owns /data before the volume is declared
    order = [op for op, arg in final_stage if op in ("VOLUME", "USER") or (op == "RUN" and "/data" in arg)]
    assert order == ["RUN", "VOLUME", "USER"], order


def test_compose_declares_the_volumes() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    declared = set(compose["volumes"])
    assert {"postgres-data", "roomcast-data"} <= declared
    embedded = compose["services"]["embedded"]
    assert "roomcast-data:/data" in embedded["volumes"]
    assert embedded["environment"]["DATABASE_URL"] == "sqlite+aiosqlite:////data/roomcast.db"
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    # every named volume a service mounts is declared
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, mount)
