package org.hoststated.core.config;

import java.net.InetAddress;

/** Parses {@code service <name> { ... }}. Runs in the loading thread; fills a service draft. */
final class ServiceParser {
    /** Addresses taken from one DNS name of a virtual host, as the original's SRV_MAX_VIRTS. */
    static final int MAX_VIRTS = 16;
    static final int MAX_IFNAME = 15;

    private final ParseContext ctx;

    ServiceParser(ParseContext ctx) {
        this.ctx = ctx;
    }

    /** The {@code service} keyword is next. */
    void parse() {
        Token kw = ctx.in.next();
        Token at = ctx.in.peek();
        String name = ctx.name("service", ParseContext.MAX_NAME);
        ctx.warnIfDigitsOnly(at, "service", name);
        Draft.ServiceDraft s = new Draft.ServiceDraft(name, Pos.of(kw));
        Pos first = ctx.draft.services.stream().filter(o -> o.name.equals(name)).map(o -> o.pos).findFirst()
                .orElse(null);
        boolean twice = first != null;
        if (twice) {
            ctx.diag.error(at, ParseContext.definedTwice("service", name, first));
        }
        BrokenStatements broken = ctx.block("service", () -> statement(s));
        if (!twice) {
            ctx.draft.services.add(s);
        }
        if (s.table == null && !broken.mayHaveBeen("table")) {
            ctx.diag.error(s.pos, "service " + name + " has no table");
        }
        if (s.virtualHosts.isEmpty() && !broken.mayHaveBeen("virtual")) {
            ctx.diag.error(s.pos, "service " + name + " has no virtual host");
        }
    }

    private void statement(Draft.ServiceDraft s) {
        Token kw = ctx.in.next();
        if (kw.is(Token.Kind.WORD) && kw.text().equals("kill")) {
            killStates(s);
            return;
        }
        if (kw.kind() != Token.Kind.KEYWORD) {
            throw ctx.unexpectedStatement(kw, "service option");
        }
        switch (kw.text()) {
            case "virtual" -> virtualHost(s);
            case "table" -> {
                Draft.TableRef ref = tableRef(kw);
                if (s.table != null) {
                    throw ctx.fail(kw, "service " + s.name + " table already specified");
                }
                s.table = ref;
            }
            case "backup" -> {
                ctx.keyword("table");
                Draft.TableRef ref = tableRef(kw);
                if (s.backup != null) {
                    throw ctx.fail(kw, "backup already specified");
                }
                s.backup = ref;
            }
            case "sticky-address" -> s.sticky = true;
            case "tag" -> {
                Token at = ctx.in.peek();
                s.tag = ctx.name("tag", ParseContext.MAX_NAME);
                warnIfNotAMark(at, s.tag);
            }
            case "disable" -> s.disabled = true;
            default -> throw ctx.unexpectedStatement(kw, "service option");
        }
    }

    /**
     * {@code kill states}: our extension, so its words are not reserved (recognised here by
     * position only, as {@code l3 keep rules} is).
     */
    private void killStates(Draft.ServiceDraft s) {
        Token w = ctx.in.next();
        if (!w.is(Token.Kind.WORD) || !w.text().equals("states")) {
            throw ctx.unexpected(w, "'states'");
        }
        s.killStates = true;
    }

    /**
     * A tag written as a number is the nftables packet mark itself only from 1 to 2^32-1; any
     * other is taken as a name and hashed, so {@code tag 0} or {@code tag 0x100000000} marked
     * packets with a CRC-32 that a rule written for that number never matches.
     */
    private void warnIfNotAMark(Token at, String tag) {
        boolean hex = tag.length() > 2 && (tag.startsWith("0x") || tag.startsWith("0X"));
        String digits = hex ? tag.substring(2) : tag;
        if (!digits.matches(hex ? "[0-9A-Fa-f]+" : "[0-9]+")) {
            return;
        }
        java.math.BigInteger n = new java.math.BigInteger(digits, hex ? 16 : 10);
        if (n.signum() == 0 || n.bitLength() > 32) {
            ctx.diag.warning(at, "tag " + tag + " is not a packet mark (1 to 4294967295): nftables takes it"
                    + " as a name and marks with its CRC-32");
        }
    }

    private Draft.TableRef tableRef(Token kw) {
        String name = ctx.tableName();
        int port = ctx.in.peek().isKeyword("port") ? ctx.port() : 0;
        return new Draft.TableRef(name, port, Pos.of(kw));
    }

    private void virtualHost(Draft.ServiceDraft s) {
        Token kind = ctx.in.next();
        if (kind.is(Token.Kind.WORD) && kind.text().equals("ip")) {
            ctx.diag.warning(kind, "'virtual ip' is obsolete, use 'virtual host'");
        } else if (kind.isKeyword("ip")) {
            ctx.diag.warning(kind, "'virtual ip' is obsolete, use 'virtual host'");
        } else if (!kind.isKeyword("host")) {
            throw ctx.unexpected(kind, "'host'");
        }
        Token at = ctx.in.peek();
        String name = ctx.addressBeforePort("virtual host address");
        IpProtocol protocol = protocol();
        ctx.keyword("port");
        int port = ctx.portValue(protocol);
        String iface = null;
        if (ctx.acceptKeyword("interface")) {
            iface = ctx.name("interface", MAX_IFNAME);
        }
        for (InetAddress a : ctx.addresses(at, name, MAX_VIRTS)) {
            String unserved = unserved(a);
            if (unserved != null) {
                ctx.diag.warning(at, "service " + s.name + ": virtual host " + name + " is " + unserved
                        + ": no client's connection to it is redirected to a host");
            }
            if (iface == null && a instanceof java.net.Inet6Address && a.isLinkLocalAddress()) {
                ctx.diag.warning(at, "service " + s.name + ": virtual host " + name + " is link-local but names no"
                        + " interface: its rule matches that address on every link");
            }
            s.virtualHosts.add(new VirtualHost(name, a, protocol, port, iface));
        }
    }

    /**
     * What {@code a} is when a DNAT rule for it can serve no client, or null: the unspecified
     * address, a multicast or the broadcast address. A loopback address serves local clients,
     * and only when its hosts are on this machine too ({@link L3Capabilities}).
     */
    static String unserved(InetAddress a) {
        if (a.isAnyLocalAddress()) {
            return "the unspecified address";
        }
        if (a.isMulticastAddress()) {
            return "a multicast address";
        }
        byte[] b = a.getAddress();
        if (b.length == 4 && (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff) {
            return "the broadcast address";
        }
        return null;
    }

    /**
     * The optional {@code tcp} or {@code udp} before {@code port}, where relayd's {@code listen
     * on} has it. {@code udp} is our extension to the 4.2 grammar, so it is a bare word
     * recognised here by position (not reserved: a table or tag named udp keeps working).
     */
    private IpProtocol protocol() {
        Token t = ctx.in.peek();
        if (t.isKeyword("tcp")) {
            ctx.in.next();
            return IpProtocol.TCP;
        }
        if (t.is(Token.Kind.WORD) && t.text().equals("udp")) {
            ctx.in.next();
            return IpProtocol.UDP;
        }
        if (!t.isKeyword("port")) {
            throw ctx.unexpected(ctx.in.next(), "'tcp', 'udp' or 'port'");
        }
        return IpProtocol.TCP;
    }
}
