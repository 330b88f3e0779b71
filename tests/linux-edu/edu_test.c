// SPDX-License-Identifier: GPL-2.0
/*
 * edu_test.c: Passage's test module for the edu PCI test device (1234:11e8, the interface of
 * QEMU's docs/specs/edu.rst; the project's Bochs has a compatible device). It drives the device
 * only through the Linux PCI, DMA and MSI APIs, so with an IOMMU every transfer goes through the
 * kernel's DMA remapping: it DMAs a buffer to the device and back and checks the data, counts
 * MSIs, and on request (bad_dma=1) makes the device write to an address it never mapped.
 * Results are console lines "EDU-TEST: PASS <name>" / "EDU-TEST: FAIL <name>: <why>".
 */
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#define EDU_IDENT	0x00	/* 0xRRrr00ed */
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define CMD_RUN		0x1
#define CMD_TO_RAM	0x2	/* device buffer -> memory */
#define CMD_IRQ		0x4	/* raise IRQ 0x100 when done */
#define EDU_BUF		0x40000	/* the device's 4 KiB buffer, as a DMA address on its side */
#define LEN		4096
#define TIMEOUT		msecs_to_jiffies(10000)

static bool bad_dma;
module_param(bad_dma, bool, 0444);
MODULE_PARM_DESC(bad_dma, "after the checks, make the device write to an IOVA nobody mapped");
static ulong bad_addr = 0x100000;
module_param(bad_addr, ulong, 0444);
MODULE_PARM_DESC(bad_addr, "the address the bad DMA targets (default 1 MiB)");

static bool want_ir;
module_param(want_ir, bool, 0444);

static uint stream;
module_param(stream, uint, 0444);
MODULE_PARM_DESC(stream, "raise this many MSIs one at a time and count them, with the VM exits of this CPU under Passage");
MODULE_PARM_DESC(want_ir, "interrupt remapping is expected: the MSI must be in remappable format");

struct edu_test {
	struct pci_dev *pdev;
	void __iomem *mmio;
	atomic_t irqs;
	struct completion done;
	u32 last_status;
};

#define say(fmt, ...) pr_info("EDU-TEST: " fmt "\n", ##__VA_ARGS__)

static irqreturn_t edu_test_irq(int irq, void *data)
{
	struct edu_test *t = data;
	u32 st = readl(t->mmio + EDU_IRQ_STATUS);

	if (!st)
		return IRQ_NONE;
	writel(st, t->mmio + EDU_IRQ_ACK);
	t->last_status = st;
	atomic_inc(&t->irqs);
	complete(&t->done);
	return IRQ_HANDLED;
}

/* One transfer; edu signals completion with an interrupt (CMD_IRQ). */
static int edu_test_dma(struct edu_test *t, dma_addr_t ram, bool to_ram)
{
	reinit_completion(&t->done);
	writeq(to_ram ? EDU_BUF : ram, t->mmio + EDU_DMA_SRC);
	writeq(to_ram ? ram : EDU_BUF, t->mmio + EDU_DMA_DST);
	writeq(LEN, t->mmio + EDU_DMA_CNT);
	writeq(CMD_RUN | CMD_IRQ | (to_ram ? CMD_TO_RAM : 0), t->mmio + EDU_DMA_CMD);
	if (!wait_for_completion_timeout(&t->done, TIMEOUT))
		return -ETIMEDOUT;
	if (!(t->last_status & 0x100))	/* edu's DMA-done interrupt status */
		return -EIO;
	return readl(t->mmio + EDU_DMA_CMD) & CMD_RUN ? -EBUSY : 0;
}

static u8 pattern(unsigned int i) { return (u8)(i * 13 + (i >> 8) + 0x5b); }

/* The same round trip with streaming mappings (dma_map_single), unmapped after each transfer. */
static void edu_test_streaming(struct edu_test *t)
{
	struct device *dev = &t->pdev->dev;
	u8 *a = kmalloc(LEN, GFP_KERNEL), *b = kzalloc(LEN, GFP_KERNEL);
	dma_addr_t da, db;
	unsigned int i, bad = 0;
	int err = -ENOMEM;

	if (!a || !b)
		goto out;
	for (i = 0; i < LEN; i++)
		a[i] = pattern(i + 1);
	da = dma_map_single(dev, a, LEN, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, da))
		goto out;
	err = edu_test_dma(t, da, false);
	dma_unmap_single(dev, da, LEN, DMA_TO_DEVICE);
	if (err)
		goto out;
	db = dma_map_single(dev, b, LEN, DMA_FROM_DEVICE);
	err = -ENOMEM;
	if (dma_mapping_error(dev, db))
		goto out;
	err = edu_test_dma(t, db, true);
	dma_unmap_single(dev, db, LEN, DMA_FROM_DEVICE);
	if (err)
		goto out;
	for (i = 0; i < LEN; i++)
		bad += b[i] != pattern(i + 1);
	if (bad)
		say("FAIL dma-streaming: %u of %u bytes differ", bad, LEN);
	else
		say("PASS dma-streaming: %u bytes through dma_map_single at %pad and %pad", LEN, &da, &db);
