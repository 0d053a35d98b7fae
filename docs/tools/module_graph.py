#!/usr/bin/env python3
"""The module graph of each crate: which top-level module imports which.

    python3 docs/tools/module_graph.py            # print every crate's graph
    python3 docs/tools/module_graph.py --check    # exit 1 if any crate has a loop, or if
                                                  # docs/src/layout.md misses a file or an edge

A node is a top-level module of a crate (`src/close.rs` and everything
under `src/close/` are one node, `close`); the crate root (lib.rs or main.rs)
is the node `(root)`. An edge `a -> b` means a file of `a` names an item of
`b`: `use crate::b::...`, `crate::b::...` in code, or `use crate::Item` where
the root re-exports `Item` from `b` (`pub use b::Item`). Items the root
defines itself make an edge to `(root)`. References between files of the
same node (`super::`), doc comments and `#[cfg(test)]` modules are not
counted: tests may look anywhere, and a module's parts are one concept.

The rule this checks (docs/src/layout.md): inside a crate, imports point one
way, from the root down to the leaves. A module that names something of a
module that names it back, directly or around a longer loop, is reported;
so is a module that names an item of the crate root, since the root holds
every module (`chat -> (root)` is a loop through the root).

`--check` also holds the book's layout page to the code: the section of
docs/src/layout.md whose heading names `crates/X/src` must mention every
source file of that crate (by its path below `src/`, in backticks) and show
each line of the graph printed here, so the page cannot fall behind a move.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRATES = ["crates/handshake", "crates/frame", "crates/tokio", "crates/server",
          "crates/client", "crates/bench", "crates/check", "crates/examples",
          "crates/axum"]

USE_BLOCK = re.compile(r"\buse\s+crate::(\{.*?\}|[^;]+);", re.S)
CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
PUB_USE = re.compile(r"^pub use ([a-z_][a-z0-9_]*)::(\{.*?\}|[^;]+);", re.S | re.M)
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip(text):
    """The code without comments, string literals and test modules."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    # A `#[cfg(test)] mod name { ... }` block or `mod tests;` line.
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*(;|\{)", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        if m.group(1) == ";":
            i = m.end()
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def names(group):
    """The identifiers a `use` group names at its first level."""
    group = group.strip()
    if group.startswith("{"):
        group = group[1:-1]
    depth, parts, cur = 0, [], ""
    for ch in group:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def graph(crate):
    src = os.path.join(ROOT, crate, "src")
    root_file = next((f for f in ("lib.rs", "main.rs") if os.path.exists(os.path.join(src, f))), None)
    if root_file is None:
        return None
    modules = set()
    for entry in os.listdir(src):
        stem = entry[:-3] if entry.endswith(".rs") else entry
        if entry in ("lib.rs", "main.rs") or entry == "bin":
            continue
        if entry.endswith(".rs") or os.path.isdir(os.path.join(src, entry)):
            modules.add(stem)
    root_text = strip(open(os.path.join(src, root_file), encoding="utf-8").read())
    reexport = {}
    for m in PUB_USE.finditer(root_text):
        for n in names(m.group(2)):
            reexport[n.split(" as ")[-1].strip()] = m.group(1)
    edges = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src)
            if rel in ("lib.rs", "main.rs") or rel.startswith("bin" + os.sep):
                continue
            node = rel.split(os.sep)[0]
            node = node[:-3] if node.endswith(".rs") else node
            text = strip(open(os.path.join(dirpath, f), encoding="utf-8").read())
            targets = set()
            for m in USE_BLOCK.finditer(text):
                for n in names(m.group(1)):
                    first = IDENT.match(n)
                    if not first:
                        continue
                    first = first.group(0)
                    if first in modules:
                        targets.add(first)
                    elif first in reexport:
                        targets.add(reexport[first])
                    elif first != "self":
                        targets.add("(root)")
            for m in CRATE_PATH.finditer(USE_BLOCK.sub("", text)):
                first = m.group(1)
                targets.add(first if first in modules else reexport.get(first, "(root)"))
            targets.discard(node)
            edges.setdefault(node, set()).update(targets)
    for m in modules:
        edges.setdefault(m, set())
    return edges


def cycles(edges):
    """Every loop, as a list of nodes (each loop reported once)."""
    found, seen = [], set()

    def visit(node, path):
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                loop = path[path.index(nxt):]
                key = frozenset(loop)
                if key not in seen:
                    seen.add(key)
                    found.append(loop + [nxt])
            elif len(path) < 12:
                visit(nxt, path + [nxt])

    edges = dict(edges)
    # The root declares every module: an edge back to it closes a loop.
    edges["(root)"] = {m for m in edges if m != "(root)"}
    for start in sorted(edges):
        visit(start, [start])
    return found


LAYOUT = os.path.join(ROOT, "docs", "src", "layout.md")


def graph_lines(edges):
    return [f"{node} -> {', '.join(sorted(edges[node])) or '(nothing in the crate)'}"
            for node in sorted(edges)]


def layout_problems(crate, edges):
    """What docs/src/layout.md lacks for `crate`."""
    if not os.path.exists(LAYOUT):
        return [f"{os.path.relpath(LAYOUT, ROOT)} is missing"]
    page = open(LAYOUT, encoding="utf-8").read()
    sections = re.split(r"^## ", page, flags=re.M)
    section = next((sec for sec in sections[1:] if f"`{crate}/src`" in sec.split("\n", 1)[0]), None)
    if section is None:
        return [f"no section whose heading names `{crate}/src`"]
    problems = []
    src = os.path.join(ROOT, crate, "src")
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src).replace(os.sep, "/")
            if f"`{rel}`" not in section:
                problems.append(f"`{rel}` is not described")
    for line in graph_lines(edges):
        if line not in section:
            problems.append(f"graph line missing: {line}")
    return problems


def main():
    check = "--check" in sys.argv
    bad = 0
    for crate in CRATES:
        edges = graph(crate)
        if edges is None:
            continue
        print(f"{crate}:")
        for line in graph_lines(edges):
            print(f"  {line}")
        for loop in cycles(edges):
            bad += 1
            print(f"  LOOP: {' -> '.join(loop)}")
        if check:
            for problem in layout_problems(crate, edges):
                bad += 1
                print(f"  docs/src/layout.md: {problem}")
    if check and bad:
        print(f"{bad} problem(s): imports inside a crate must point one way, and the"
              " layout page must describe every file and edge", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
