/* start.S: multiboot1 entry (a.out kludge, flat binary), switch to 64-bit long mode, IDT stubs. */

#define MB_MAGIC 0x1BADB002             /* multiboot1 header magic (Multiboot 0.6.96, 3.1.1) */
#define MB_FLAGS 0x00010002             /* bit 1: memory info; bit 16: address fields valid */
#define CS64 0x08
#define DS64 0x10
#define CS32 0x18

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header                     /* header_addr */
	.long __image_start                 /* load_addr */
	.long __data_end                    /* load_end_addr */
	.long __bss_end                     /* bss_end_addr */
	.long entry32                       /* entry_addr */

	.text
	.code32
	.globl entry32
entry32:
	cli
	cld
	mov %ebx, %esi                      /* multiboot info */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov %esi, mb_info
	mov $stack_top, %esp

	/* Identity map 0..4 GiB with 2 MiB pages: PML4[0] -> PDPT[0..3] -> 4 PDs (SDM Vol. 3A 4.5). */
	mov $pdpt, %eax
	or $3, %eax
	mov %eax, pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $pd, %eax
	or $3, %eax
	mov %eax, pdpt(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx                      /* 2048 PDEs: PS | RW | P, PCD|PWT above 3 GiB (MMIO) */
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	cmp $1536, %ecx
	jb 3f
	or $0x18, %eax
3:	mov %eax, pd(,%ecx,8)
	mov %ecx, %eax
	shr $11, %eax
	mov %eax, pd+4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $0x20, %eax                      /* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx               /* IA32_EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax                /* PG | PE */
	mov %eax, %cr0
	lgdt gdt_ptr
	ljmp $CS64, $entry64

	.code64
entry64:
	mov $DS64, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov $stack_top, %rsp
	call idt_init
	call main
	mov %eax, %edi
	call rt_exit
4:	hlt
	jmp 4b

/* Application processor start-up (SDM Vol. 3A 9.4.4 "MP Initialization Example"): the SIPI starts
 * the AP in real mode at the trampoline, copied to AP_TRAMP (page-aligned, below 1 MiB); it loads
 * the GDT, enters protected mode, turns on PAE paging with the BSP's tables and long mode, and
 * jumps to ap_entry64 with the stack in ap_stack_top. */
#define AP_TRAMP 0x8000
#define T(x) (AP_TRAMP + (x) - ap_tramp)
	.globl ap_tramp, ap_tramp_end, ap_stack_top
	.code16
ap_tramp:
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl T(ap_gdt_ptr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $CS32, $T(ap_tramp32)
	.code32
ap_tramp32:
	mov $DS64, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax                      /* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx               /* IA32_EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax                /* PG | PE */
	mov %eax, %cr0
	ljmp $CS64, $ap_entry64
	.balign 8
ap_gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
ap_tramp_end:

	.code64
ap_entry64:
	mov $DS64, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov ap_stack_top, %rsp
	call ap_main
5:	hlt
	jmp 5b

/* Interrupt stubs: vectors 8, 10-14, 17, 21, 29, 30 push an error code (SDM Vol. 3A 6.13). */
.macro STUB vec
	.balign 16
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push $0
	.endif
	push $\vec
	jmp isr_common
.endm
	.balign 16
	.globl isr_stubs
isr_stubs:
	.altmacro
	.set v, 0
	.rept 256
	STUB %v
	.set v, v+1
	.endr

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 72(%rsp), %rdi                  /* vector */
	lea 72(%rsp), %rsi                  /* frame: vector, error, rip, cs, rflags */
	call isr
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF            /* 64-bit code */
	.quad 0x00CF92000000FFFF            /* data */
	.quad 0x00CF9A000000FFFF            /* 32-bit code (AP start-up) */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.balign 16
	.skip 32768
stack_top:
	.globl mb_info
mb_info: .skip 8
ap_stack_top: .skip 8
