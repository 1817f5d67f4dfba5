#include "mm/buddy.h"

/* One state byte per frame: the top two bits say what the frame is, the low
 * five bits hold the block order for heads. RESERVED is 0 so a zeroed meta[]
 * means "nothing managed yet". Every managed frame that does not start a block
 * is TAIL, which keeps split and merge at one metadata write each. */
#define META_STATE_MASK 0xc0u
#define META_ORDER_MASK 0x1fu

enum meta_state {
	META_RESERVED = 0x00,
	META_TAIL = 0x40,
	META_FREE = 0x80,  /* first frame of a block on free[order] */
	META_ALLOC = 0xc0, /* first frame of a block handed out */
};

_Static_assert(BUDDY_MAX_ORDER <= META_ORDER_MASK, "order must fit in the state byte");

#define BUDDY_PAGE_MASK (BUDDY_PAGE_SIZE - 1)
#define BUDDY_BASE_ALIGN (BUDDY_PAGE_SIZE << BUDDY_MAX_ORDER)

/* Free-list links live in the first bytes of each free block, so a buddy can
 * be unlinked in O(1) when it is absorbed by a merge. */
struct buddy_link {
	uint64_t next;
	uint64_t prev;
};

static uint64_t block_bytes(unsigned order)
{
	return BUDDY_PAGE_SIZE << order;
}

static uint64_t frame_of(const struct buddy *b, uint64_t pa)
{
	return (pa - b->base) >> BUDDY_PAGE_SHIFT;
}

static bool covers(const struct buddy *b, uint64_t pa)
{
	return pa >= b->base && frame_of(b, pa) < b->nframes;
}

static uint8_t meta_get(const struct buddy *b, uint64_t pa)
{
	return b->meta[frame_of(b, pa)];
}

static void meta_set(struct buddy *b, uint64_t pa, uint8_t v)
{
	b->meta[frame_of(b, pa)] = v;
}

static unsigned meta_state(uint8_t m)
{
	return m & META_STATE_MASK;
}

static unsigned meta_order(uint8_t m)
{
	return m & META_ORDER_MASK;
}

static struct buddy_link *link_of(const struct buddy *b, uint64_t pa)
{
	return b->env->phys_to_virt(pa);
}

static void list_push(struct buddy *b, uint64_t pa, unsigned order)
{
	struct buddy_list *l = &b->free[order];
	struct buddy_link *n = link_of(b, pa);

	n->prev = BUDDY_NIL;
	n->next = l->head;
	if (l->head != BUDDY_NIL)
		link_of(b, l->head)->prev = pa;
	l->head = pa;
	l->count++;
	meta_set(b, pa, (uint8_t)(META_FREE | order));
}

static void list_remove(struct buddy *b, uint64_t pa, unsigned order)
{
	struct buddy_list *l = &b->free[order];
	struct buddy_link *n = link_of(b, pa);

	if (n->prev != BUDDY_NIL)
		link_of(b, n->prev)->next = n->next;
	else
		l->head = n->next;
	if (n->next != BUDDY_NIL)
		link_of(b, n->next)->prev = n->prev;
	l->count--;
}

/* Puts the block [pa, pa + block_bytes(order)) on the free lists, merging
 * with its buddy as long as the buddy is a free block of the same order.
 * The caller has made every frame of the block other than pa TAIL. */
static void free_block(struct buddy *b, uint64_t pa, unsigned order)
{
	b->free_frames += 1ull << order;
	while (order < BUDDY_MAX_ORDER) {
		uint64_t buddy = pa ^ block_bytes(order);

		/* base is 1 GiB aligned, so buddy >= base; only the top can be out. */
		if (!covers(b, buddy) || meta_get(b, buddy) != (META_FREE | order))
			break;
		list_remove(b, buddy, order);
		/* The upper half's head becomes a tail of the merged block. */
		if (buddy > pa) {
			meta_set(b, buddy, META_TAIL);
		} else {
			meta_set(b, pa, META_TAIL);
			pa = buddy;
		}
		order++;
	}
	list_push(b, pa, order);
}

uint64_t buddy_meta_bytes(uint64_t lowest_pa, uint64_t end_pa)
{
	uint64_t base = lowest_pa & ~(BUDDY_BASE_ALIGN - 1);

	/* A partial last frame cannot be handed out, so it is not covered. */
	return end_pa > base ? (end_pa - base) >> BUDDY_PAGE_SHIFT : 0;
}

void buddy_init(struct buddy *b, uint64_t lowest_pa, uint64_t end_pa, uint8_t *meta,
		const struct buddy_env *env)
{
	b->base = lowest_pa & ~(BUDDY_BASE_ALIGN - 1);
	b->nframes = buddy_meta_bytes(lowest_pa, end_pa);
	b->meta = meta;
	b->env = env;
	/* A loop, not memset: this file links without libc. */
	for (uint64_t i = 0; i < b->nframes; i++)
		meta[i] = META_RESERVED;
	for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
		b->free[k].head = BUDDY_NIL;
		b->free[k].count = 0;
	}
	b->free_frames = 0;
	b->managed_frames = 0;
}

