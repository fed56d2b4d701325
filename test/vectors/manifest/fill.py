"""Fills in "canonical" and "sha256" of every vector here, with the Python
`rfc8785` package (Trail of Bits): an RFC 8785 implementation independent of
the Rust crate under test.

    python3 -m pip install rfc8785==0.1.4 && python3 test/vectors/manifest/fill.py

Only those two values are rewritten; the input keeps its spelling.
"""
import hashlib
import json
import pathlib
import re

import rfc8785

for path in sorted(pathlib.Path(__file__).parent.glob("*.json")):
    text = path.read_text(encoding="utf-8")
    canonical = rfc8785.dumps(json.loads(text)["manifest"])
    digest = hashlib.sha256(canonical).hexdigest()
    as_json = json.dumps(canonical.decode("utf-8"), ensure_ascii=False)
    text = re.sub(r'\n  "canonical": ".*",\n', lambda _: f'\n  "canonical": {as_json},\n', text)
    text = re.sub(r'\n  "sha256": "[0-9a-f]*"\n', f'\n  "sha256": "{digest}"\n', text)
    path.write_text(text, encoding="utf-8")
    print(f"{path.name}: {digest}")
