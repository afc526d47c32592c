"""`monitor web`: the review dashboard for staff, served by uvicorn."""

from __future__ import annotations

import argparse
import ipaddress

from monitor.cli.context import CommandContext
from monitor.cli.output import stderr


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = commands.add_parser("web", help="serve the review dashboard for staff")
    web.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    web.add_argument("--port", type=_port, help="port (default: web.port, 8080)")
    web.set_defaults(handler=run_web)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use a number from 1 to 65535")
    return int(text)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_web(args: argparse.Namespace, context: CommandContext) -> int:
    import uvicorn

    from monitor.web.app import create_app

    settings = context.settings()
    web = settings.web
    host = args.host or web.host
    port = args.port or web.port
    app = create_app(
        database=context.database(),
        settings=web,
        source_names=[source.name for source in settings.sources],
    )
    stderr.print(f"dashboard on http://{host}:{port}/ (stop with Ctrl-C)")
    if not _is_loopback(host) and web.secure_cookies != "never":
        stderr.print(
            "note: put a TLS reverse proxy in front of this address; over plain http browsers "
            "do not keep the sign-in cookie (it is Secure)"
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=web.trusted_proxies,
        server_header=False,
        log_level="warning",
    )
    return 0
