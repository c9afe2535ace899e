"""orderdesk's shipped test kit: factories, hypothesis strategies and contract suites."""
