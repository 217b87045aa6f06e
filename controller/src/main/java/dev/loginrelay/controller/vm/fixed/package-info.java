/** Back-end {@code static}: agents on VMs made elsewhere, listed in the configuration. */
package dev.loginrelay.controller.vm.fixed;
