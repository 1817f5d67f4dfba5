/* The port I/O bus of a partition: claims and dispatch (vdev/vdev.h). */
#include "vdev/vdev.h"

#include <stddef.h>

enum vdev_claim vdev_claim_pio(struct vdev_bus *b, const struct vdev_pio *d,
			       const struct vdev_pio **clash)
{
	uint32_t end = (uint32_t)d->base + d->count;

	if (!d->count || end > 0x10000)
		return VDEV_BAD_RANGE;
	for (unsigned i = 0; i < b->npio; i++) {
		const struct vdev_pio *o = &b->pio[i];

		if (d->base < (uint32_t)o->base + o->count && o->base < end) {
			if (clash)
				*clash = o;
			return VDEV_OVERLAP;
		}
	}
	if (b->npio == VDEV_MAX_PIO)
		return VDEV_FULL;
	b->pio[b->npio++] = *d;
	return VDEV_OK;
}

const struct vdev_pio *vdev_pio_find(const struct vdev_bus *b, uint16_t port)
{
	for (unsigned i = 0; i < b->npio; i++)
		if (port >= b->pio[i].base && port - b->pio[i].base < b->pio[i].count)
			return &b->pio[i];
	return NULL;
}

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

bool vdev_pio_in(const struct vdev_bus *b, uint16_t port, unsigned size, uint32_t *val)
{
	const struct vdev_pio *d = vdev_pio_find(b, port);
	uint32_t v = 0;
	bool any = false;

	if (d && d->wide) {
		*val = d->in(d->dev, (uint16_t)(port - d->base), size) & size_mask(size);
		return true;
	}
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i); /* wraps at 0xffff like the bus */
		uint32_t byte = 0xff;

		d = vdev_pio_find(b, p);
		if (d && !d->wide) {
			byte = d->in(d->dev, (uint16_t)(p - d->base), 1) & 0xff;
			any = true;
		}
		v |= byte << (8 * i);
	}
	*val = v;
	return any;
}

bool vdev_pio_out(const struct vdev_bus *b, uint16_t port, unsigned size, uint32_t val)
{
	const struct vdev_pio *d = vdev_pio_find(b, port);
	bool any = false;

	if (d && d->wide) {
		d->out(d->dev, (uint16_t)(port - d->base), size, val & size_mask(size));
		return true;
	}
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);

		d = vdev_pio_find(b, p);
		if (d && !d->wide) {
			d->out(d->dev, (uint16_t)(p - d->base), 1, (val >> (8 * i)) & 0xff);
			any = true;
		}
	}
	return any;
}

const char *vdev_claim_str(enum vdev_claim c)
{
	switch (c) {
	case VDEV_OK: return "ok";
	case VDEV_OVERLAP: return "ports already claimed";
	case VDEV_FULL: return "too many devices";
	case VDEV_BAD_RANGE: return "empty port range or past port 0xffff";
	}
	return "?";
}
