; Multiboot2 header and 32-bit entry: early identity page tables, long mode, then mb2_main().
; Multiboot2 spec 3.1 (header) and 3.3 (machine state: 32-bit protected mode, paging off,
; EAX = 0x36d76289, EBX = physical address of the boot information).

MB2_MAGIC    equ 0xe85250d6
MB2_ARCH_I386 equ 0

section .mb2header
align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; end tag
	dw 0
	dw 0
	dd 8
mb2_header_end:

section .bss
align 4096
early_pml4: resb 4096
early_pdpt: resb 4096
early_pd:   resb 4096 * 4           ; 4 GiB of 2 MiB pages
align 16
global boot_stack_top
boot_stack: resb 32768
boot_stack_top:

section .text
bits 32
global mb2_start
extern mb2_main

mb2_start:
	cli
	cld
	mov esp, boot_stack_top
	mov edi, eax                    ; magic
	mov esi, ebx                    ; info

	; Long mode present? CPUID.80000001H:EDX.LM[bit 29]
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	bt edx, 29
	jnc .no_long_mode

	; PML4[0] -> PDPT, PDPT[0..3] -> PD0..3, PDs: 2048 x 2 MiB identity (SDM Vol. 3A 4.5)
	mov eax, early_pdpt
	or eax, 0x3
	mov [early_pml4], eax
	mov ecx, 0
.fill_pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, early_pd
	or eax, 0x3
	mov [early_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .fill_pdpt
	mov ecx, 0
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                    ; P, RW, PS
	mov [early_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; high dword: address bits 32+
	mov [early_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .fill_pd

	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, early_pml4
	mov cr3, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1 ; PG, WP, PE
	mov cr0, eax
	lgdt [gdt64_ptr]
	jmp 0x08:long_mode

.no_long_mode:
	; COM1 at 115200 was not set up yet; write a message anyway (firmware usually left it usable).
	mov esi, no_lm_msg
.msg:
	lodsb
	test al, al
	jz .halt
	mov dx, 0x3f8
	out dx, al
	jmp .msg
.halt:
	hlt
	jmp .halt

bits 64
long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov edi, edi                    ; zero-extend magic and info pointer
	mov esi, esi
	mov rsp, boot_stack_top
	call mb2_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
align 8
gdt64:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
gdt64_ptr:
	dw gdt64_ptr - gdt64 - 1
	dd gdt64
no_lm_msg: db "Passage: this CPU has no long mode (x86-64); halted", 13, 10, 0
