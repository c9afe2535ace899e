"""``python -m orderdesk``: the ``orderdesk`` command."""

from orderdesk.cli import main

if __name__ == "__main__":
    main()
