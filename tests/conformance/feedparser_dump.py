#!/usr/bin/python3
"""Parses feeds with python3-feedparser and prints what it understood, as JSON.

stdin: a JSON list of {"name": str, "body": str}; stdout: a JSON list of
{"name", "bozo", "bozo_exception", "version", "feed", "entries"}. Text that feedparser
reports as HTML is reduced to plain text (tags dropped, entities decoded) so it can be
compared with the article's plain-text fields; dates are UTC ISO 8601 strings.
"""
import calendar
import html
import json
import re
import sys
import time

import feedparser


def plain(detail):
    if not detail:
        return None
    value = detail.get("value", "")
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return value


def iso(parsed):
    if not parsed:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(parsed)))


def entry(e):
    return {
        "id": e.get("id"),
        "title": plain(e.get("title_detail")),
        "link": e.get("link"),
        "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")} for l in e.get("links", [])],
        "published": iso(e.get("published_parsed")),
        "updated": iso(e.get("updated_parsed")),
        "authors": [{"name": a.get("name"), "email": a.get("email")} for a in e.get("authors", [])],
        "tags": [t.get("term") for t in e.get("tags", [])],
        "summary": plain(e.get("summary_detail")),
        "content": [c.get("value") for c in e.get("content", [])],
        "enclosures": [{"href": n.get("href"), "type": n.get("type"), "length": n.get("length")} for n in e.get("enclosures", [])],
    }


def main():
    out = []
    for doc in json.load(sys.stdin):
        d = feedparser.parse(doc["body"].encode("utf-8"))
        f = d.get("feed", {})
        out.append({
            "name": doc["name"],
            "bozo": int(bool(d.get("bozo"))),
            "bozo_exception": str(d.get("bozo_exception", "")),
            "version": d.get("version"),
            "feed": {
                "title": plain(f.get("title_detail")),
                "id": f.get("id"),
                "language": f.get("language"),
                "ttl": f.get("ttl"),
                "updated": iso(f.get("updated_parsed")),
                "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")} for l in f.get("links", [])],
            },
            "entries": [entry(e) for e in d.get("entries", [])],
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
