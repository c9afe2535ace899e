"""``python -m orderdesk`` and the ``orderdesk`` console script."""

from __future__ import annotations

import sys

from orderdesk.demo import run_demo
from orderdesk.venues.loopback import main as serve_venue


def main(argv: list[str] | None = None) -> int:
    """Run the ``orderdesk`` command."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in ([], ["demo"]):
        return run_demo()
    if args[:2] == ["venue", "serve"]:
        return serve_venue(args[2:])
    print(
        f"orderdesk: unknown command {' '.join(args)!r}; try: orderdesk demo, "
        "orderdesk venue serve --help",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
