"""orderdesk's benchmarks: each prints its figure beside its floor; see bench/RESULTS.md."""
