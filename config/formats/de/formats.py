"""German: Django's own formats, plus the short dates of lists and threads (lib.dates) as
German writes them: "30. Nov.", "30. Nov. 2025"."""

DAY_MONTH_FORMAT = "j. N"
DAY_MONTH_YEAR_FORMAT = "j. N Y"
