/** The VM-pool SPI (acquire, release, find an agent) and the registry of back-ends by name; one package per back-end below. */
package dev.loginrelay.controller.vm;
