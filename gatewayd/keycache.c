#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keycache.h"

struct keycache {
	uint8_t *gw;			/* sodium_malloc: sk (64) || pk (32) */
	struct agent_state *tab;
	size_t cap, used;
};

static struct agent_state *
alloc_tab(size_t cap)
{
	struct agent_state *t = calloc(cap, sizeof(*t));

	if (t != NULL)
		sodium_mlock(t, cap * sizeof(*t));	/* best effort */
	return t;
}

static void
free_tab(struct agent_state *t, size_t cap)
{
	if (t == NULL)
		return;
	sodium_munlock(t, cap * sizeof(*t));		/* also wipes */
	free(t);
}

struct keycache *
keycache_new(const uint8_t gw_sk[KEY_SK_LEN], const uint8_t gw_pk[KEY_PK_LEN])
{
	struct keycache *kc = calloc(1, sizeof(*kc));

	if (kc == NULL)
		return NULL;
	kc->cap = 1024;
	kc->gw = sodium_malloc(KEY_SK_LEN + KEY_PK_LEN);
	kc->tab = alloc_tab(kc->cap);
	if (kc->gw == NULL || kc->tab == NULL) {
		keycache_free(kc);
		return NULL;
	}
	memcpy(kc->gw, gw_sk, KEY_SK_LEN);
	memcpy(kc->gw + KEY_SK_LEN, gw_pk, KEY_PK_LEN);
	return kc;
}

void
keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	if (kc->gw != NULL)
		sodium_free(kc->gw);
	free_tab(kc->tab, kc->cap);
	free(kc);
}

static int
grow(struct keycache *kc)
{
	size_t cap = kc->cap * 2;
	struct agent_state *t = alloc_tab(cap);

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < kc->cap; i++) {
		size_t j;

		if (!kc->tab[i].used)
			continue;
		for (j = kc->tab[i].id & (cap - 1); t[j].used; j = (j + 1) & (cap - 1))
			;
		t[j] = kc->tab[i];
	}
	free_tab(kc->tab, kc->cap);
	kc->tab = t;
	kc->cap = cap;
	return 0;
}

struct agent_state *
keycache_get(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN])
{
	uint64_t id64 = keys_id64(id);
	struct agent_state *s;
	size_t i;

	for (i = id64 & (kc->cap - 1); kc->tab[i].used; i = (i + 1) & (kc->cap - 1)) {
		s = &kc->tab[i];
		if (s->id != id64)
			continue;
		if (memcmp(s->pk, pk, KEY_PK_LEN) == 0)
			return s;
		/* Same key id, new public key (agent re-issued): derive again. */
		if (keys_session(kc->gw, pk, pk, kc->gw + KEY_SK_LEN, s->key) != 0)
			return NULL;
		memcpy(s->pk, pk, KEY_PK_LEN);
		memset(&s->bucket, 0, sizeof(s->bucket));
		return s;
	}
	if ((kc->used + 1) * 2 > kc->cap) {
		if (grow(kc) != 0)
			return NULL;
		for (i = id64 & (kc->cap - 1); kc->tab[i].used; i = (i + 1) & (kc->cap - 1))
			;
	}
	s = &kc->tab[i];
	if (keys_session(kc->gw, pk, pk, kc->gw + KEY_SK_LEN, s->key) != 0) {
		sodium_memzero(s->key, sizeof(s->key));
		return NULL;
	}
	s->id = id64;
	memcpy(s->pk, pk, KEY_PK_LEN);
	memset(&s->bucket, 0, sizeof(s->bucket));
	s->used = 1;
	kc->used++;
	return s;
}
