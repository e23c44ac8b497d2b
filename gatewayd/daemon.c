/* SPDX-License-Identifier: ISC */
/* The daemon: start-up, the privilege split, one event loop. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "agentdb.h"
#include "audit.h"
#include "capture.h"
#include "config.h"
#include "control.h"
#include "ctlops.h"
#include "daemon.h"
#include "daemon_int.h"
#include "diag.h"
#include "engine.h"
#include "keyfile.h"
#include "log.h"
#include "nft.h"
#include "notify.h"
#include "policy.h"
#include "privsep.h"
#include "reload.h"
#include "replay.h"
#include "util.h"


static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
on_knock(const struct knock_pkt *k, void *arg)
{
	struct daemon *d = arg;

	engine_handle(d->engine, k, util_now_ms());
}

static int
check_only(struct daemon *d)
{
	struct policy *p = policy_load(d->cfg.policy);
	struct agentdb *db = agentdb_load(d->cfg.agents);
	int ret = p && db &&
	    keyfile_load_identity(d->cfg.identity, d->sk, d->pk) == 0 ? 0 : 1;

	if (ret == 0)
		printf("ok: %zu resources, %zu enclaves, %zu agents\n", p->nres,
		    p->nenc, agentdb_count(db));
	policy_free(p);
	agentdb_free(db);
	return ret;
}

/* The group that may use the control socket: the daemon user's, if set. */
static gid_t
daemon_gid(const struct gw_config *c)
{
	struct passwd *pw = c->user[0] ? getpwnam(c->user) : NULL;

	return pw ? pw->pw_gid : (gid_t)-1;
}

static int
setup(struct daemon *d, const struct daemon_opts *o)
{
	if (keyfile_load_identity(d->cfg.identity, d->sk, d->pk) != 0) {
		log_warn("no usable gateway identity; create one with: "
		    "spa-admin init --config-dir %s", o->config_dir);
		return -1;
	}
	d->audit = audit_open(d->cfg.audit);
	d->replay = replay_open(d->cfg.state, d->cfg.clock_skew * 2000);
	if (d->audit == NULL || d->replay == NULL)
		return -1;
	if (o->pcap_file == NULL) {
		d->nft = nft_open(d->cfg.table);
		if (d->nft == NULL ||
		    nft_install(d->nft, d->cfg.port, d->cfg.allow, d->cfg.nallow) != 0)
			return -1;
	}
	d->engine = engine_new(&d->cfg, d->sk, d->pk,
	    o->pcap_file ? NULL : &d->fw, d->audit, d->replay);
	if (d->engine == NULL || reload_rules(d) != 0)
		return -1;
	if (o->pcap_file != NULL) {
		d->cap[d->ncap] = capture_open_file(o->pcap_file, d->cfg.port);
		return d->cap[d->ncap++] ? 0 : -1;
	}
	for (size_t i = 0; i < d->cfg.nifaces; i++) {
		d->cap[d->ncap] = capture_open_live(d->cfg.ifaces[i], d->cfg.port);
		if (d->cap[d->ncap++] == NULL)
			return -1;
	}
	d->control = control_listen(d->cfg.control, daemon_gid(&d->cfg));
	if (d->control < 0)
		return -1;
	d->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify < 0 || inotify_add_watch(d->inotify, d->cfg.agents,
	    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
	    IN_CREATE | IN_ATTRIB) < 0) {
		diag(d->cfg.agents, 0, "cannot watch: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
teardown(struct daemon *d)
{
	for (size_t i = 0; i < d->ncap; i++)
		capture_close(d->cap[i]);
	if (d->inotify >= 0)
		close(d->inotify);
	if (d->control >= 0)
		close(d->control);	/* the privileged side unlinks it */
	engine_free(d->engine);
	replay_close(d->replay);
	audit_close(d->audit);
	/* The table stays: the host stays dark and openings expire by themselves. */
	nft_close(d->nft);
	if (d->priv_fd >= 0)
		close(d->priv_fd);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->sk != NULL)
		sodium_free(d->sk);
	memset(d, 0, sizeof(*d));
	d->inotify = d->control = d->priv_fd = d->sig_fd = -1;
}

static int
drain_inotify(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;

	while (read(fd, buf, sizeof(buf)) > 0)
		changed = 1;
	return changed;
}

/*
 * One burst from a capture, in one read of the ring; then the grants of the
 * burst are committed in one firewall batch.
 */
#define BURST_MAX 512

/* Housekeeping in small steps (see engine_tick): every 100 ms. */
#define TICK_MS 100

static void
read_burst(struct daemon *d, struct capture *c)
{
	capture_dispatch(c, BURST_MAX, on_knock, d);
	engine_drain(d->engine, util_now_ms());
}

static int
offline(struct daemon *d)
{
	while (capture_dispatch(d->cap[0], -1, on_knock, d) >= 0)
		;
	return 0;
}

/*
 * The privileged side may not signal the engine (another uid, and no
 * CAP_KILL), so it relays signals as one byte on a pipe; the engine reads
 * them in its loop, and end of file means the privileged side is gone.
 */
static int relay_fd = -1;

static void
relay_signal(int sig)
{
	char c = sig == SIGHUP ? 'H' : 'T';

	if (write(relay_fd, &c, 1) < 0)
		return;
}

static void
read_relay(struct daemon *d)
{
	char buf[16];
	ssize_t n = read(d->sig_fd, buf, sizeof(buf));

	if (n == 0) {			/* the privileged side is gone */
		if (!got_term)
			log_warn("the privileged process is gone: the engine stops");
		got_term = 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == 'H')
			got_hup = 1;
		else
			got_term = 1;
	}
}

