/* Boot sequence of the boot CPU, and the APs' landing point. */
#include "core/hv.h"

#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "boot/boot_info.h"
#include "core/debug.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/partition.h"
#include "core/run.h"
#include "core/virt.h"
#include "drivers/uart8250.h"
#include "mm/paging.h"
#include "mm/pmm.h"

struct hv_options hv_opts;
uint64_t image_load_offset;
static struct boot_info boot_info;

static void console_setup(void)
{
	char errs[256];

	if (cmdline_parse(boot_info.cmdline, &hv_opts, errs, sizeof(errs)))
		log_warn("%s", errs);
	if (hv_opts.uart_port &&
	    (hv_opts.uart_port != UART_COM1 || hv_opts.uart_baud != UART_DEFAULT_BAUD))
		uart_init(hv_opts.uart_port, hv_opts.uart_baud);
	log_set_sinks((struct log_sinks){ .uart = hv_opts.uart_port != 0, .e9 = hv_opts.e9 });
	log_set_level(hv_opts.loglevel);
}

static void log_boot_info(void)
{
	const struct boot_info *bi = &boot_info;

	log_info("boot: loader \"%s\", cmdline \"%s\"", bi->loader, bi->cmdline);
	log_info("boot: memory map from the %s tag, %u regions", bi->mmap_from_efi ? "EFI" : "BIOS",
		 bi->mmap_count);
	for (unsigned i = 0; i < bi->mmap_count; i++)
		log_info("boot:   [0x%09lx-0x%09lx) %s", bi->mmap[i].base,
			 bi->mmap[i].base + bi->mmap[i].len, mem_type_name(bi->mmap[i].type));
	for (unsigned i = 0; i < bi->mod_count; i++)
		log_info("boot: module %u \"%s\" at 0x%lx, %lu bytes", i, bi->mods[i].name,
			 bi->mods[i].start, bi->mods[i].end - bi->mods[i].start);
}

static void ready(unsigned ncpu)
{
	struct pmm_totals t;
	struct wx_report wx;

	paging_audit_wx(&wx);
	log_info("mm: W^X audit: %lu mappings, %lu writable, %lu executable, %lu writable+executable",
		 wx.leaves, wx.writable, wx.executable, wx.wx);
	if (wx.wx && paging_nx_enforced())
		panic("mm: mapping at 0x%lx is both writable and executable", wx.first_wx_va);
	pmm_log_stats();
	pmm_totals(&t);
	log_info("hv: ready cpus=%u mem_total_kib=%lu mem_free_kib=%lu virt=%s", ncpu,
		 t.usable_bytes >> 10, t.free_bytes >> 10, virt_name());
}

__attribute__((noreturn)) static void idle(void)
{
	log_info("hv: nothing to run; on_idle=%s", hv_action_name(hv_opts.on_idle));
	if (hv_opts.on_idle == ACT_POWEROFF)
		power_off();
	if (hv_opts.on_idle == ACT_REBOOT)
		power_reset();
	cpu_stop();
}

/* Runs on the BSP's guarded stack from here on. */
__attribute__((noreturn)) static void hv_main_on_stack(void)
{
	unsigned ncpu;

	idt_enable_ist();
	acpi_init(&boot_info);
	lapic_init(acpi.lapic_pa);
	this_cpu()->apic_id = lapic_id();
	tsc_init();
	lapic_timer_init();
	virt_init();
	ncpu = smp_boot();
	ready(ncpu);
	debug_fault_maybe(hv_opts.debug_fault);
	partitions_boot(&boot_info);
	partitions_run();
	if (!hv_opts.on_idle_set && partitions_poweroff_when_stopped())
		hv_opts.on_idle = ACT_POWEROFF;
	idle();
}

void hv_main(uint32_t mb_magic, uint32_t mb_info_pa, uint64_t load_offset)
{
	const char *err;
	struct percpu *bsp;

	image_load_offset = load_offset; /* before any virt_to_phys() */
	uart_init(UART_COM1, UART_DEFAULT_BAUD);
	idt_init();
	idt_load();
	/* The early page tables direct-map the first 4 GiB, where GRUB puts it. */
	err = mb2_parse(mb_magic, phys_to_virt(mb_info_pa), mb_info_pa, &boot_info);
	if (err)
		panic("%s", err);
	console_setup();
	log_info("hv: x86-64 microhypervisor starting (image at 0x%lx)",
		 KERNEL_PHYS + image_load_offset);
	log_boot_info();

	pmm_init_early(&boot_info);
	paging_init(&boot_info);
	pmm_init_buddy();

	bsp = percpu_alloc(0, 0);
	if (!bsp)
		panic("cpu: out of memory for the boot CPU's per-CPU block");
	percpu_activate(bsp);
	cpus[0] = bsp;
	ncpus_online = 1;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call *%1"
			 ::"r"(bsp->stack_top), "r"(hv_main_on_stack)
			 : "memory");
	__builtin_unreachable();
}

void hv_ap_main(struct percpu *p)
{
	/* No logging before online: the BSP may INIT a CPU that is late, and
	 * it must not hold the console lock then. The BSP reports for it. */
	p->virt_ready = virt_cpu_prepare();
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	/* Halted until the run phase: its NMI wakes this loop (a panicking
	 * CPU's NMI stops the CPU instead, in the NMI handler). */
	while (!run_phase_started())
		cpu_halt();
	run_this_cpu();
	cpu_stop();
}
