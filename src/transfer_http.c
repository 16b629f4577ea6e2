/* transfer_http.c - POST one JSON document to a webhook with libcurl. */
#include "lotsync/transfer_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "transfer_p.h"

/* The hook's reply body is not used: read and drop it. */
static size_t
discard(char *ptr, size_t size, size_t nmemb, void *user)
{
	(void)ptr;
	(void)user;
	return size * nmemb;
}

int
transfer_http_post_json(const char *url, const char *body, long timeout_seconds, char *err,
                        size_t errsz)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	CURL *h;
	long code = 0;
	CURLcode rc;

	transfer_global_init();
	if (!(h = curl_easy_init())) {
		snprintf(err, errsz, "cannot start libcurl");
		return -1;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "lotsync");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_seconds);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_seconds);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(err, errsz, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		snprintf(err, errsz, "HTTP %ld", code);
		return -1;
	}
	return 0;
}
