; AP start-up trampoline: real mode -> protected mode -> long mode, copied to a page below 1 MiB.
; The SIPI vector makes CS = page >> 4 and IP = 0 (SDM Vol. 3A 9.4.4.2), so 16-bit code
; addresses everything relative to the page; flat-mode addresses are computed from CS.
bits 16
section .rodata
align 16
global trampoline_start, trampoline_end
global t_params, t_cr3, t_stack, t_entry, t_arg ; checked field by field in smp.c

trampoline_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                              ; ebx = physical base of this page
	lea eax, [ebx + (t_gdt - trampoline_start)]
	mov [t_gdtr - trampoline_start + 2], eax
	lea eax, [ebx + (t_pm32 - trampoline_start)]
	mov [t_jmp32 - trampoline_start], eax
	lea eax, [ebx + (t_lm64 - trampoline_start)]
	mov [t_jmp64 - trampoline_start], eax
	o32 lgdt [t_gdtr - trampoline_start]
	mov eax, cr0
	or eax, 1                               ; CR0.PE
	mov cr0, eax
	o32 jmp far [t_jmp32 - trampoline_start]

bits 32
t_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5                          ; CR4.PAE
	mov cr4, eax
	mov eax, [ebx + (t_cr3 - trampoline_start)]
	mov cr3, eax
	mov ecx, 0xc0000080                     ; IA32_EFER
	rdmsr
	or eax, 1 << 8                          ; LME
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1       ; PG, WP, PE
	mov cr0, eax
	jmp far [ebx + (t_jmp64 - trampoline_start)]

bits 64
t_lm64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rbx + (t_stack - trampoline_start)]
	mov rdi, [rbx + (t_arg - trampoline_start)]
	mov rax, [rbx + (t_entry - trampoline_start)]
	call rax
.hang:
	cli
	hlt
	jmp .hang

align 8
t_gdt:
	dq 0
	dq 0x00cf9a000000ffff                   ; 0x08: 32-bit code
	dq 0x00cf92000000ffff                   ; 0x10: data
	dq 0x00af9a000000ffff                   ; 0x18: 64-bit code
t_gdtr:
	dw 31
	dd 0
t_jmp32:
	dd 0
	dw 0x08
t_jmp64:
	dd 0
	dw 0x18
align 8
; struct trampoline_params (arch/x86/smp.c) -- the last 32 bytes
t_params:
t_cr3:   dq 0
t_stack: dq 0
t_entry: dq 0
t_arg:   dq 0
trampoline_end:
