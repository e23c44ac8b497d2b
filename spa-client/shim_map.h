/* SPDX-License-Identifier: ISC */
#ifndef SPA_SHIM_MAP_H
#define SPA_SHIM_MAP_H

/*
 * The shim's map from resource names to where they listen, parsed from
 * $SPA_SHIM_MAP: "NAME=HOST:PORT NAME=[V6]:PORT ..." (spaces or commas
 * between entries). HOST may be a name: every address it resolves to counts.
 */

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#define SHIM_MAX_ENTRIES 32
#define SHIM_MAX_ADDRS 8

struct shim_entry {
	char name[64];
	char hostport[300];		/* as given, for messages */
	struct sockaddr_storage sa[SHIM_MAX_ADDRS];
	int nsa;
	pthread_mutex_t lock;		/* one knock at a time per resource */
	uint64_t last_ms;		/* monotonic time of the last knock; 0 none */
};

struct shim_map {
	struct shim_entry e[SHIM_MAX_ENTRIES];
	int n;
};

/* Parse and resolve spec into m; 0, or -1 with a message in err. */
int shim_map_parse(struct shim_map *m, const char *spec, char *err, size_t errlen);

/* The entry whose address and port sa is (IPv4-mapped IPv6 counts as IPv4). */
struct shim_entry *shim_map_match(struct shim_map *m, const struct sockaddr *sa,
    socklen_t len);

#endif
