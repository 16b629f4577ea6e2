#!/usr/bin/python3 -I
# slowproxy.py LISTEN_PORT TARGET_PORT RATE: a TCP proxy on 127.0.0.1 for the
# interoperability tests. What the client sends reaches 127.0.0.1:TARGET_PORT
# at RATE bytes per second at most (what the server sends is not slowed), so
# that an SFTP upload lasts long enough to be cut half-way; kill the proxy or
# the server's session to cut it. One thread pair per connection; stops on
# SIGTERM.
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # -I leaves the script's folder out
from srvlib import listen, pump  # noqa: E402


def serve(listen_port, target_port, rate):
    ls = listen(listen_port, 8)
    while True:
        c, _ = ls.accept()
        try:
            s = socket.create_connection(("127.0.0.1", target_port))
        except OSError:
            c.close()
            continue
        threading.Thread(target=pump, args=(c, s, rate), daemon=True).start()
        threading.Thread(target=pump, args=(s, c, 0), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
