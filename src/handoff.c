/*
 * handoff.c - one thread running fn over the items put, in order; see
 * handoff.h. Tickets count items: put is the number handed over, done the
 * number finished, so put - done is what the thread holds and item t lies
 * in ring[(t - 1) % depth].
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lotsync/handoff.h"
#include "lotsync/util.h"

struct handoff {
	handoff_fn fn;
	void *arg;
	unsigned depth;
	void **ring; /* depth pointers: the items held, in order */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* put, done, rc or quit changed */
	pthread_t tid;
	bool running; /* the thread started; else handoff_put runs fn */
	bool quit;
	uint64_t put, done;
	int rc; /* the first nonzero fn returned */
};

static void *
handoff_main(void *arg)
{
	struct handoff *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		void *item;
		int rc;

		while (h->done == h->put && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->done == h->put)
			break;
		item = h->ring[h->done % h->depth];
		rc = h->rc;
		pthread_mutex_unlock(&h->mu);
		if (rc == 0) /* after a failure the items are only given back */
			rc = h->fn(item, h->arg);
		pthread_mutex_lock(&h->mu);
		if (h->rc == 0)
			h->rc = rc;
		h->done++;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

struct handoff *
handoff_new(handoff_fn fn, void *arg, unsigned depth)
{
	struct handoff *h = xcalloc(1, sizeof(*h));

	h->fn = fn;
	h->arg = arg;
	h->depth = depth ? depth : 1;
	h->ring = xcalloc(h->depth, sizeof(*h->ring));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->running = pthread_create(&h->tid, NULL, handoff_main, h) == 0;
	return h;
}

uint64_t
handoff_put(struct handoff *h, void *item)
{
	uint64_t t;

	if (!h->running) {
		if (h->rc == 0)
			h->rc = h->fn(item, h->arg);
		h->done++;
		return ++h->put;
	}
	pthread_mutex_lock(&h->mu);
	while (h->put - h->done == h->depth)
		pthread_cond_wait(&h->cv, &h->mu);
	h->ring[h->put % h->depth] = item;
	t = ++h->put;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return t;
}

int
handoff_wait(struct handoff *h, uint64_t ticket)
{
	int rc;

	if (!h->running)
		return h->rc;
	pthread_mutex_lock(&h->mu);
	while (h->done < ticket)
		pthread_cond_wait(&h->cv, &h->mu);
	rc = h->rc;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int
handoff_room(struct handoff *h)
{
	int rc;

	if (!h->running)
		return h->rc;
	pthread_mutex_lock(&h->mu);
	while (h->put - h->done == h->depth)
		pthread_cond_wait(&h->cv, &h->mu);
	rc = h->rc;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int
handoff_drain(struct handoff *h)
{
	return handoff_wait(h, h->put); /* only the caller writes put: no lock to read it */
}

void
handoff_free(struct handoff *h)
{
	if (!h)
		return;
	if (h->running) {
		handoff_drain(h);
		pthread_mutex_lock(&h->mu);
		h->quit = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->tid, NULL);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->ring);
	free(h);
}
