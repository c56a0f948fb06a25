#!/usr/bin/env python3
"""Writes a deterministic W3C ELFF (Blue Coat field order, with directives) proxy log of about
--mb megabytes, for benchmarking proxy log readers."""
import argparse
import random

FIELDS = ("date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result "
          "cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme "
          "cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip "
          "sc-bytes cs-bytes x-virus-id x-bluecoat-application-name "
          "x-bluecoat-application-operation")

HOSTS = ["www.example.com", "cdn.example.net", "api.example.org", "update.vendor.com",
         "mail.example.co.uk", "static.cdn-provider.net", "news.example.com.au", "intranet.corp.local",
         "tracker.ads.example", "a1b2c3d4e5.xyz"]
PATHS = ["/", "/index.html", "/assets/app/main.js", "/api/v1/items", "/images/logo.png",
         "/download/update.bin", "/search", "/login", "/static/css/site.css", "/favicon.ico"]
QUERIES = ["-", "-", "-", "?q=network+security", "?v=20261125&lang=en", "?id=8812&session=ab34cd"]
AGENTS = ['"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"',
          '"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15"',
          '"curl/7.88.1"', '"Wget/1.21.3"', '"python-requests/2.31.0"', '"Microsoft-CryptoAPI/10.0"']
TYPES = ['"text/html; charset=utf-8"', '"application/javascript"', '"image/png"',
         '"application/json"', '"application/octet-stream"', '"text/css"']
METHODS = ["GET"] * 8 + ["POST", "HEAD"]
CATS = ['"Technology/Internet"', '"News/Media"', '"Business/Economy"', '"Content Servers"', "-"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=1100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    target = a.mb * 1_000_000
    # A pool of distinct lines, written in a seeded shuffled order until the size is reached.
    pool = []
    for i in range(20_000):
        h, m, s = rng.randrange(24), rng.randrange(60), rng.randrange(60)
        path = rng.choice(PATHS)
        ext = path.rsplit(".", 1)[1] if "." in path else "-"
        status = rng.choice(["200"] * 9 + ["404", "304", "403"])
        pool.append(
            f"2026-11-25 {h:02}:{m:02}:{s:02} {rng.randrange(2000)} 10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)} "
            f"- - - OBSERVED {rng.choice(CATS)} \"http://{rng.choice(HOSTS)}/\" {status} TCP_MISS "
            f"{rng.choice(METHODS)} {rng.choice(TYPES)} http {rng.choice(HOSTS)} 80 {path} "
            f"{rng.choice(QUERIES)} {ext} {rng.choice(AGENTS)} 192.0.2.{rng.randrange(256)} "
            f"{rng.randrange(100, 2_000_000)} {rng.randrange(100, 4000)} - - -\n")
    written = 0
    with open(a.out, "w", buffering=1 << 22) as f:
        head = ("#Software: SGOS 6.7.4.1\n#Version: 1.0\n#Date: 2026-11-25 00:00:00\n"
                f"#Fields: {FIELDS}\n")
        f.write(head)
        written += len(head)
        while written < target:
            chunk = "".join(rng.choices(pool, k=10_000))
            f.write(chunk)
            written += len(chunk)
    print(f"wrote {written / 1e6:.0f} MB to {a.out}")


if __name__ == "__main__":
    main()
