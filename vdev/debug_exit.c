#include "vdev/debug_exit.h"

static uint32_t dexit_in(void *dev, uint16_t off, unsigned size)
{
	(void)dev;
	(void)off;
	(void)size;
	return 0xffffffffu;
}

static void dexit_out(void *dev, uint16_t off, unsigned size, uint32_t val)
{
	struct vdebug_exit *d = dev;

	(void)off;
	(void)size;
	d->exit(d->ctx, ((uint64_t)val << 1) | 1);
}

struct vdev_pio vdebug_exit_init(struct vdebug_exit *d, uint16_t port,
				 void (*exit)(void *, uint64_t), void *ctx)
{
	*d = (struct vdebug_exit){ .exit = exit, .ctx = ctx };
	return (struct vdev_pio){ .name = "isa-debug-exit", .base = port, .count = 1,
				  .wide = true, .in = dexit_in, .out = dexit_out, .dev = d };
}
