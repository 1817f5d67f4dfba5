/* Ticket spinlock: FIFO fair, so no CPU starves while others loop on a lock.
 * Lock order (take lower numbers first, never the reverse):
 *   0 a partition's con_lock (core/exits.c), then
 *   1 pmm_lock (mm/pmm.c)   2 console_lock (core/log.c)
 * A run queue's lock (core/sched.c) is taken alone, never with another.
 * Interrupts stay off in the hypervisor, so no IRQ-safe variant is needed yet. */
#ifndef ARCH_X86_SPINLOCK_H
#define ARCH_X86_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

struct spinlock {
	uint32_t next;  /* ticket handed to the next locker */
	uint32_t owner; /* ticket now being served */
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	/* Acquire pairs with the release in spin_unlock: the critical section
	 * cannot start before the previous owner's stores are visible. */
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
}

/* Takes the lock only if nobody holds or waits for it. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t t = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) == t &&
	       __atomic_compare_exchange_n(&l->next, &t, t + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
