#!/bin/sh
# torture (interop matrix): ProFTPD 1.3.8 mod_sftp (publickey, DefaultRoot
# chroot), AllowOverwrite off; every cell of cells.sh (uploads slowed and
# cut through scripts/slowproxy.py).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start ps proftpd sftp=on overwrite=off
S="ProFTPD mod_sftp" S_URL="sftp://$FTP_USER@127.0.0.1:$PS_PORT" S_ROOT=$PS_ROOT S_PID=$PS_PID
S_KEY=$PS_KEY S_KNOWN_HOSTS=$PS_KNOWN_HOSTS S_DELETE=yes
cell_writer
cell_cut
cell_many
finish
