/*
 * transfer_http.h - one HTTP(S) POST of a JSON body (libcurl), for the
 * webhooks of [notify:NAME] url = ... . Only http:// and https:// are
 * allowed (redirects included); TLS certificates are verified. A reply
 * other than 2xx, a refused connection or a timeout is a failure whose
 * reason is written to err (never the URL's password).
 */
#ifndef LOTSYNC_TRANSFER_HTTP_H
#define LOTSYNC_TRANSFER_HTTP_H

#include <stddef.h>

/* POST body (Content-Type: application/json) to url. Returns 0 or -1 (err filled). */
int transfer_http_post_json(const char *url, const char *body, long timeout_seconds, char *err,
                            size_t errsz);

#endif
