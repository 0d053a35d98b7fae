#!/usr/bin/env python3
"""Checks the book beyond what `mdbook build` reports.

    python3 docs/tools/check_book.py includes     # before building
    python3 docs/tools/check_book.py links        # after `mdbook build docs`

includes: every {{#include path[:anchor]}} in docs/src names a file that
exists and, with an anchor, a region `// ANCHOR: name` ... `// ANCHOR_END:
name` that exists and is not empty (mdBook silently includes nothing for a
missing anchor). Also fails on an include with a line range: ranges drift
when the code changes, anchors do not.

links: every relative href/src in the built HTML (docs/book) points to a
file that exists, and every #fragment that points into a built page names
an id on that page.

Exit status 1 on any problem, with one line per problem.
"""

import html.parser
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # docs/
SRC = os.path.join(ROOT, "src")
BOOK = os.path.join(ROOT, "book")

INCLUDE = re.compile(r"(?<!\\)\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}")


def check_includes():
    problems = []
    count = 0
    for dirpath, _, files in os.walk(SRC):
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            md = os.path.join(dirpath, name)
            text = open(md, encoding="utf-8").read()
            for m in INCLUDE.finditer(text):
                count += 1
                target = m.group(2)
                path, _, selector = target.partition(":")
                where = f"{os.path.relpath(md, ROOT)}: {{{{#{m.group(1)} {target}}}}}"
                full = os.path.normpath(os.path.join(os.path.dirname(md), path))
                if not os.path.isfile(full):
                    problems.append(f"{where}: no such file {os.path.relpath(full, os.path.dirname(ROOT))}")
                    continue
                if not selector:
                    continue
                if re.fullmatch(r"\d*(:\d*)?", selector):
                    problems.append(f"{where}: a line range; use an anchor")
                    continue
                lines = open(full, encoding="utf-8").read().splitlines()
                start = [i for i, l in enumerate(lines) if re.search(rf"ANCHOR:\s*{re.escape(selector)}\b", l)]
                end = [i for i, l in enumerate(lines) if re.search(rf"ANCHOR_END:\s*{re.escape(selector)}\b", l)]
                if len(start) != 1 or len(end) != 1:
                    problems.append(f"{where}: anchor found {len(start)} times, its end {len(end)} times (want 1 and 1)")
                    continue
                body = [l for l in lines[start[0] + 1:end[0]] if "ANCHOR" not in l]
                if not any(l.strip() for l in body):
                    problems.append(f"{where}: the anchored region is empty")
    print(f"book includes: {count} checked, {len(problems)} problems")
    return problems


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value:
                self.refs.append(value)
            if key in ("id", "name") and value:
                self.ids.add(value)


def check_links():
    if not os.path.isdir(BOOK):
        return [f"{BOOK} does not exist: run `mdbook build docs` first"]
    pages = {}
    for dirpath, _, files in os.walk(BOOK):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(dirpath, name)
                parser = Links()
                parser.feed(open(path, encoding="utf-8").read())
                pages[os.path.normpath(path)] = parser
    problems = []
    count = 0
    for page, parser in sorted(pages.items()):
        for ref in parser.refs:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) or ref.startswith("//"):
                continue  # external (https:, mailto:, javascript:, data:)
            count += 1
            target, _, fragment = ref.partition("#")
            target = target.split("?")[0]
            full = os.path.normpath(os.path.join(os.path.dirname(page), target)) if target else page
            rel = os.path.relpath(page, BOOK)
            if not os.path.exists(full):
                problems.append(f"{rel}: broken link {ref}")
            elif fragment and full in pages and fragment not in pages[full].ids:
                problems.append(f"{rel}: link {ref}: no id {fragment!r} on that page")
    print(f"book links: {count} checked in {len(pages)} pages, {len(problems)} problems")
    return problems


def main():
    what = sys.argv[1:] or ["includes", "links"]
    problems = []
    if "includes" in what:
        problems += check_includes()
    if "links" in what:
        problems += check_links()
    for p in problems:
        print(f"  {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
