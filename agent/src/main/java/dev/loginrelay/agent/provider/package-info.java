/** Providers are data: declarative CLI login specs loaded from resources and an operator directory. */
package dev.loginrelay.agent.provider;
