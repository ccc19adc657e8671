package org.hoststated.core.config;

/** What a protocol node looks at: a header, a query variable, a cookie, or the path. Part of the immutable configuration model shared by all processes. */
public enum NodeType {
    HEADER, QUERY, COOKIE, PATH
}
