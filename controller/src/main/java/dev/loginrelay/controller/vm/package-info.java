/**
 * The VM-pool SPI (acquire, release, find an agent), the registry of back-ends by name and the {@code AgentSlots} port
 * a pool counts shared agents' sessions through; one package per back-end below.
 */
package dev.loginrelay.controller.vm;
