package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A configuration that asks its layer-3 backend for what it cannot do is refused at load. */
class L3CapabilitiesTest {
    private static final String TABLE = "table web {\n real port 80\n check tcp\n host 10.0.0.1\n}\n";

    private static String service(String name, String vip, String extra) {
        return "service " + name + " {\n virtual host " + vip + " port 80" + extra + "\n table web\n}\n";
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("nftables", service("www", "2001:db8::1", ""),
                        "test.conf:7: service www: virtual host 2001:db8::1 is IPv6 but table web has no IPv6 host;"
                                + " nftables cannot redirect across address families"),
                Arguments.of("pf", service("www", "2001:db8::1", ""),
                        "test.conf:7: service www: virtual host 2001:db8::1 is IPv6 but table web has no IPv6 host;"
                                + " pf cannot redirect across address families"),
                Arguments.of("nftables", service("www", "192.0.2.1", " interface \"a/b\""),
                        "test.conf:7: service www: invalid interface name for nftables: a/b"),
                Arguments.of("pf", service("a_service_name_longer_than_31_chars", "192.0.2.1", ""),
                        "test.conf:7: service a_service_name_longer_than_31_chars: pf needs a service name of at most"
                                + " 31 letters, digits, '_', '.' or '-' (it names the pf table)"));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void refused(String backend, String service, String error) {
        LoadResult r = load("l3 backend " + backend + "\n" + TABLE + service);
        assertEquals(List.of(error), r.errors().stream().map(Object::toString).toList());
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("none", service("www", "2001:db8::1", "")),
                Arguments.of("nftables", service("a_service_name_longer_than_31_chars", "192.0.2.1", " interface eth0")),
                Arguments.of("pf", service("www", "192.0.2.1", " interface em0")));
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void accepted(String backend, String service) {
        LoadResult r = load("l3 backend " + backend + "\n" + TABLE + service);
        assertTrue(r.ok(), r.errors().toString());
    }

    @org.junit.jupiter.api.Test
    void anAddressOfAFamilyTheTableLacksIsAWarningWhenAnotherIsServed() {
        LoadResult r = load("l3 backend nftables\n" + TABLE + service("www", "192.0.2.1", "").replace(
                " table web", " virtual host 2001:db8::1 port 80\n table web"));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(1, r.warnings().size(), r.warnings().toString());
    }

    @ParameterizedTest
    @MethodSource("refused")
    void theDefaultBackendIsTheOneOfThisSystem(String backend, String service, String error) {
        String os = System.getProperty("os.name");
        String expected = os.toLowerCase().contains("linux") ? "nftables" : os.toLowerCase().contains("openbsd") ? "pf" : "none";
        assertEquals(expected, L3Capabilities.effectiveBackend(null));
        assertEquals(backend, L3Capabilities.effectiveBackend(backend));
    }

    private static LoadResult load(String text) {
        return ConfigLoader.parse(text, "test.conf", Map.of(), new SystemResolver());
    }

    static Stream<Arguments> sharedVirtualHosts() {
        return Stream.of(
                Arguments.of("", "", List.of("test.conf:11: service b: virtual host 192.0.2.1 port 80 is"
                        + " also service a's, which gets its connections while it is enabled and has a host up")),
                Arguments.of(" interface eth0", "", List.of("test.conf:11: service b: virtual host 192.0.2.1 port 80 is"
                        + " also service a's, which gets its connections while it is enabled and has a host up")),
                Arguments.of("", " interface eth1", List.of("test.conf:11: service b: virtual host 192.0.2.1 port 80 is"
                        + " also service a's, which gets its connections while it is enabled and has a host up")),
                Arguments.of(" interface eth0", " interface eth1", List.of()));
    }

    /** The kernel takes the first matching rule: a second service on a virtual host gets nothing. */
    @ParameterizedTest
    @MethodSource("sharedVirtualHosts")
    void aVirtualHostOfTwoServicesIsAWarning(String ifaceA, String ifaceB, List<String> warnings) {
        LoadResult r = load("l3 backend nftables\n" + TABLE + service("a", "192.0.2.1", ifaceA)
                + service("b", "192.0.2.1", ifaceB));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(warnings, r.warnings().stream().map(Object::toString).toList());
    }

    static Stream<Arguments> sharedVirtualHostsByProtocol() {
        String warning = " also service a's, which gets its connections while it is enabled and has a host up";
        return Stream.of(
                Arguments.of("udp ", "", List.of()),
                Arguments.of("", "udp ", List.of()),
                Arguments.of("tcp ", "udp ", List.of()),
                Arguments.of("udp ", "udp ", List.of("test.conf:11: service b: virtual host 192.0.2.1 udp port 80 is"
                        + warning)),
                Arguments.of("tcp ", "", List.of("test.conf:11: service b: virtual host 192.0.2.1 port 80 is" + warning)));
    }

    /** A tcp and a udp virtual host on one address and port match different packets (relayd's DNS example). */
    @ParameterizedTest
    @MethodSource("sharedVirtualHostsByProtocol")
    void aVirtualHostOfTwoServicesIsAWarningForOneProtocolOnly(String protoA, String protoB, List<String> warnings) {
        LoadResult r = load("l3 backend nftables\n" + TABLE + service("a", "192.0.2.1", "").replace("port", protoA + "port")
                + service("b", "192.0.2.1", "").replace("port", protoB + "port"));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(warnings, r.warnings().stream().map(Object::toString).toList());
    }
}
