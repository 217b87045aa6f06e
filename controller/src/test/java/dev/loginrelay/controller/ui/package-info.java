/** The pages (Connect, operators) in headless Chromium against a real controller, agents and fake CLIs. */
package dev.loginrelay.controller.ui;
