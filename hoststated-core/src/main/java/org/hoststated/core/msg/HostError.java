package org.hoststated.core.msg;

/**
 * Why the last check of a host gave its result, with one text each, as relayd's
 * {@code host_error()} table. Shown by {@code hoststatectl show hosts}.
 */
public enum HostError {
    // Payload enums travel as their ordinal: append new constants, never reorder.
    NONE("none"),
    ABORT("aborted"),
    INTERVAL_TIMEOUT("interval timeout"),
    ICMP_OK("icmp ok"),
    ICMP_READ_TIMEOUT("icmp read timeout"),
    ICMP_WRITE_TIMEOUT("icmp write timeout"),
    TCP_SOCKET_ERROR("tcp socket error"),
    TCP_SOCKET_LIMIT("tcp socket limit"),
    TCP_SOCKET_OPTION("tcp socket option"),
    TCP_CONNECT_FAIL("tcp connect failed"),
    TCP_CONNECT_TIMEOUT("tcp connect timeout"),
    TCP_CONNECT_REFUSED("tcp connection refused"),
    TCP_CONNECT_OK("tcp connect ok"),
    TCP_WRITE_TIMEOUT("tcp write timeout"),
    TCP_WRITE_FAIL("tcp write failed"),
    TCP_READ_TIMEOUT("tcp read timeout"),
    TCP_READ_FAIL("tcp read failed"),
    SCRIPT_OK("script ok"),
    SCRIPT_FAIL("script failed"),
    SCRIPT_TIMEOUT("script timeout"),
    SSL_CONNECT_ERROR("ssl connect error"),
    SSL_CONNECT_FAIL("ssl connect failed"),
    SSL_CONNECT_OK("ssl connect ok"),
    SSL_CONNECT_TIMEOUT("ssl connect timeout"),
    SSL_READ_TIMEOUT("ssl read timeout"),
    SSL_WRITE_TIMEOUT("ssl write timeout"),
    SSL_READ_ERROR("ssl read error"),
    SSL_WRITE_ERROR("ssl write error"),
    SEND_EXPECT_FAIL("send/expect failed"),
    SEND_EXPECT_OK("send/expect ok"),
    HTTP_CODE_ERROR("http code malformed"),
    HTTP_CODE_FAIL("http code mismatch"),
    HTTP_CODE_OK("http code ok"),
    HTTP_DIGEST_ERROR("http digest malformed"),
    HTTP_DIGEST_FAIL("http digest mismatch"),
    HTTP_DIGEST_OK("http digest ok"),
    ENGINE_OVERLOAD("check engine overloaded"),
    DISABLED("disabled"),
    /** The host sent more than a check reads (64 KiB, 1 MiB for http digest), plain or over TLS. */
    RESPONSE_TOO_LARGE("response too large"),
    /**
     * The host closed the connection (FIN or reset) before sending a byte of an answer the check
     * reads; down whatever the check expects, an empty pattern included.
     */
    NO_ANSWER("connection closed without an answer"),
    /** The echo could not be sent: no route, or a local firewall refused it. */
    ICMP_WRITE_FAIL("icmp write failed"),
    /** The connect met ENETUNREACH: no route to the host's network, or an ICMP net unreachable. */
    TCP_CONNECT_NET_UNREACHABLE("tcp connect failed: network unreachable"),
    /** The connect met EHOSTUNREACH: no neighbour answered, or an ICMP host unreachable came back. */
    TCP_CONNECT_HOST_UNREACHABLE("tcp connect failed: no route to host"),
    /**
     * The connect met ENETUNREACH or EHOSTUNREACH, which Netty's connect gives as one exception:
     * no route at once (a missing route fails the connect itself), and the TLS check's.
     */
    TCP_CONNECT_UNREACHABLE("tcp connect failed: network or host unreachable"),
    /** The connect met EINVAL: the route to the host is a blackhole. */
    TCP_CONNECT_BLACKHOLE("tcp connect failed: blackhole route"),
    /**
     * The connect met EACCES or EPERM: a prohibit route, this machine's firewall, or a
     * broadcast address (which needs SO_BROADCAST).
     */
    TCP_CONNECT_PROHIBITED("tcp connect failed: not permitted (prohibit route, local firewall or broadcast address)"),
    /** The echo's send met ENETUNREACH, EHOSTUNREACH, EINVAL (blackhole), EACCES or EPERM. */
    ICMP_WRITE_NET_UNREACHABLE("icmp write failed: network unreachable"),
    ICMP_WRITE_HOST_UNREACHABLE("icmp write failed: no route to host"),
    ICMP_WRITE_BLACKHOLE("icmp write failed: blackhole route"),
    ICMP_WRITE_PROHIBITED("icmp write failed: not permitted (prohibit route, local firewall or broadcast address)"),
    /** The script did not run: missing, refused as untrusted, or not executable by the engines' user (the log says which). */
    SCRIPT_NOT_RUN("script could not run"),
    /** The script was killed by a signal (the log names it). */
    SCRIPT_KILLED("script killed by a signal");

    private final String text;

    HostError(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
