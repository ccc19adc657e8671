package org.hoststated.core.config;

/** The health check method of a table. Part of the immutable configuration model shared by all processes. */
public enum CheckType {
    ICMP, TCP, SSL, HTTP_CODE, HTTP_DIGEST, SEND_EXPECT, SCRIPT, NONE
}
