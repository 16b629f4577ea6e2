# srvlib.py - what the Python test servers share (scripts/slowproxy.py,
# slowtcp.py, pyftpd.py, slowftp.py; the shell side is srvlib.sh): a rate-
# capped TCP pump, a listening socket on 127.0.0.1, a pidfile written by
# rename once the server is ready, and the options and the account of a
# pyftpdlib server. For tests only, never for production.
import os
import socket
import time


def pump(src, dst, rate=0, chunk=4096):
    """Copy src to dst until EOF or an error, at most rate bytes/s (0: no cap); then shut both."""
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


def listen(port, backlog):
    """A TCP socket listening on 127.0.0.1:port (SO_REUSEADDR)."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(backlog)
    return ls


def write_pidfile(path):
    """This process's PID into path, by rename: a reader never sees half of it."""
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(path + ".tmp", path)


def ftp_options(ap, pasv_help):
    """The options every pyftpdlib test server takes."""
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pasv", required=True, help=pasv_help)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--root", required=True)


def ftp_account(a, perm):
    """A pyftpdlib authorizer with the one user of the options a, rooted at --root."""
    from pyftpdlib.authorizers import DummyAuthorizer

    auth = DummyAuthorizer()
    with open(a.password_file) as f:
        pw = f.readline().strip()
    auth.add_user(a.user, pw, a.root, perm=perm)
    return auth
