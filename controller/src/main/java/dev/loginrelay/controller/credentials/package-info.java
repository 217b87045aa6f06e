/** Credentials in custody after a ready login: envelope encryption, hand-off into a workspace, sealed export, revocation. */
package dev.loginrelay.controller.credentials;
