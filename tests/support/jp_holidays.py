#!/usr/bin/env python3
"""Japanese public holidays and next-business-day answers from an independent source (the
`holidays` package), for hojokin's calendar test. Prints JSON:
{"holidays": {"YYYY-MM-DD": name}, "next_business_day": {"YYYY-MM-DD": "YYYY-MM-DD"}}.
A business day: Monday–Friday, not a holiday, not 12/29–1/3."""
import datetime
import json
import sys

import holidays

first, last = int(sys.argv[1]), int(sys.argv[2])
jp = holidays.Japan(years=range(first, last + 2))


def business(day):
    closed = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() < 5 and day not in jp and not closed


answer = {"holidays": {}, "next_business_day": {}}
for day, name in sorted(jp.items()):
    if first <= day.year <= last:
        answer["holidays"][day.isoformat()] = name
day = datetime.date(first, 1, 1)
while day.year <= last:
    nxt = day
    while not business(nxt):
        nxt += datetime.timedelta(days=1)
    answer["next_business_day"][day.isoformat()] = nxt.isoformat()
    day += datetime.timedelta(days=1)
print(json.dumps(answer, ensure_ascii=False))
