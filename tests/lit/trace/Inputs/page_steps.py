#!/usr/bin/env python3
"""Prints what a page of `nncc explain` holds: whether it is self-contained
(no external script, stylesheet, image or link), whether the picture is
inlined, and its steps one per line."""
import json
import re
import sys

html = open(sys.argv[1], encoding="utf-8").read()
external = re.search(r'<(script|link|img|iframe)[^>]*(src|href)\s*=|url\(|@import', html, re.I)
print("self-contained:", external is None and html.startswith("<!DOCTYPE html>"))
print("picture:", '<div id="picture"><svg' in html)
data = re.search(r"const STEPS = (.*);\n", html).group(1)
steps = json.loads(data)
for s in steps:
    line = f"{s['phase']} {s['name']} {s['op']} {s['reads']} {s['value']}"
    if s["phase"] == "backward":
        line += f" | {s.get('note', '')} | {s.get('gradient_of', '')}"
    print(line)
print("steps:", len(steps))
