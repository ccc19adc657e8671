package org.hoststated.core.config;

/** The hash of an HTTP digest check, told apart by the length of the hex string. Part of the immutable configuration model shared by all processes. */
public enum DigestType {
    MD5, SHA1
}
