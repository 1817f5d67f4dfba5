#include "core/virt.h"

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "core/log.h"

static const struct virt_ops *active;

void virt_init(void)
{
	static const struct virt_ops *const backends[] = { &vmx_ops, &svm_ops };
	bool any = false;

	for (unsigned i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		enum virt_status st = backends[i]->probe();

		any |= st != VIRT_ABSENT;
		if (st == VIRT_USABLE && !active)
			active = backends[i];
	}
	if (!any)
		log_warn("virt: this CPU has neither Intel VMX nor AMD SVM: the hypervisor boots, "
			 "but no partition can run");
	else if (!active)
		log_warn("virt: hardware virtualization is not usable (see above): no partition "
			 "can run");
	if (!active)
		return;
	this_cpu()->virt_ready = active->cpu_prepare();
	if (!this_cpu()->virt_ready)
		log_warn("virt: %s: the boot CPU could not be prepared", active->name);
	else
		log_info("virt: %s: boot CPU prepared for guests", active->name);
}

const struct virt_ops *virt_active(void)
{
	return active;
}

const char *virt_name(void)
{
	return active ? active->name : "none";
}

bool virt_slat(const struct slat_fmt **fmt, unsigned *max_level)
{
	if (!active)
		return false;
	*fmt = active->slat_fmt;
	*max_level = active->slat_max_level();
	return true;
}

bool virt_cpu_prepare(void)
{
	return !active || active->cpu_prepare();
}
