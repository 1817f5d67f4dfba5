/* Partitions from the boot config: parsed and validated (core/config*.c),
 * given their guest-physical memory (mm/gspace.c), their image loaded
 * (core/loader*.c) and their second-level tables built (mm/slat.c) in the
 * format of the virtualization backend. A bad partition is refused with its
 * message; the others are built. */
#ifndef CORE_PARTITION_H
#define CORE_PARTITION_H

#include <stdbool.h>

#include "boot/boot_info.h"
#include "arch/x86/spinlock.h"
#include "core/config.h"
#include "core/vcpu.h"
#include "core/vcpu_state.h"
#include "mm/gspace.h"
#include "mm/slat.h"
#include "vdev/debug_exit.h"
#include "vdev/vdev.h"
#include "vdev/vuart.h"

struct partition {
	const struct part_config *cfg;
	struct gspace mem;
	struct slat slat;
	bool has_slat;
	struct vcpu_state boot_state; /* of vCPU 0, from the loader */
	/* Running (core/run.c, core/sched.c) */
	struct vcpu vcpus[CONFIG_MAX_CPUS];
	unsigned nvcpus;
	volatile bool stopping;       /* its vCPUs must leave the guest (partition_stop) */
	volatile int live;            /* vCPUs not yet DEAD in this life */
	volatile bool stopped;        /* for good: no restart follows */
	unsigned restarts;
	struct spinlock stop_lock;    /* one partition_stop line per life */
	struct vdev_bus bus;          /* its virtual devices' ports */
	struct vuart com1;
	struct vdebug_exit dexit;
	struct spinlock con_lock;     /* its vCPUs write con concurrently */
	char con[128];                /* console output, a line at a time */
	unsigned con_len;
	uint64_t io_unclaimed;
	uint64_t msr_gp;              /* RDMSR/WRMSR answered with #GP */
};

extern struct partition parts[CONFIG_MAX_PARTITIONS];
extern unsigned nparts;

#define PARTITION_ERR_MAX 160

/* Claims p's virtual devices (core/partition_devs.c); false with the reason
 * in err (PARTITION_ERR_MAX bytes). */
bool partition_devices(struct partition *p, char *err);

/* One byte of p's console output (virtual COM1 or hypercall). */
void partition_console_putc(struct partition *p, uint8_t c);
/* Under p->con_lock: logs the line collected so far as "[NAME] text". */
void partition_console_flush(struct partition *p);

/* Stops p with one line saying why, then its exit counts; its vCPU leaves
 * the guest at the next exit. The run loop then restarts it (on_stop =
 * restart) or marks it stopped for good. */
void partition_stop(struct partition *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the config (the first module), builds every valid partition and logs
 * the plan, each refusal and each partition's leaf mix. Returns the number of
 * partitions built. */
unsigned partitions_boot(const struct boot_info *bi);

/* For a restart: p's RAM zeroed, its image loaded again, its devices reset;
 * its second-level tables stay (the same map). False with err set. */
bool partition_reload(struct partition *p, char *err);

/* core/run.c: sets up v's VMCS/VMCB from v->start on this CPU (0, or -1). */
int vcpu_setup(struct vcpu *v);
/* core/run.c: p's last vCPU left the guest after partition_stop(): logs its
 * counts, then restarts it or marks it stopped. */
void partition_life_over(struct partition *p);
/* The pool's time slice ([hypervisor] slice_us). */
unsigned partitions_slice_us(void);

/* What the config says to do when every partition has stopped. */
bool partitions_poweroff_when_stopped(void);

#endif