out:
	if (err)
		say("FAIL dma-streaming: error %d", err);
	kfree(b);
	kfree(a);
}

/*
 * The message the kernel programmed into the device's MSI capability: with interrupt remapping
 * on, the address is in remappable format (VT-d spec 5.1.2.2: bit 4 set, bits 19:5 and 2 the
 * handle), so the counted MSIs went through an IRTE; in compatibility format bits 19:12 are the
 * destination APIC ID. The interrupt chip's name shows the irq domain (IR-PCI-MSI when remapped).
 */
static void edu_test_msi_format(struct edu_test *t)
{
	struct pci_dev *pdev = t->pdev;
	struct irq_data *d = irq_get_irq_data(pci_irq_vector(pdev, 0));
	u32 addr = 0;
	u16 ctl = 0, data = 0;

	pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &ctl);
	pci_read_config_dword(pdev, pdev->msi_cap + PCI_MSI_ADDRESS_LO, &addr);
	pci_read_config_word(pdev, pdev->msi_cap + ((ctl & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32),
			     &data);
	say("msi %s: address 0x%08x data 0x%04x (%s format), chip %s", pci_name(pdev), addr, data,
	    (addr & BIT(4)) ? "remappable" : "compatibility", d && d->chip ? d->chip->name : "?");
	if (!want_ir)
		return;
	if ((addr & 0xfff00000) == 0xfee00000 && (addr & BIT(4)))
		say("PASS msi-remapped: handle %u%s", ((addr >> 5) & 0x7fff) | ((addr >> 2) & 1) << 15,
		    (addr & BIT(3)) ? " + subhandle" : "");
	else
		say("FAIL msi-remapped: MSI address 0x%08x is not in remappable format", addr);
}

/*
 * Passage's VMCALL 0xc0e0 (vmm/hypercall.c): the calling vCPU's VM exits so far, this call
 * included; -1 from a Passage without it. Outside Passage VMCALL is #UD: called only when the
 * CPUID hypervisor leaf says Passage.
 */
static bool under_passage(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	cpuid(0x40000000, &eax, &ebx, &ecx, &edx);
	return ebx == 0x73736150 && ecx == 0x48656761 && edx == 0x56; /* "PassageHV\0\0\0" */
}

static unsigned long passage_exits(void)
{
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(0xc0e0UL), "b"(~0UL) : "rcx", "rdx", "memory");
	return ret;
}

/* stream MSIs raised one at a time, each waited for: how many came and, under Passage, the VM
 * exits this CPU took meanwhile (the task stays on it: the wait does not migrate it on one CPU). */
static void edu_test_stream(struct edu_test *t)
{
	unsigned int i, got, irqs0 = atomic_read(&t->irqs);
	unsigned long e0 = 0, e1 = 0;
	bool hv = under_passage();

	if (!stream)
		return;
	if (hv)
		e0 = passage_exits();
	for (i = 0; i < stream; i++) {
		reinit_completion(&t->done);
		writel(0x1, t->mmio + EDU_IRQ_RAISE);
		if (!wait_for_completion_timeout(&t->done, TIMEOUT))
			break;
	}
	if (hv)
		e1 = passage_exits();
	got = atomic_read(&t->irqs) - irqs0;
	if (got != stream)
		say("FAIL msi-stream: %u of %u MSIs arrived", got, stream);
	else if (hv)
		say("PASS msi-stream: %u MSIs, %lu VM exits on this CPU meanwhile (%lu.%03lu per MSI)", got,
		    e1 - e0 - 1, (e1 - e0 - 1) / got, (e1 - e0 - 1) % got * 1000 / got);
	else
		say("PASS msi-stream: %u MSIs", got);
}

