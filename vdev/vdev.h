/* Virtual devices of a partition. Each claims a range of I/O ports on its
 * partition's bus; the port I/O exits are dispatched here (core/exits.c).
 * Pure code: no partition, no backend (tested on the host, tests/host). */
#ifndef VDEV_VDEV_H
#define VDEV_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#define VDEV_MAX_PIO 8

struct vdev_pio {
	const char *name;
	uint16_t base, count;
	/* false: an 8-bit ISA device, every byte of a wider access goes to the
	 * device claiming that port; true: the whole access goes to the device
	 * that claims its first port (size 1, 2 or 4). */
	bool wide;
	/* off is from base; the value is in the low size bytes. */
	uint32_t (*in)(void *dev, uint16_t off, unsigned size);
	void (*out)(void *dev, uint16_t off, unsigned size, uint32_t val);
	void *dev;
};

struct vdev_bus {
	struct vdev_pio pio[VDEV_MAX_PIO];
	unsigned npio;
};

enum vdev_claim { VDEV_OK, VDEV_OVERLAP, VDEV_FULL, VDEV_BAD_RANGE };

/* Adds d to the bus. VDEV_OVERLAP (with *clash the device already there)
 * when a port of d is claimed, VDEV_BAD_RANGE when d is empty or runs past
 * port 0xffff, VDEV_FULL when the bus has VDEV_MAX_PIO devices. */
enum vdev_claim vdev_claim_pio(struct vdev_bus *b, const struct vdev_pio *d,
			       const struct vdev_pio **clash);

/* The device claiming port, or NULL. */
const struct vdev_pio *vdev_pio_find(const struct vdev_bus *b, uint16_t port);

/* A guest's IN of size 1, 2 or 4 from port: *val gets what the devices say,
 * all ones where no device claims a byte. False when no byte was claimed. */
bool vdev_pio_in(const struct vdev_bus *b, uint16_t port, unsigned size, uint32_t *val);

/* A guest's OUT: each claimed byte (or the whole access, for a wide device)
 * goes to its device; the rest is dropped. False when no byte was claimed. */
bool vdev_pio_out(const struct vdev_bus *b, uint16_t port, unsigned size, uint32_t val);

const char *vdev_claim_str(enum vdev_claim c);

#endif
