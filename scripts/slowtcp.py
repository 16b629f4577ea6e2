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
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # -I leaves the script's folder out
from srvlib import listen, pump, write_pidfile  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--pidfile", required=True)
ap.add_argument("--hang", action="store_true")
ap.add_argument("--to", type=int)
ap.add_argument("--rate", type=int, default=0)
a = ap.parse_args()

held = []  # hung connections stay open until the process is killed
# a capped link moves a tenth of a second's bytes at a time, so the rate holds within a second
chunk = max(1, min(4096, a.rate // 10)) if a.rate else 65536


def proxy(client):
    upstream = socket.create_connection(("127.0.0.1", a.to))
    threading.Thread(target=pump, args=(client, upstream, a.rate, chunk), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, a.rate, chunk), daemon=True).start()


ls = listen(a.port, 16)
write_pidfile(a.pidfile)
while True:
    c, _ = ls.accept()
    if a.hang:
        held.append(c)
    else:
        proxy(c)
