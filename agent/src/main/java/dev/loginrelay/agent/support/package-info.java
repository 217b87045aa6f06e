/** Small shared values: {@link dev.loginrelay.agent.support.Secret} and redaction. */
package dev.loginrelay.agent.support;