static void edu_test_run(struct edu_test *t)
{
	struct device *dev = &t->pdev->dev;
	dma_addr_t src_dma, dst_dma;
	u8 *src, *dst;
	unsigned int i, bad = 0;
	int irqs0, err;

	src = dma_alloc_coherent(dev, LEN, &src_dma, GFP_KERNEL);
	dst = dma_alloc_coherent(dev, LEN, &dst_dma, GFP_KERNEL);
	if (!src || !dst) {
		say("FAIL dma-alloc: no coherent buffers");
		goto out;
	}
	for (i = 0; i < LEN; i++) {
		src[i] = pattern(i);
		dst[i] = 0;
	}
	say("buffers: to-device at DMA address %pad, from-device at %pad", &src_dma, &dst_dma);
	irqs0 = atomic_read(&t->irqs);
	err = edu_test_dma(t, src_dma, false);
	if (!err)
		err = edu_test_dma(t, dst_dma, true);
	if (err) {
		say("FAIL dma-roundtrip: transfer error %d", err);
	} else {
		for (i = 0; i < LEN; i++)
			bad += dst[i] != pattern(i);
		if (bad)
			say("FAIL dma-roundtrip: %u of %u bytes differ (first byte 0x%02x, want 0x%02x)", bad, LEN,
			    dst[0], pattern(0));
		else
			say("PASS dma-roundtrip: %u bytes to the device and back", LEN);
	}
	/* one MSI per completed transfer, then one raised by hand */
	reinit_completion(&t->done);
	writel(0x1, t->mmio + EDU_IRQ_RAISE);
	if (!wait_for_completion_timeout(&t->done, TIMEOUT))
		say("FAIL msi-raise: the raised interrupt never came");
	else if (t->last_status != 0x1)
		say("FAIL msi-raise: interrupt status 0x%x, raised 0x1", t->last_status);
	if (atomic_read(&t->irqs) - irqs0 == 3)
		say("PASS msi-count: 3 MSIs for 2 transfers and 1 raised interrupt");
	else
		say("FAIL msi-count: %d MSIs, expected 3", atomic_read(&t->irqs) - irqs0);
	edu_test_msi_format(t);
	edu_test_streaming(t);
	edu_test_stream(t);

	if (bad_dma) {
		/* The device writes where the DMA API never mapped: with remapping on, the IOMMU must
		 * block it and record a fault; the transfer still completes on the device side. */
		say("bad DMA: device write to unmapped address 0x%lx", bad_addr);
		err = edu_test_dma(t, (dma_addr_t)bad_addr, true);
		say("bad DMA done (%d)", err);
	}
out:
	if (dst)
		dma_free_coherent(dev, LEN, dst, dst_dma);
	if (src)
		dma_free_coherent(dev, LEN, src, src_dma);
}

static int edu_test_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_test *t;
	u32 ident;
	int err, irq;

	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pdev = pdev;
	init_completion(&t->done);
	err = pcim_enable_device(pdev);
	if (err)
		goto fail;
	err = pcim_iomap_regions(pdev, BIT(0), "edu_test");
	if (err)
		goto fail;
	t->mmio = pcim_iomap_table(pdev)[0];
	ident = readl(t->mmio + EDU_IDENT);
	if ((ident & 0xff) != 0xed) {
		say("FAIL probe %s: ident 0x%08x", pci_name(pdev), ident);
		return -ENODEV;
	}
	/* edu masks DMA addresses to 28 bits unless configured otherwise */
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(28));
	if (err)
		goto fail;
	pci_set_master(pdev);
	err = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (err < 0) {
		say("FAIL msi %s: pci_alloc_irq_vectors: %d", pci_name(pdev), err);
		return err;
	}
	irq = pci_irq_vector(pdev, 0);
	err = devm_request_irq(&pdev->dev, irq, edu_test_irq, 0, "edu_test", t);
	if (err)
		goto fail_vec;
	say("probe %s: ident 0x%08x, MSI irq %d, IOMMU %s", pci_name(pdev), ident, irq,
	    device_iommu_mapped(&pdev->dev) ? "translating" : "none");
	pci_set_drvdata(pdev, t);
	edu_test_run(t);
	return 0;
fail_vec:
	pci_free_irq_vectors(pdev);
fail:
	say("FAIL probe %s: error %d", pci_name(pdev), err);
	return err;
}

static void edu_test_remove(struct pci_dev *pdev)
{
	struct edu_test *t = pci_get_drvdata(pdev);

	devm_free_irq(&pdev->dev, pci_irq_vector(pdev, 0), t);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id edu_test_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_test_ids);

static struct pci_driver edu_test_driver = {
	.name = "edu_test",
	.id_table = edu_test_ids,
	.probe = edu_test_probe,
	.remove = edu_test_remove,
};
module_pci_driver(edu_test_driver);

MODULE_DESCRIPTION("Passage test module for the edu PCI test device");
MODULE_LICENSE("GPL");
