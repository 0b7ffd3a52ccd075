"""Benchmarks, run as scripts. This file makes benchmarks/contacts.py the module
`benchmarks.contacts` for mypy, instead of a second module named `contacts`."""
