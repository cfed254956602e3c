#!/usr/bin/env python3
"""replay.py FILE HOST:PORT - send a recorded first handshake message again
and report what the gateway did: "closed after N bytes" (refused) or
"answered N bytes" (it replied, i.e. accepted the replay)."""
import socket
import sys

data = open(sys.argv[1], "rb").read()
host, _, port = sys.argv[2].rpartition(":")
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(data)
s.settimeout(3)
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except socket.timeout:
    pass
print("answered %d bytes" % len(got) if got else "closed after 0 bytes")
