/**
 * Back-end {@code qemu}: a VM per session, a clone restored from the golden memory snapshot this package makes, kept
 * ready ahead of the clicks; {@code QemuTool} runs the same code for {@code snapshot/boot.sh} and {@code prove.sh}.
 */
package dev.loginrelay.controller.vm.qemu;
