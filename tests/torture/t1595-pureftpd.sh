#!/bin/sh
# torture (interop matrix): Pure-FTPd 1.0.50, TLS required (-Y 2), one
# session per client (-C 1), deletes refused (-K); every cell of cells.sh.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start pd pureftpd tls=require maxperip=1 keep=on rate=120000
S="Pure-FTPd" S_URL="ftps://$FTP_USER@127.0.0.1:$PD_PORT" S_ROOT=$PD_ROOT S_PID=$PD_PID
S_CA=$PD_CACERT S_DELETE=no S_SLOW=yes
cell_writer
cell_cut
cell_many
finish
