"""Prints one line per public symbol of the given modules from SwiftPM symbol graphs:
module, kind and the declaration as written, sorted, so that diffs read as API changes."""
import json
import os
import sys

directory, modules = sys.argv[1], sys.argv[2:]
lines = set()
for name in os.listdir(directory):
    module = name.split(".")[0].split("@")[0]
    if module not in modules or not name.endswith(".symbols.json"):
        continue
    with open(os.path.join(directory, name)) as f:
        graph = json.load(f)
    for symbol in graph.get("symbols", []):
        if symbol.get("accessLevel") not in ("public", "open"):
            continue
        path = ".".join(symbol["pathComponents"])
        fragments = symbol.get("declarationFragments", [])
        declaration = "".join(f["spelling"] for f in fragments) if fragments else symbol["names"]["title"]
        lines.add(f"{module}\t{path}\t{' '.join(declaration.split())}")
print("\n".join(sorted(lines)))
