/** Back-end {@code kubernetes}: a SandboxClaim per session against an agent-sandbox warm pool on a cluster. */
package dev.loginrelay.controller.vm.kubernetes;
