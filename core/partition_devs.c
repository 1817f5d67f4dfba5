/* A partition's virtual devices, from its config: the 16550A on COM1
 * (uart = com1) and the isa-debug-exit port (debug_exit = PORT). Each claims
 * its ports on the partition's bus (vdev/vdev.h); a clash refuses the
 * partition with both devices named. */
#include "core/fmt.h"
#include "core/partition.h"

#define COM1_BASE 0x3f8

static void com1_tx(void *ctx, uint8_t c)
{
	partition_console_putc(ctx, c);
}

static void debug_exit(void *ctx, uint64_t code)
{
	partition_stop(ctx, "debug exit with code %lu", code);
}

static bool claim(struct partition *p, const struct vdev_pio *d, char *err)
{
	const struct vdev_pio *clash = NULL;
	enum vdev_claim c = vdev_claim_pio(&p->bus, d, &clash);

	if (c == VDEV_OK)
		return true;
	if (c == VDEV_OVERLAP)
		fmt_snprintf(err, PARTITION_ERR_MAX,
			     "%s at port 0x%x: ports 0x%x-0x%x already belong to %s", d->name,
			     d->base, clash->base, clash->base + clash->count - 1, clash->name);
	else
		fmt_snprintf(err, PARTITION_ERR_MAX, "%s at port 0x%x: %s", d->name, d->base,
			     vdev_claim_str(c));
	return false;
}

bool partition_devices(struct partition *p, char *err)
{
	struct vdev_pio d;

	p->bus.npio = 0;
	if (p->cfg->uart == PART_UART_COM1) {
		d = vuart_init(&p->com1, COM1_BASE, com1_tx, p);
		if (!claim(p, &d, err))
			return false;
	}
	if (p->cfg->debug_exit) {
		d = vdebug_exit_init(&p->dexit, p->cfg->debug_exit, debug_exit, p);
		if (!claim(p, &d, err))
			return false;
	}
	return true;
}
