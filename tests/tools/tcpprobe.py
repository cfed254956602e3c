#!/usr/bin/env python3
"""tcpprobe.py - one long-lived TCP session to an echo server, timed.

  tcpprobe.py [--host 10.99.1.10] [--port 7] [--interval 0.05]
              [--stop-file PATH] [--log FILE] [--connect-timeout 5]
              [--drain 3]

Connects once (the lab runs it in the client namespace, so it reaches the
guest through the router), then sends a numbered line ("seq N\\n") every
INTERVAL seconds on that ONE connection and times each echo.  It never
reconnects: the point is whether the same session survives a move.

It runs until the stop file appears, or SIGTERM or SIGINT; then it stops
sending, waits up to DRAIN seconds for the echoes still in flight, and prints
one summary line on stdout:

  tcp_sent=N tcp_echoed=N tcp_max_gap_ms=X tcp_session=survived|BROKEN

tcp_max_gap_ms is the longest interval between consecutive echoes (the first
one counts from the first send; when echoes are missing at the end, the
interval from the last echo to the end of the drain counts too).  survived
means: the connection never failed, and every line sent came back, complete
and in order.  Details (connect time, errors, round trips) go to stderr;
--log FILE gets one line per echo: "EPOCH SEQ RTT_MS".

Exit status: 0 survived, 1 BROKEN, 2 usage.
"""
import argparse
import errno
import os
import select
import signal
import socket
import sys
import time

stop_requested = False


def on_signal(signum, frame):
    global stop_requested
    stop_requested = True


def note(msg):
    print("tcpprobe: %s" % msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="10.99.1.10")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--stop-file")
    ap.add_argument("--log")
    ap.add_argument("--connect-timeout", type=float, default=5.0)
    ap.add_argument("--drain", type=float, default=3.0)
    args = ap.parse_args()
    if args.interval <= 0 or args.drain < 0:
        ap.error("--interval must be > 0 and --drain >= 0")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logf = open(args.log, "a", buffering=1) if args.log else None

    sent = 0                # lines handed to the socket
    echoed = 0              # lines that came back, in order
    send_time = {}          # seq -> time sent (monotonic)
    first_send = None
    last_echo = None
    max_gap = 0.0
    max_rtt = 0.0
    broken = None           # why the session is broken, if it is
    rxbuf = b""
    txbuf = b""

    t0 = time.monotonic()
    try:
        sock = socket.create_connection((args.host, args.port),
                                        timeout=args.connect_timeout)
    except OSError as e:
        note("connect to %s:%d failed: %s" % (args.host, args.port, e))
        print("tcp_sent=0 tcp_echoed=0 tcp_max_gap_ms=0 tcp_session=BROKEN",
              flush=True)
        return 1
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    note("connected to %s:%d in %.1f ms (local %s:%d)" %
         ((args.host, args.port, (time.monotonic() - t0) * 1000) +
          sock.getsockname()))

    next_send = time.monotonic()
    drain_until = None
    while True:
        now = time.monotonic()
        if drain_until is None and (stop_requested or (
                args.stop_file and os.path.exists(args.stop_file))):
            drain_until = now + args.drain
        if drain_until is not None and (echoed == sent or now >= drain_until):
            break
        if broken:
            break
        # queue the next line when due (never while draining)
        if drain_until is None and now >= next_send:
            sent += 1
            send_time[sent] = now
            if first_send is None:
                first_send = now
            txbuf += b"seq %d\n" % sent
            next_send += args.interval
            if next_send < now:         # we were late: do not burst
                next_send = now + args.interval
        if txbuf:
            try:
                n = sock.send(txbuf)
                txbuf = txbuf[n:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as e:
                broken = "send: %s" % e
                continue
        wait = (next_send if drain_until is None else drain_until) - time.monotonic()
        wait = min(max(wait, 0.0), 0.1)  # also polls the stop file
        try:
            r, w, _ = select.select([sock], [sock] if txbuf else [], [], wait)
        except InterruptedError:
            continue
        if not r:
            continue
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as e:
            broken = "recv: %s" % (errno.errorcode.get(e.errno, e) if e.errno else e)
            continue
        if not data:
            broken = "the peer closed the connection"
            continue
        t = time.monotonic()
        rxbuf += data
        while b"\n" in rxbuf:
            line, rxbuf = rxbuf.split(b"\n", 1)
            expect = echoed + 1
            if line != b"seq %d" % expect:
                broken = "echo out of order: expected 'seq %d', got %r" % (expect, line[:40])
                break
            echoed = expect
            gap = t - (last_echo if last_echo is not None else first_send)
            max_gap = max(max_gap, gap)
            last_echo = t
            rtt = t - send_time.pop(expect)
            max_rtt = max(max_rtt, rtt)
            if logf:
                logf.write("%.6f %d %.1f\n" % (time.time(), expect, rtt * 1000))
    end = time.monotonic()
    if echoed < sent and not broken:
        broken = "%d line(s) not echoed within the %.1f s drain" % (sent - echoed, args.drain)
    if echoed < sent and first_send is not None:   # the stall up to the end counts
        max_gap = max(max_gap, end - (last_echo if last_echo is not None else first_send))
    try:
        sock.close()
    except OSError:
        pass
    survived = broken is None and echoed == sent and sent > 0
    if broken:
        note("session BROKEN: %s" % broken)
    note("sent %d, echoed %d, max gap %.0f ms, max round trip %.0f ms, %.1f s" %
         (sent, echoed, max_gap * 1000, max_rtt * 1000, end - t0))
    print("tcp_sent=%d tcp_echoed=%d tcp_max_gap_ms=%.0f tcp_session=%s" %
          (sent, echoed, max_gap * 1000, "survived" if survived else "BROKEN"),
          flush=True)
    return 0 if survived else 1


if __name__ == "__main__":
    sys.exit(main())
