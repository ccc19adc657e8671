package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The forms of request paths and queries that path and query rules match. */
class TargetNormalizerTest {
    @ParameterizedTest
    @CsvSource({
        "//admin, /admin", "/./admin, /admin", "/x/../admin, /admin", "/%61dmin, /admin",
        "/%2e%2e/admin, /admin", "/%2E/admin, /admin", "/x/%2e%2E/admin, /admin", "///a//b///, /a/b/",
        "/a//../b, /b", "/.., /", "/../../admin, /admin", "/a/., /a/", "/a/b/.., /a/", "/a/./b/../c/, /a/c/",
        "/., /", "/a/..b/.c/..., /a/..b/.c/...", "/%7Euser/%5f%2D%2e%41%7a%30, /~user/_-.Az0",
        "/a%3bb, /a;b", "/a%3Fb%25%20%c3%a9, /a?b%25 %C3%A9", "/%40admin%3Adelete, /@admin:delete",
        "/%2525C3, /%2525C3", "/%00%7f, /\u0000\u007f", "/a;b=c/d, /a;b=c/d",
        "'/a/b?', '/a/b?'", "/a/+b, /a/+b", "*, *", "/%2e%2e%2fadmin, /..%2Fadmin", "/a%5cb, /a%5Cb"})
    void pathsAreMatchedNormalised(String raw, String form) throws HttpException {
        if (form.equals("error")) {
            assertEquals(400, assertThrows(HttpException.class, () -> TargetNormalizer.path(raw)).status());
        } else {
            assertEquals(form, TargetNormalizer.path(raw));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/admin", "/a/b.c/d", "/a.b", "/a/b/", "/a?b", "/~x/-_./", "*"})
    void aPathWithNothingToNormaliseIsItself(String raw) throws HttpException {
        assertSame(raw, TargetNormalizer.path(raw));
    }

    @ParameterizedTest
    @CsvSource({"/a/%2F..%2Fadmin, /admin", "/%2fadmin, /admin", "/a%5cb, /a/b", "/a%5C..%5Cadmin, /admin",
        "/api/v4/projects/g%2Fname, /api/v4/projects/g/name", "/%2e%2e%2fadmin, /admin"})
    void encodedSlashesHaveASecondFormWithSeparators(String raw, String form) throws HttpException {
        assertEquals(form, TargetNormalizer.pathWithSlashesDecoded(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/admin", "/a%3Bb", "//a/../b", "/%2"})
    void aPathWithoutEncodedSlashesHasNoSecondForm(String raw) throws HttpException {
        assertEquals(null, TargetNormalizer.pathWithSlashesDecoded(raw));
    }

    @ParameterizedTest
    @CsvSource({"/..;/admin, /admin", "/x/..;/admin, /admin", "/app;jsessionid=1/page, /app/page",
        "/a;x=1/b;y/%61;z, /a/b/a", "/admin;, /admin", "/public/..;x=/..;/admin;/, /admin/"})
    void pathParametersHaveAFormWithout(String raw, String form) throws HttpException {
        assertEquals(form, TargetNormalizer.pathWithParametersRemoved(raw));
    }

    @Test
    void aPathWithoutParametersHasNoSuchForm() throws HttpException {
        assertEquals(null, TargetNormalizer.pathWithParametersRemoved("/a%3Bb/../c"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%", "/%4", "/a%zz", "/%g1", "/%1g"})
    void invalidEscapesAreRefused(String raw) {
        HttpException e = assertThrows(HttpException.class, () -> TargetNormalizer.path(raw));
        assertEquals(400, e.status());
        assertEquals(false, e.rule());
    }

    @ParameterizedTest
    @CsvSource({"%61ttack, attack", "%71, q", "a+b, a b", "a%2Bb, a+b", "%41%42%63, ABc", "a%26b%3Dc, a&b=c",
        "%C3%A9t%c3%a9, été", "%FF%E9, ÿé", "100%, 100%", "%zz%4, %zz%4", "caf%C3%A9+%E9, cafÃ© é"})
    void queryPartsAreMatchedDecoded(String raw, String form) {
        assertEquals(form, TargetNormalizer.query(raw));
    }

    @Test
    void aQueryPartWithNothingToDecodeIsItself() {
        String raw = "q=attack&x=1";
        assertSame(raw, TargetNormalizer.query(raw));
    }
}
