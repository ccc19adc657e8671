package org.hoststated.core.config;

/** Whether a protocol node applies to requests or responses. Part of the immutable configuration model shared by all processes. */
public enum Direction {
    REQUEST, RESPONSE
}
