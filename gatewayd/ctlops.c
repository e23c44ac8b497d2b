/* SPDX-License-Identifier: ISC */
/* The control socket's requests, answered from the daemon's state. */
#include "capture.h"
#include "ctlops.h"
#include "engine.h"
#include "listing.h"
#include "reload.h"
#include "util.h"

static int
ctl_reload(void *arg)
{
	return reload_all(arg);
}

static long
ctl_revoke(void *arg, const char *name, int kill)
{
	struct daemon *d = arg;

	reload_agents(d);		/* pick up the file spa-admin just wrote */
	return engine_revoke(d->engine, name, kill, util_now_ms());
}

static void
ctl_openings(void *arg, FILE *f)
{
	struct daemon *d = arg;
	struct listing_view v;

	engine_view(d->engine, &v);
	listing_openings(&v, f, util_now_ms());
}

static void
ctl_agents(void *arg, FILE *f)
{
	struct daemon *d = arg;
	struct listing_view v;

	engine_view(d->engine, &v);
	listing_agents(&v, f, util_now_ms());
}

/* With the knocks the kernel dropped because a capture ring was full:
 * never seen, so in no other count. */
static void
ctl_metrics(void *arg, FILE *f)
{
	struct daemon *d = arg;
	struct listing_view v;

	engine_view(d->engine, &v);
	listing_metrics(&v, f);
	fprintf(f, "# HELP spa_capture_dropped_total Packets to the knock port "
	    "dropped before the daemon read them (capture ring full).\n"
	    "# TYPE spa_capture_dropped_total counter\n");
	for (size_t i = 0; i < d->ncap; i++)
		fprintf(f, "spa_capture_dropped_total{iface=\"%s\"} %u\n",
		    d->cfg.ifaces[i], capture_drops(d->cap[i]));
}

const struct control_ops ctlops = {
	ctl_reload, ctl_revoke, ctl_openings, ctl_agents, ctl_metrics
};
