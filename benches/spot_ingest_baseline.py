#!/usr/bin/env python3
"""What Apache Spot's proxy ingest (spot-ingest/pipelines/proxy/bluecoat.py) did to each line,
without Spark: keep lines starting with a date, clean them, split with shlex, map the 27 fields by
position and build the full URI. Prints the number of records."""
import re
import shlex
import sys

REX_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def split_log_entry(line):
    lex = shlex.shlex(line)
    lex.quotes = '"'
    lex.whitespace_split = True
    lex.commenters = ""
    return list(lex)


def proxy_parser(f):
    if len(f) <= 1:
        return []
    path = f[17] if len(f[17]) > 1 else ""
    qry = f[18] if len(f[18]) > 1 else ""
    full_uri = "{0}{1}{2}".format(f[15], path, qry)
    date = f[0].split("-")
    hour = f[1].split(":")[0].zfill(2)
    return [f[0], f[1], f[3], f[15], f[12], f[20], f[13], int(f[2]), f[4], f[5], f[6], f[7], f[8],
            f[9], f[10], f[11], f[14], f[16], f[17], f[18], f[19], f[21], int(f[22]), int(f[23]),
            f[24], f[25], f[26], full_uri, date[0], date[1].zfill(2), date[2].zfill(2), hour]


def main():
    n = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for row in fh:
                if not REX_DATE.match(row):
                    continue
                row = row.strip("\n").strip("\r").replace("\t", " ").replace("  ", " ")
                if proxy_parser(split_log_entry(row)):
                    n += 1
    print(f"{n} records")


if __name__ == "__main__":
    main()
