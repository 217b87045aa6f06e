package dev.loginrelay.controller;

/** Placeholder main; replaced by the real controller entry point. */
public final class ControllerMain {
    private ControllerMain() {
    }

    public static void main(String[] args) {
    }
}
