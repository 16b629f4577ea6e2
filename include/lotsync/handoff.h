/*
 * handoff.h - work handed to one thread of its own, in order, a few items
 * at a time (the render writer, the export's render thread, diff's and the
 * version batches' zstd threads all use it; each used to keep its own
 * mutex, condition and slot).
 *
 * The caller fills an item, hands it over with handoff_put() and goes on
 * with the next; the thread runs fn(item, arg) on the items in the order
 * they were put, at most `depth` of them in its hands at a time
 * (handoff_put() waits for room). handoff_wait() waits until a given item
 * is done; after it returns, the item and whatever fn wrote is the caller's
 * again (the mutex orders the thread's writes before the caller's reads).
 *
 * A nonzero return of fn is the handoff's result from then on: the items
 * put after it are given back without fn being run on them, and
 * handoff_wait() and handoff_room() return it.
 *
 * When no thread can be started, handoff_put() runs fn itself, on the
 * caller's thread, before it returns: slower, never different.
 *
 * Ownership: the items are the caller's; the handoff only holds pointers
 * to them between handoff_put() and their end. handoff_free() waits for
 * every item, ends the thread and frees the handoff.
 */
#ifndef LOTSYNC_HANDOFF_H
#define LOTSYNC_HANDOFF_H

#include <stdint.h>

struct handoff;

/* One item's work, on the handoff's thread; nonzero: failed (kept as the result). */
typedef int (*handoff_fn)(void *item, void *arg);

/* A handoff running fn with arg, at most depth (>= 1) items at a time. Never NULL. */
struct handoff *handoff_new(handoff_fn fn, void *arg, unsigned depth);
/* Hand item over (waits while depth items are in hand); its ticket, 1, 2, ... in order. */
uint64_t handoff_put(struct handoff *h, void *item);
/* Wait until the item of that ticket (and all before it) is done; the result so far.
 * Ticket 0 waits for nothing. */
int handoff_wait(struct handoff *h, uint64_t ticket);
/* Wait until fewer than depth items are in hand (so handoff_put() will not); the result so far. */
int handoff_room(struct handoff *h);
/* Wait until every item put is done; the result. */
int handoff_drain(struct handoff *h);
/* Drain, end the thread, free h (NULL: nothing). */
void handoff_free(struct handoff *h);

#endif
