#!/bin/sh
# torture (interop matrix): OpenSSH 9.2, ChrootDirectory + ForceCommand
# internal-sftp; every cell of cells.sh (uploads slowed and cut through
# scripts/slowproxy.py).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start ch sshchroot
S="OpenSSH chroot" S_URL="sftp://$FTP_USER@127.0.0.1:$CH_PORT" S_ROOT=$CH_ROOT S_PID=$CH_PID
S_KEY=$CH_KEY S_KNOWN_HOSTS=$CH_KNOWN_HOSTS S_DELETE=yes
cell_writer
cell_cut
cell_many
finish
