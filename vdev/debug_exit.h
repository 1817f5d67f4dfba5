/* QEMU's isa-debug-exit: a write of V to its port stops the partition with
 * exit code (V << 1) | 1, so test kernels written for QEMU report their
 * verdict unchanged. Reads return all ones, as from no device. */
#ifndef VDEV_DEBUG_EXIT_H
#define VDEV_DEBUG_EXIT_H

#include <stdint.h>

#include "vdev/vdev.h"

struct vdebug_exit {
	void (*exit)(void *ctx, uint64_t code);
	void *ctx;
};

struct vdev_pio vdebug_exit_init(struct vdebug_exit *d, uint16_t port,
				 void (*exit)(void *, uint64_t), void *ctx);

#endif
