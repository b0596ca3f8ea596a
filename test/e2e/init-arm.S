@ The /init of the initramfs end-to-end test: a static ARM EABI Linux program that writes a marker to stdout
@ (the console the kernel opened from the /dev/console node in our archive), then powers the machine off with
@ reboot(2), which ends the QEMU run.
        .syntax unified
        .arch   armv7-a
        .arm
        .text
        .global _start

        .equ    SYS_WRITE, 4
        .equ    SYS_REBOOT, 88
        .equ    STDOUT, 1

_start:
        mov     r0, #STDOUT
        adr     r1, message
        mov     r2, #(message_end - message)
        mov     r7, #SYS_WRITE
        svc     #0
        movw    r0, #0xdead             @ LINUX_REBOOT_MAGIC1 0xfee1dead
        movt    r0, #0xfee1
        movw    r1, #0x1969             @ LINUX_REBOOT_MAGIC2 0x28121969
        movt    r1, #0x2812
        movw    r2, #0xfedc             @ LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
        movt    r2, #0x4321
        mov     r7, #SYS_REBOOT
        svc     #0
halt:   b       halt                    @ only if the power-off failed: the deadline ends the run

message:
        .ascii  "UIMG-INITRAMFS-OK\n"
message_end:
