"""``orderdesk venue serve`` and ``python -m orderdesk.venues.loopback``."""

from __future__ import annotations

import argparse
import logging
import sys

from orderdesk.venues.loopback.config import load_config
from orderdesk.venues.loopback.server import serve

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Serve the paper venue until interrupted; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="orderdesk venue serve",
        description="Serve the paper venue as a Binance-spot REST subset on 127.0.0.1.",
    )
    parser.add_argument("--config", required=True, help="JSON config: markets, accounts, feed")
    parser.add_argument("--state", required=True, help="SQLite state file (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    config = load_config(args.config)
    for account in config.accounts:
        if account.unset:
            names = " and ".join(account.unset)
            verb, them = ("is", "it") if len(account.unset) == 1 else ("are", "them")
            print(f"orderdesk: account {account.name} cannot sign in: {names} {verb} not set "
                  f"(export {them} and restart to trade in it)", file=sys.stderr)  # fmt: skip
    if not any(account.can_sign_in for account in config.accounts):
        print(f"orderdesk: no account of {args.config} can sign in", "(export the "
              "variables named above)", file=sys.stderr)  # fmt: skip
        return 2
    server = serve(config, args.state, host=args.host, port=args.port)
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
