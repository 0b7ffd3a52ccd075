"""Fakes of external services that run for real on a local port (tests and benchmarks)."""
