"""Reads mpool_report_sample's JSON from stdin: it must parse as UTF-8 JSON
and hold the tree and tags that report_sample.c made, with the figures of
every pool numbers."""
import json
import sys

doc = json.loads(sys.stdin.buffer.read().decode("utf-8"))  # strict: invalid UTF-8 fails


def shape(pool):
    return [pool["tag"], [shape(child) for child in pool["children"]]]


expected = ['root "quoted" \\ back', [
    [None, [[None, []]]],
    ["tab\there\nnewline \x01\x1f\x7f", [
        ["bad \u00ff\u00fe \u00c3 \u00ed\u00a0\u0080 \u00c0\u00af", []],
        ["caf\u00e9 \u20ac \U0001F600", []],
    ]],
]]
if shape(doc) != expected:
    sys.exit("unexpected tree: %r" % (shape(doc),))


def check_figures(pool):
    for key in ("bytes_allocated", "bytes_reserved", "blocks", "cleanups", "children_not_visited"):
        if not isinstance(pool[key], int):
            sys.exit("%s is not a number" % key)
    if pool["children_not_visited"] != 0:  # kept for earlier readers: every child is visited
        sys.exit("children_not_visited is %d, not 0" % pool["children_not_visited"])
    for child in pool["children"]:
        check_figures(child)


check_figures(doc)
print("ok")