/* Largest order whose alignment pa meets and whose size fits before end. */
static unsigned largest_fit(uint64_t pa, uint64_t end)
{
	unsigned k = BUDDY_MAX_ORDER;

	while (k > 0 && ((pa & (block_bytes(k) - 1)) || block_bytes(k) > end - pa))
		k--;
	return k;
}

static bool range_addable(const struct buddy *b, uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	if ((pa | len) & BUDDY_PAGE_MASK)
		return false;
	if (end < pa || pa < b->base || frame_of(b, end) > b->nframes)
		return false;
	for (uint64_t f = pa; f < end; f += BUDDY_PAGE_SIZE) {
		if (meta_get(b, f) != META_RESERVED)
			return false;
	}
	return true;
}

enum buddy_status buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	/* Check everything first so a bad range leaves no trace. */
	if (!range_addable(b, pa, len))
		return BUDDY_EINVAL;
	/* TAIL first: free_block must not merge with frames of this range that
	 * are not on a free list yet. */
	for (uint64_t f = pa; f < end; f += BUDDY_PAGE_SIZE)
		meta_set(b, f, META_TAIL);
	b->managed_frames += len >> BUDDY_PAGE_SHIFT;
	while (pa < end) {
		unsigned k = largest_fit(pa, end);

		free_block(b, pa, k);
		pa += block_bytes(k);
	}
	return BUDDY_OK;
}

enum buddy_status buddy_alloc(struct buddy *b, unsigned order, uint64_t *pa_out)
{
	unsigned k = order;
	uint64_t pa;

	if (order > BUDDY_MAX_ORDER)
		return BUDDY_EINVAL;
	while (k <= BUDDY_MAX_ORDER && b->free[k].head == BUDDY_NIL)
		k++;
	if (k > BUDDY_MAX_ORDER)
		return BUDDY_ENOMEM;
	pa = b->free[k].head;
	list_remove(b, pa, k);
	/* Keep the lower half, give the upper half back at each step. */
	while (k > order) {
		k--;
		list_push(b, pa + block_bytes(k), k);
	}
	meta_set(b, pa, (uint8_t)(META_ALLOC | order));
	b->free_frames -= 1ull << order;
	*pa_out = pa;
	return BUDDY_OK;
}

/* pa is a TAIL frame: find the block holding it. Its head is pa rounded down
 * to the block's own size, so try each size and take the first head whose
 * order reaches that far. A free block means the caller freed a block that
 * has already merged away; an allocated one means an interior address. */
static enum buddy_status tail_status(const struct buddy *b, uint64_t pa)
{
	for (unsigned k = 1; k <= BUDDY_MAX_ORDER; k++) {
		uint8_t m = meta_get(b, pa & ~(block_bytes(k) - 1));

		if (meta_state(m) == META_TAIL || meta_state(m) == META_RESERVED ||
		    meta_order(m) < k)
			continue;
		return meta_state(m) == META_FREE ? BUDDY_EDOUBLE : BUDDY_EFOREIGN;
	}
	return BUDDY_EFOREIGN; /* unreachable while the TAIL invariant holds */
}

enum buddy_status buddy_free(struct buddy *b, uint64_t pa, unsigned *order_out)
{
	uint8_t m;

	if ((pa & BUDDY_PAGE_MASK) || !covers(b, pa))
		return BUDDY_EFOREIGN;
	m = meta_get(b, pa);
	switch (meta_state(m)) {
	case META_ALLOC:
		free_block(b, pa, meta_order(m));
		if (order_out)
			*order_out = meta_order(m);
		return BUDDY_OK;
	case META_FREE:
		return BUDDY_EDOUBLE;
	case META_TAIL:
		return tail_status(b, pa);
	default:
		return BUDDY_EFOREIGN;
	}
}

void buddy_stats(const struct buddy *b, uint64_t out[BUDDY_ORDERS])
{
	for (unsigned k = 0; k < BUDDY_ORDERS; k++)
		out[k] = b->free[k].count;
}

int buddy_order_for(uint64_t bytes)
{
	int k = 0;

	if (bytes > block_bytes(BUDDY_MAX_ORDER))
		return -1;
	while (block_bytes((unsigned)k) < bytes)
		k++;
	return k;
}

const char *buddy_status_str(enum buddy_status s)
{
	switch (s) {
	case BUDDY_OK:
		return "ok";
	case BUDDY_ENOMEM:
		return "out of memory";
	case BUDDY_EINVAL:
		return "invalid argument";
	case BUDDY_EFOREIGN:
		return "not an allocated block";
	case BUDDY_EDOUBLE:
		return "double free";
	}
	return "unknown buddy status";
}
