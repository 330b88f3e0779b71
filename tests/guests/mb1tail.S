/* mb1tail.S — 16 bytes of .bss in a section of their own, which the Makefile places at the end of mb1noroom's image (no code). */
	.section .tail, "aw", @nobits
	.space 16
	.section .note.GNU-stack, "", @progbits
