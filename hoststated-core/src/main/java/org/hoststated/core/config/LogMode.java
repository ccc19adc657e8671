package org.hoststated.core.config;

/** How much the health check engine logs: nothing extra, state changes, or every result. Part of the immutable configuration model shared by all processes. */
public enum LogMode {
    NONE, UPDATES, ALL
}
