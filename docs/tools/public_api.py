#!/usr/bin/env python3
"""The public API of the library crates, one line per item, from rustdoc's JSON.

    python3 docs/tools/public_api.py            print every crate's API
    python3 docs/tools/public_api.py --check    compare with docs/api/*.txt (exit 1 on a difference)
    python3 docs/tools/public_api.py --write    rewrite docs/api/*.txt

What it lists: every item a user can name (types, traits, functions,
constants, modules, enum variants, pub fields, inherent and trait methods),
under each path it can be named by. Two paths to one item, or an item that
is only a test helper, show up here; the committed listings in docs/api/
make every change of the public surface visible in review, the way
`cargo public-api` does. rustdoc's JSON output is unstable, so this runs
rustdoc with RUSTC_BOOTSTRAP=1 on the stable toolchain (read-only use; the
build itself is unchanged).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRATES = ["ws-handshake", "ws-frame", "ws-tokio"]
KINDS = {
    "module": "mod",
    "struct": "struct",
    "enum": "enum",
    "trait": "trait",
    "function": "fn",
    "constant": "const",
    "static": "static",
    "type_alias": "type",
    "macro": "macro",
    "assoc_const": "const",
    "assoc_type": "type",
}


def rustdoc_json(package: str) -> dict:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1", RUSTDOCFLAGS="")
    subprocess.run(
        # Every cargo feature on: a feature-gated item (ws-tokio's `hyper`)
        # is public API too, and must show up in the listing.
        ["cargo", "rustdoc", "-q", "-p", package, "--lib", "--all-features", "--",
         "-Z", "unstable-options", "--output-format", "json"],
        cwd=ROOT, env=env, check=True,
    )
    name = package.replace("-", "_")
    return json.loads((ROOT / "target" / "doc" / f"{name}.json").read_text())


def listing(doc: dict, crate: str) -> list[str]:
    index = doc["index"]
    lines: set[str] = set()

    def item(id_):
        return index.get(str(id_))

    def members(it, path: str):
        inner = it["inner"]
        kind = next(iter(inner))
        body = inner[kind]
        if kind == "struct":
            fields = body.get("kind", {}).get("plain", {}).get("fields", [])
            for f in fields:
                field = item(f)
                if field and field["visibility"] == "public":
                    lines.add(f"field {path}.{field['name']}")
            tuple_fields = body.get("kind", {}).get("tuple") or []
            for n, f in enumerate(tuple_fields):
                field = item(f) if f is not None else None
                if field and field["visibility"] == "public":
                    lines.add(f"field {path}.{n}")
        if kind == "enum":
            for v in body.get("variants", []):
                lines.add(f"variant {path}::{item(v)['name']}")
        if kind == "trait":
            for m in body.get("items", []):
                lines.add(f"trait-item {path}::{item(m)['name']}")
        for impl_id in body.get("impls", []) if isinstance(body, dict) else []:
            impl = item(impl_id)
            if impl is None:
                continue
            imp = impl["inner"]["impl"]
            if imp.get("is_synthetic") or imp.get("blanket_impl") is not None:
                continue
            trait = imp.get("trait")
            if trait is None:
                for m in imp["items"]:
                    method = item(m)
                    if method and method["visibility"] == "public":
                        k = KINDS.get(next(iter(method["inner"])), "item")
                        lines.add(f"{k} {path}::{method['name']}")
            else:
                tpath = trait.get("path") or trait.get("name")
                lines.add(f"impl {tpath} for {path}")

    def walk(module_id, prefix: str, seen: set):
        if module_id in seen:
            return
        seen = seen | {module_id}
        for id_ in item(module_id)["inner"]["module"]["items"]:
            it = item(id_)
            if it is None or it["visibility"] != "public":
                continue
            kind = next(iter(it["inner"]))
            if kind == "use":
                use = it["inner"]["use"]
                target = item(use["id"]) if use.get("id") is not None else None
                if target is None:
                    lines.add(f"use {prefix}::{use['name']} = {use['source']}")
                    continue
                if use["is_glob"]:
                    walk(use["id"], prefix, seen)
                    continue
                name, tkind = use["name"], next(iter(target["inner"]))
                path = f"{prefix}::{name}"
                lines.add(f"{KINDS.get(tkind, tkind)} {path}")
                if tkind == "module":
                    walk(use["id"], path, seen)
                else:
                    members(target, path)
                continue
            if kind == "impl":
                continue
            path = f"{prefix}::{it['name']}"
            lines.add(f"{KINDS.get(kind, kind)} {path}")
            if kind == "module":
                walk(id_, path, seen)
            else:
                members(it, path)

    walk(doc["root"], crate, set())
    return sorted(lines)


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    out_dir = ROOT / "docs" / "api"
    failed = False
    for package in CRATES:
        crate = package.replace("-", "_")
        text = "\n".join(listing(rustdoc_json(package), crate)) + "\n"
        golden = out_dir / f"{package}.txt"
        if mode == "--write":
            out_dir.mkdir(exist_ok=True)
            golden.write_text(text)
        elif mode == "--check":
            old = golden.read_text() if golden.exists() else ""
            if old != text:
                failed = True
                old_lines, new_lines = set(old.splitlines()), set(text.splitlines())
                print(f"{package}: public API differs from {golden.relative_to(ROOT)}")
                for line in sorted(old_lines - new_lines):
                    print(f"  - {line}")
                for line in sorted(new_lines - old_lines):
                    print(f"  + {line}")
        else:
            sys.stdout.write(f"# {package}\n{text}")
    if failed:
        print("(run `python3 docs/tools/public_api.py --write` if the change is meant)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
