/*
 * config_shard.c - --shard I/N: which feeds and targets one of N processes
 * runs, and the database, lock and metrics file names that keep the shards
 * apart under one spool (spool folders are per feed already).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/config.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

/* FNV-1a 64: stable across hosts and versions, so a feed never changes shard. */
static uint64_t
fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

unsigned
config_shard_of(const char *name, unsigned n)
{
	return (unsigned)(fnv1a64(name) % n);
}

/* The shard of a target: that of its feeds; -1 (logged) when they disagree. */
static long
target_shard(const struct config *cfg, const struct target_conf *t, unsigned n)
{
	long s;

	if (t->nfeeds == 0)
		return config_shard_of(t->name, n);
	s = config_shard_of(t->feeds[0], n);
	for (size_t j = 1; j < t->nfeeds; j++) {
		unsigned o = config_shard_of(t->feeds[j], n);

		if (o != s) {
			log_error("%s: [target:%s]: its feeds fall in different shards of %u "
			          "(%s: %ld, %s: %u); a target exports from one shard's "
			          "database, so with --shard all its feeds must share one",
			          cfg->path, t->name, n, t->feeds[0], s, t->feeds[j], o);
			return -1;
		}
	}
	return s;
}

/*
 * Stable partition of n elements of size sz: those with keep[k] first, in
 * their order, then the others, in theirs. Returns how many were kept.
 */
static size_t
partition(void *base, size_t n, size_t sz, const bool *keep)
{
	char *tmp = xcalloc(n ? n : 1, sz), *b = base;
	size_t k = 0, o;

	for (size_t i = 0; i < n; i++)
		if (keep[i])
			memcpy(tmp + k++ * sz, b + i * sz, sz);
	o = k;
	for (size_t i = 0; i < n; i++)
		if (!keep[i])
			memcpy(tmp + o++ * sz, b + i * sz, sz);
	memcpy(b, tmp, n * sz);
	free(tmp);
	return k;
}

/* "dir/lotsync.db" -> "dir/lotsync-1-of-4.db"; a name without ext gets the suffix. */
static char *
shard_name(const char *path, const char *ext, unsigned i, unsigned n)
{
	size_t len = strlen(path), el = strlen(ext);
	const char *slash = strrchr(path, '/');

	if (len > el && strcmp(path + len - el, ext) == 0 && (!slash || slash < path + len - el))
		return xasprintf("%.*s-%u-of-%u%s", (int)(len - el), path, i, n, ext);
	return xasprintf("%s-%u-of-%u", path, i, n);
}

int
config_shard(struct config *cfg, unsigned i, unsigned n)
{
	size_t nf = cfg->nfeeds, nt = cfg->ntargets;
	bool *keep = xcalloc((nf > nt ? nf : nt) + 1, sizeof(*keep));
	int errors = 0;
	char *p;

	for (size_t k = 0; k < nt; k++) {
		long s = target_shard(cfg, &cfg->targets[k], n);

		errors += s < 0;
		keep[k] = s == (long)i;
	}
	if (errors)
		goto out;
	cfg->ntargets = partition(cfg->targets, nt, sizeof(*cfg->targets), keep);
	cfg->ntargets_other = nt - cfg->ntargets;
	for (size_t k = 0; k < nf; k++)
		keep[k] = config_shard_of(cfg->feeds[k].name, n) == i;
	cfg->nfeeds = partition(cfg->feeds, nf, sizeof(*cfg->feeds), keep);
	cfg->nfeeds_other = nf - cfg->nfeeds;

	p = shard_name(cfg->database, ".db", i, n);
	free(cfg->database);
	cfg->database = p;
	if (cfg->metrics_file) {
		p = shard_name(cfg->metrics_file, ".prom", i, n);
		free(cfg->metrics_file);
		cfg->metrics_file = p;
	}
	free(cfg->lock_name);
	cfg->lock_name = xasprintf(".lock-%u-of-%u", i, n);
	free(cfg->shard);
	cfg->shard = xasprintf("%u/%u", i, n);
out:
	free(keep);
	return errors;
}
