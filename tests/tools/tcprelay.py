#!/usr/bin/env python3
"""tcprelay.py - a TCP relay for fault tests: stands between two gateways.

  tcprelay.py --listen HOST:PORT --connect HOST:PORT
              [--flip-offset N] [--flip-dir c2s|s2c]   flip one bit of byte N
                                                      of the first connection
              [--record FILE --record-bytes K]        save the first K bytes
                                                      the client sends
              [--mark N]                              SO_MARK of the relay's
                                                      own connections (so that
                                                      a REDIRECT rule that sends
                                                      a gateway's dials here can
                                                      let them pass)
              [--log FILE]

Every connection is relayed byte for byte; the optional fault applies once,
to the first connection that reaches the offset (a connection that ends
before, such as a dial made before the far gateway listened, does not use
it up), so the gateways' reconnect goes through clean.
"""
import argparse
import socket
import sys
import threading
import time

args = None
fault_lock = threading.Lock()
fault_done = False
record_lock = threading.Lock()
record_done = False
log_lock = threading.Lock()


def log(msg):
    with log_lock:
        line = "%s %s\n" % (time.strftime("%H:%M:%S"), msg)
        if args.log:
            with open(args.log, "a") as f:
                f.write(line)
        else:
            sys.stderr.write(line)


def hostport(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


def take_fault():
    """True exactly once: the caller applies the fault."""
    global fault_done
    with fault_lock:
        if fault_done:
            return False
        fault_done = True
        return True


def pump(src, dst, name, fault, record):
    off = 0
    try:
        while True:
            data = src.recv(262144)
            if not data:
                break
            if record is not None and record["left"] > 0:
                take = data[: record["left"]]
                record["buf"] += take
                record["left"] -= len(take)
                if record["left"] == 0:
                    with open(args.record, "wb") as f:
                        f.write(record["buf"])
                    log("recorded %d bytes to %s" % (len(record["buf"]), args.record))
            if fault is not None and off <= fault < off + len(data) and take_fault():
                b = bytearray(data)
                b[fault - off] ^= 0x01
                data = bytes(b)
                log("%s: flipped one bit of byte %d" % (name, fault))
            dst.sendall(data)
            off += len(data)
    except OSError:
        pass
    finally:
        log("%s: done after %d bytes" % (name, off))
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client):
    global record_done
    try:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if args.mark is not None:
            server.setsockopt(socket.SOL_SOCKET, 36, args.mark)  # SO_MARK
        server.settimeout(5)
        server.connect(hostport(args.connect))
        server.settimeout(None)
    except OSError as e:
        log("connect %s: %s" % (args.connect, e))
        client.close()
        return
    c2s = s2c = rec = None
    if args.flip_offset is not None and not fault_done:
        if args.flip_dir == "c2s":
            c2s = args.flip_offset
        else:
            s2c = args.flip_offset
    with record_lock:
        if args.record and not record_done:
            record_done = True
            rec = {"left": args.record_bytes, "buf": b""}
    log("connection")
    t1 = threading.Thread(target=pump, args=(client, server, "c2s", c2s, rec), daemon=True)
    t2 = threading.Thread(target=pump, args=(server, client, "s2c", s2c, None), daemon=True)
    t1.start()
    t2.start()


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--connect", required=True)
    ap.add_argument("--flip-offset", type=int)
    ap.add_argument("--flip-dir", default="c2s", choices=["c2s", "s2c"])
    ap.add_argument("--record")
    ap.add_argument("--record-bytes", type=int, default=0)
    ap.add_argument("--mark", type=int)
    ap.add_argument("--log")
    args = ap.parse_args()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(hostport(args.listen))
    ls.listen(16)
    log("relaying %s -> %s" % (args.listen, args.connect))
    while True:
        c, _ = ls.accept()
        handle(c)


if __name__ == "__main__":
    main()
