/** Small shared values of the controller: {@link dev.loginrelay.controller.support.Secret}. */
package dev.loginrelay.controller.support;
