#!/usr/bin/env python3
"""Writes every ```cpp block of the given Markdown files to OUT_DIR/doc_<stem>_<n>.cpp.

Files are rewritten only when their text changes, so unchanged snippets do not rebuild.
Usage: extract_snippets.py OUT_DIR DOC.md...
"""
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
wanted = set()
for doc in map(pathlib.Path, sys.argv[2:]):
    blocks = re.findall(r"^```cpp[ \t]*\n(.*?)^```[ \t]*$", doc.read_text(encoding="utf-8"),
                        flags=re.M | re.S)
    for n, code in enumerate(blocks, 1):
        path = out / f"doc_{doc.stem}_{n}.cpp"
        text = f"// extracted from {doc.name}, block {n}\n{code}"
        wanted.add(path)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
for stale in out.glob("doc_*.cpp"):
    if stale not in wanted:
        stale.unlink()
