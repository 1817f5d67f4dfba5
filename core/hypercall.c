#include "core/hypercall.h"

#include "core/partition.h"

static long long console_write(struct vcpu *v)
{
	struct partition *p = v->part;
	char buf[HC_CONSOLE_MAX];
	uint64_t len = v->regs.rcx;

	if (len > sizeof(buf) || !gspace_read(&p->mem, v->regs.rbx, buf, len))
		return HC_EINVAL;
	for (uint64_t i = 0; i < len; i++)
		partition_console_putc(p, (uint8_t)buf[i]);
	return HC_OK;
}

bool hypercall(struct vcpu *v)
{
	long long r;

	switch (v->regs.rax) {
	case HC_CONSOLE_WRITE:
		r = console_write(v);
		break;
	case HC_YIELD:
		r = HC_OK;
		break;
	case HC_EXIT:
		partition_stop(v->part, "exited with code %lu", v->regs.rbx);
		return false;
	default:
		r = HC_ENOSYS;
		break;
	}
	v->regs.rax = (uint64_t)r;
	return true;
}
