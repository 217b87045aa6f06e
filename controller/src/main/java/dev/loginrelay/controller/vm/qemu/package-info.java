/** Back-end {@code qemu}: a VM per session, a clone restored from the golden memory snapshot this package makes. */
package dev.loginrelay.controller.vm.qemu;
