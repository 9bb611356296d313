"""English as our European members read it: day before month, a 24-hour clock.

Django's own English formats are American (``11/30/2026``, ``4 p.m.``). German and Dutch keep
Django's formats. Templates name formats (``DATE_FORMAT``, ``MONTH_DAY_FORMAT``) rather than
patterns, so every language gets its own.
"""

DATE_FORMAT = "j M Y"  # 4 Nov 2025
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"  # 26 Nov
# Short dates too spell the month: "02/12/2026" reads as 12 February to an American.
SHORT_DATE_FORMAT = "j M Y"  # 2 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