static pid_t engine_pid;

/*
 * The loop waits in epoll: a flood wakes it once per burst, and each wake-up
 * costs the same however many descriptors it watches (poll() looked at all
 * of them every time: a sixth of the loop's CPU under a flood).
 */
enum { EV_ENGINE = CONFIG_MAX_IFACES, EV_RELAY, EV_CONTROL, EV_INOTIFY, EV_N };

static int
watch(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	diag(NULL, 0, "epoll: %s", strerror(errno));
	return -1;
}

static int
loop(struct daemon *d)
{
	struct epoll_event ev[EV_N];
	uint64_t now, next_tick = util_mono_ms() + TICK_MS;
	int ep = epoll_create1(EPOLL_CLOEXEC), ret = -1;
	sigset_t empty;

	sigemptyset(&empty);
	if (ep < 0) {
		diag(NULL, 0, "epoll: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < d->ncap; i++)
		if (watch(ep, capture_fd(d->cap[i]), (uint32_t)i) != 0)
			goto out;
	if (watch(ep, engine_fd(d->engine), EV_ENGINE) != 0 ||
	    watch(ep, d->sig_fd, EV_RELAY) != 0 ||
	    watch(ep, d->control, EV_CONTROL) != 0 ||
	    watch(ep, d->inotify, EV_INOTIFY) != 0)
		goto out;
	while (!got_term) {
		int r = epoll_pwait(ep, ev, EV_N, TICK_MS, &empty);
		char ready[EV_N] = { 0 };

		if (r < 0 && errno != EINTR) {
			diag(NULL, 0, "epoll: %s", strerror(errno));
			goto out;
		}
		/* Captures as they come (an error too: pcap reports it); then
		 * the rest in a fixed order. */
		for (int i = 0; i < r; i++)
			if (ev[i].data.u32 < EV_ENGINE)
				read_burst(d, d->cap[ev[i].data.u32]);
			else
				ready[ev[i].data.u32] = 1;
		if (ready[EV_INOTIFY] && drain_inotify(d->inotify))
			reload_agents(d);
		if (ready[EV_CONTROL])
			control_serve(d->control, &ctlops, d);
		if (ready[EV_RELAY])
			read_relay(d);
		if (ready[EV_ENGINE])
			engine_drain(d->engine, util_now_ms());
		if (got_hup) {
			got_hup = 0;
			if (reload_all(d) != 0)
				log_warn("reload refused; the previous settings stay in force");
		}
		if ((now = util_mono_ms()) >= next_tick) {
			next_tick = now + TICK_MS;
			engine_tick(d->engine, util_now_ms());
		}
	}
	ret = 0;
out:
	close(ep);
	return ret;
}

/* The privileged side after the split: only netlink, only CAP_NET_ADMIN. */
static int
run_privileged(struct daemon *d, int fd)
{
	struct sigaction sa = { .sa_handler = relay_signal };
	struct nft *nft = d->nft;
	char control[sizeof(d->cfg.control)];
	sigset_t all;
	int status = 0, ret;

	memcpy(control, d->cfg.control, sizeof(control));
	d->nft = NULL;			/* keep it from teardown */
	teardown(d);			/* no packet, key or file of the engine */
	malloc_trim(0);			/* nor the room the agents took */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	notify_send("READY=1");
	ret = privsep_drop_parent() == 0 ? privsep_serve(fd, nft) : -1;
	close(fd);
	close(relay_fd);		/* the engine stops on end of file */
	while (waitpid(engine_pid, &status, 0) < 0 && errno == EINTR)
		;
	unlink(control);
	nft_close(nft);
	notify_send("STOPPING=1");
	if (ret != 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* One verification thread per core but one (the loop verifies too when they
 * are all busy), at least 1, at most 8. */
static int
verify_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 1 : n > 9 ? 8 : (int)n - 1;
}

/* The engine after the split: no privilege, no capability. */
static int
run_engine(struct daemon *d, int fd)
{
	int ret;

	nft_close(d->nft);
	d->nft = NULL;
	d->priv_fd = fd;
	privsep_client(&d->fw, &d->priv_fd);
	if (privsep_drop_engine(d->cfg.user) != 0)
		return 1;
	/* What a reload reads must be readable now, or revocations would be
	 * silently ignored later. */
	if (reload_all(d) != 0) {
		log_warn("the engine (uid %u) cannot read its configuration; give "
		    "the daemon user read access (spa-admin init --user does)",
		    (unsigned)getuid());
		return 1;
	}
	/* Threads only now: fork keeps just the calling thread. */
	if (engine_set_threads(d->engine, verify_threads()) != 0) {
		log_warn("cannot start verification threads");
		return 1;
	}
	log_info("ready: table inet %s installed, knock port %u on %zu "
	    "interface(s); engine runs as uid %u with %d verify threads",
	    d->cfg.table, (unsigned)d->cfg.port, d->ncap, (unsigned)getuid(),
	    verify_threads());
	ret = loop(d) == 0 ? 0 : 1;
	teardown(d);
	return ret;
}

static int
split(struct daemon *d)
{
	int sv[2], pfd[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		diag(NULL, 0, "socketpair: %s", strerror(errno));
		return 1;
	}
	engine_pid = fork();
	if (engine_pid < 0) {
		diag(NULL, 0, "fork: %s", strerror(errno));
		return 1;
	}
	if (engine_pid == 0) {
		close(sv[0]);
		close(pfd[1]);
		d->sig_fd = pfd[0];
		return run_engine(d, sv[1]);
	}
	close(sv[1]);
	close(pfd[0]);
	relay_fd = pfd[1];
	return run_privileged(d, sv[0]);
}

int
daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .inotify = -1, .control = -1, .priv_fd = -1, .sig_fd = -1,
	    .dir = o->config_dir };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	int ret = 1;

	log_init(o->foreground || o->check);
	/* Tables of agents, keys, nonces and openings get their own mappings,
	 * given back whole when a table is rebuilt: a fixed threshold keeps
	 * glibc from moving them into the heap after the first is freed,
	 * where they would leave holes. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if (sodium_init() < 0 || (d.sk = sodium_malloc(KEY_SK_LEN)) == NULL) {
		log_warn("cannot initialise libsodium");
		return 1;
	}
	if (config_load(o->config_dir, &d.cfg) != 0)
		goto out;
	if (o->check) {
		ret = check_only(&d);
		goto out;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&d, o) != 0)
		goto out;
	if (o->pcap_file != NULL) {
		ret = offline(&d);
		goto out;
	}
	return split(&d);
out:
	teardown(&d);
	return ret;
}
