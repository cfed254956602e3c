#!/usr/bin/env python3
"""promq.py - scrape a Prometheus endpoint, parse it with the Prometheus
client library's own parser, and print the value of an expression.

  promq.py URL EXPR     e.g. 'val("vmgw_tunnel_up", peer="b")'

EXPR sees: fams (name -> family), typ(name) (a family's type), val(sample,
**labels) (a sample's value; KeyError when absent), has(sample, **labels),
samples(family) (its samples).  A bool is not printed: it is the exit
status (0 true, 1 false).  Exits 1 too when the scrape or parse fails.
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

url, expr = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(url, timeout=5) as r:
    ctype = r.headers.get("Content-Type", "")
    text = r.read().decode("utf-8")
fams = {f.name: f for f in text_string_to_metric_families(text)}
index = {}
for f in fams.values():
    for s in f.samples:
        index[(s.name, tuple(sorted(s.labels.items())))] = s.value


def typ(name):
    return fams[name].type


def val(name, **labels):
    return index[(name, tuple(sorted(labels.items())))]


def has(name, **labels):
    return (name, tuple(sorted(labels.items()))) in index


def samples(name):
    return fams[name].samples


res = eval(expr)
if isinstance(res, bool):      # a check: the exit status says
    sys.exit(0 if res else 1)
print(res)
