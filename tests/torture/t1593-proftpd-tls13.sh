#!/bin/sh
# torture (interop matrix): ProFTPD 1.3.8 speaking TLS 1.3 only (MLSD on,
# AllowOverwrite on); every cell of cells.sh.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start pt proftpd tls=tls13 rate=120000
S="ProFTPD TLS 1.3" S_URL="ftps://$FTP_USER@127.0.0.1:$PT_PORT" S_ROOT=$PT_ROOT S_PID=$PT_PID
S_CA=$PT_CACERT S_DELETE=yes S_SLOW=yes
cell_writer
cell_cut
cell_many
finish
