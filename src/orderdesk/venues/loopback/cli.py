"""``orderdesk venue serve`` and ``python -m orderdesk.venues.loopback``."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import NoReturn

from orderdesk.venues.loopback.config import LoopbackConfig, load_config
from orderdesk.venues.loopback.server import serve

__all__ = ["main"]


_PROG = "orderdesk venue serve"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see `{_PROG} --help`)")


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit 2: every refusal here is bad usage or input."""
    print(f"orderdesk: {' '.join(message.split())}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def _config(path: str) -> LoopbackConfig:
    hint = "see examples/loopback-venue.json for the shape"
    try:
        return load_config(path)
    except FileNotFoundError:
        _fail(f"no venue config at {path} (pass --config FILE.json)")
    except OSError as error:
        _fail(f"cannot read the venue config {path}: {error.strerror}")
    except UnicodeDecodeError:
        _fail(f"the venue config {path} is not UTF-8 text")
    except json.JSONDecodeError as error:
        _fail(f"the venue config {path} is not valid JSON: {error.msg} at line {error.lineno} "
              f"column {error.colno}")  # fmt: skip
    except KeyError as error:
        _fail(f"the venue config {path} lacks {error} ({hint})")
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        _fail(f"the venue config {path} is not usable: {error}")


def _why(path: Path, error: sqlite3.Error) -> str:
    if path.is_dir():
        return f"{path} is a directory; name a file in it"
    if not path.parent.is_dir():
        return f"the directory {path.parent} does not exist"
    return f"{error} (a state file is one written by `{_PROG}`, or a new file)"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 0 to 65535")
    return port


def main(argv: list[str] | None = None) -> int:
    """Serve the paper venue until interrupted; return the exit status."""
    parser = _Parser(
        prog=_PROG,
        description="Serve the paper venue as a Binance-spot REST subset on 127.0.0.1.",
    )
    parser.add_argument("--config", required=True, help="JSON config: markets, accounts, feed")
    parser.add_argument("--state", required=True, help="SQLite state file (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=8765, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    config = _config(args.config)
    if not any(account.can_sign_in for account in config.accounts):
        names = ", ".join(name for account in config.accounts for name in account.unset)
        _fail(f"no account of {args.config} can sign in: {names} not set "
              "(export them and start again)")  # fmt: skip
    for account in config.accounts:
        if account.unset:
            names = " and ".join(account.unset)
            verb, them = ("is", "it") if len(account.unset) == 1 else ("are", "them")
            print(f"orderdesk: account {account.name} cannot sign in: {names} {verb} not set "
                  f"(export {them} and restart to trade in it)", file=sys.stderr)  # fmt: skip
    try:
        server = serve(config, args.state, host=args.host, port=args.port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            _fail(
                f"port {args.port} on {args.host} is already in use (is a venue serving there "
                "already? stop it, or pass another --port; --port 0 picks a free one)"
            )
        _fail(f"cannot serve on {args.host}:{args.port} with state {args.state}: "
              f"{error.strerror or error}")  # fmt: skip
    except ValueError as error:  # a state file of another configuration
        _fail(f"{args.state}: {error}")
    except sqlite3.Error as error:
        _fail(f"cannot use the state file {args.state}: {_why(Path(args.state), error)}")
    print(f"orderdesk paper venue serving on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
