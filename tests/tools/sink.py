#!/usr/bin/env python3
"""sink.py HOST:PORT OUTFILE - accept one TCP connection and write what
arrives to OUTFILE.  Exit 0 on a clean end of stream (FIN), 3 when the
connection was reset or failed (the sender's gateway aborted it), so a
test can tell a truncated stream from a complete one."""
import socket
import sys

host, _, port = sys.argv[1].rpartition(":")
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, int(port)))
ls.listen(1)
c, _ = ls.accept()
n = 0
rc = 0
with open(sys.argv[2], "wb") as f:
    try:
        while True:
            b = c.recv(262144)
            if not b:
                break
            f.write(b)
            n += len(b)
    except OSError as e:
        sys.stderr.write("sink: %s after %d bytes\n" % (e, n))
        rc = 3
print("%d bytes, %s" % (n, "reset" if rc else "clean end"))
sys.exit(rc)
