# slowtcp.py - servers that misbehave in time, for lotsync's timeout tests
# (tests/e2e/t6204-timeouts.sh; never for production). Listens on
# 127.0.0.1:PORT, writes its PID to --pidfile when ready, runs until killed.
#   --hang             accept every connection and never send a byte (a
#                      server that hangs after the TCP handshake)
#   --to PORT --rate N a TCP proxy to 127.0.0.1:PORT that forwards at most N
#                      bytes per second in each direction (a trickling link)
import argparse
import os
import socket
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--pidfile", required=True)
ap.add_argument("--hang", action="store_true")
ap.add_argument("--to", type=int)
ap.add_argument("--rate", type=int, default=0)
a = ap.parse_args()

held = []  # hung connections stay open until the process is killed


def pump(src, dst, rate):
    chunk = max(1, min(4096, rate // 10)) if rate else 65536
    try:
        while True:
            data = src.recv(chunk)
            if not data:
                break
            dst.sendall(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def proxy(client):
    upstream = socket.create_connection(("127.0.0.1", a.to))
    threading.Thread(target=pump, args=(client, upstream, a.rate), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, a.rate), daemon=True).start()


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", a.port))
ls.listen(16)
with open(a.pidfile + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(a.pidfile + ".tmp", a.pidfile)
while True:
    c, _ = ls.accept()
    if a.hang:
        held.append(c)
    else:
        proxy(c)
