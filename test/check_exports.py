#!/usr/bin/env python3
"""check_exports.py LIBUXA_SO HEADER... - the shared library exports exactly the public API.

Every symbol the library exports must be declared UXA_API in a public header,
and every UXA_API declaration must be exported. Catches an internal helper
leaking out (hidden visibility or lib/uxa.map broken) and a public function
that is declared but missing.
"""
import re
import subprocess
import sys

lib, headers = sys.argv[1], sys.argv[2:]

declared = set()
for h in headers:
    text = open(h).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^#\s*define.*$", "", text, flags=re.M)
    for m in re.finditer(r"\bUXA_API\b[^;{]*?\b(\w+)\s*\(", text):
        declared.add(m.group(1))

out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] != "A":
        exported.add(parts[2].split("@")[0])

leaked = sorted(exported - declared)
missing = sorted(declared - exported)
for s in leaked:
    print(f"exported but not public API: {s}")
for s in missing:
    print(f"declared UXA_API but not exported: {s}")
print(f"{len(exported)} exported symbols, {len(declared)} public declarations")
sys.exit(1 if leaked or missing else 0)
