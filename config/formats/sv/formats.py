"""Swedish: Django's own formats, plus the short dates of lists and threads (lib.dates):
"30 nov", "30 nov 2025"."""

DAY_MONTH_FORMAT = "j N"
DAY_MONTH_YEAR_FORMAT = "j N Y"
