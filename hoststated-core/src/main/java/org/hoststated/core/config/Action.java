package org.hoststated.core.config;

/** What a protocol node does. Part of the immutable configuration model shared by all processes. */
public enum Action {
    APPEND, CHANGE, REMOVE, EXPECT, FILTER, HASH, LOG
}
