"""Demo and synthetic data: `manage.py seed_demo` and the generators the benchmarks use.

The one place that may import every app (accounts, contacts, inbox, …); no app imports it.
"""
