#!/bin/bash
# Hostile clients and peers: garbage, a huge declared length, a flood of
# half-open connections on the peer port, malformed control requests.  Each
# ends that connection with a logged reason; the daemon and the real tunnel
# carry on.
. "$(dirname "$0")/lib.sh"
gt_init hostile
gt_site a 1
gt_site b 2
gt_site x 3			# the attacker
gt_config a "b"
gt_config b "a"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b
B=$(gt_ip b)
gt_nsx x python3 - "$B" <<'PY'
import os, socket, sys, time
b = sys.argv[1]
def send(data, wait=1.0):
    s = socket.create_connection((b, 7400), timeout=3)
    s.sendall(data)
    s.settimeout(wait)
    try:
        s.recv(100)
    except Exception:
        pass
    s.close()
send(b"GET / HTTP/1.0\r\n\r\n")                      # not vmgw
send(b"VMGW\x09\x01\x01\x00\x00\x10" + b"x" * 16)     # other version
send(b"VMGW\x03\x01\x01\x00\xff\xff")                 # handshake too long
send(b"VMGW\x03\x01\x01\x00\x00\x70" + os.urandom(0x70))  # random init
send(os.urandom(4096))
held = [socket.create_connection((b, 7400)) for _ in range(100)]  # half-open flood
time.sleep(1)
PY
check "b still runs" gt_alive b
check_grep "garbage: not a vmgw gateway" 'connection dropped: handshake: not a vmgw gateway \(bad magic\)' "$GT_DIR/b.log"
check_grep "other version refused" 'refused: this gateway speaks vmgw protocol 3' "$GT_DIR/b.log"
check_grep "oversized handshake refused" 'handshake message of 65535 bytes \(limit 1024\)' "$GT_DIR/b.log"
check_grep "random first message refused" 'first message does not authenticate' "$GT_DIR/b.log"
check_grep "the flood hits the pending limit" 'connection refused: 64 handshakes already pending' "$GT_DIR/b.log"
check "the real tunnel is still up" gt_connected a b
check_grep "and works" '^b: authenticated' <(gt_vmgw a check b)

# the control socket
S=$GT_DIR/b.sock
r=$(printf 'not json\n' | socat -t 2 - UNIX-CONNECT:"$S")
check "malformed control request: error reply ($r)" eval "echo '$r' | grep -q '\"ok\":false'"
r=$(printf '{"v":99,"cmd":"status"}\n' | socat -t 2 - UNIX-CONNECT:"$S")
check "wrong control version: clear error" eval "echo '$r' | grep -q 'control protocol version 99'"
r=$(printf '{"v":3,"cmd":"rm -rf"}\n' | socat -t 2 - UNIX-CONNECT:"$S")
check "unknown command: clear error" eval "echo '$r' | grep -q 'unknown command'"
head -c 300000 /dev/zero | tr '\0' 'x' | socat -t 2 - UNIX-CONNECT:"$S" >/dev/null 2>&1
check "b still runs after control abuse" gt_alive b
check "control socket is mode 0600" [ "$(stat -c %a "$S")" = 600 ]
gt_done
