/* tests/test_serve.c: the parts of wb serve that decide without a network: the route table (every
 * route, and the paths that must find nothing), the access rules (loopback addresses, the Host
 * check, the token comparison), the JSON writer's escaping and structure, and the embedded files.
 * tests/cli_serve.sh drives the server itself over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "serve/access.h"
#include "serve/assets.h"
#include "serve/json.h"
#include "serve/route.h"

/* ---- routes ------------------------------------------------------------------------------- */

static void expect_route(const char *path, enum route_kind kind, int64_t id, int64_t id2,
                         const char *name)
{
    route r;
    assert_int_equal(route_parse(path, &r), kind);
    assert_int_equal(r.kind, kind);
    assert_int_equal(r.id, id);
    assert_int_equal(r.id2, id2);
    assert_string_equal(r.name, name);
}

static void test_routes(void **state)
{
    (void)state;
    expect_route("/", ROUTE_PAGE_INDEX, 0, 0, "");
    expect_route("/sweep/12", ROUTE_PAGE_SWEEP, 12, 0, "");
    expect_route("/run/7", ROUTE_PAGE_RUN, 7, 0, "");
    expect_route("/compare/3/14", ROUTE_PAGE_COMPARE, 3, 14, "");
    expect_route("/sweep/2/report", ROUTE_REPORT_REDIRECT, 2, 0, "");
    expect_route("/sweep/2/report/", ROUTE_REPORT_FILE, 2, 0, "index.html");
    expect_route("/sweep/2/report/grid.png", ROUTE_REPORT_FILE, 2, 0, "grid.png");
    expect_route("/sweep/2/report/learning_curves.svg", ROUTE_REPORT_FILE, 2, 0,
                 "learning_curves.svg");
    expect_route("/sweep/2/report/tradeoff.gp", ROUTE_REPORT_FILE, 2, 0, "tradeoff.gp");
    expect_route("/static/app.js", ROUTE_STATIC, 0, 0, "app.js");
    expect_route("/static/uPlot.LICENSE", ROUTE_STATIC, 0, 0, "uPlot.LICENSE");
    expect_route("/api/state", ROUTE_API_STATE, 0, 0, "");
    expect_route("/api/sweep/999999999999999999", ROUTE_API_SWEEP, 999999999999999999LL, 0, "");
    expect_route("/api/run/5", ROUTE_API_RUN, 5, 0, "");
    expect_route("/api/run/5/preview.png", ROUTE_API_PREVIEW, 5, 0, "");
    expect_route("/api/compare/5/6", ROUTE_API_COMPARE, 5, 6, "");
    assert_true(route_is_page(ROUTE_PAGE_COMPARE));
    assert_false(route_is_page(ROUTE_API_STATE));
    assert_false(route_is_page(ROUTE_REPORT_FILE));
}

static void test_paths_that_find_nothing(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "", "//", "sweep/1", "/sweep", "/sweep/", "/sweep/0", "/sweep/01", "/sweep/-1",
        "/sweep/1x", "/sweep/1/", "/sweep//1", "/sweep/1234567890123456789", "/run/1/",
        "/run/1/2", "/compare/1", "/compare/1/2/3", "/compare/a/b",
        "/sweep/1/report/..", "/sweep/1/report/../../wb.db", "/sweep/1/report/wb.db",
        "/sweep/1/report/.index.html", "/sweep/1/report/index.html/", "/sweep/1/report/a/b",
        "/sweep/1/report/learning_curves.png.bak", "/sweep/1/report/learning_curves",
        "/sweep/1/report/grid.png\\..\\x", "/sweep/1/reports/", "/static/", "/static/app.html",
        "/static/../wb.db", "/static/app.js/", "/static/APP.JS", "/static/.app.js", "/api",
        "/api/", "/api/state/", "/api/sweep", "/api/run/1/preview.npy",
        "/api/run/1/../../x", "/api/compare/1", "/favicon.ico", "/etc/passwd", "/wb.db",
        "/sweep/1/report/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "/a/b/c/d/e/f/g/h",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        route r;
        if (route_parse(paths[i], &r) != ROUTE_NOT_FOUND)
            fail_msg("'%s' found route %d", paths[i], (int)r.kind);
    }
}

static void test_report_files(void **state)
{
    (void)state;
    static const struct { const char *name; bool served; } cases[] = {
        { "index.html", true }, { "report.md", true }, { "gnuplot.log", true },
        { "lambda_response.dat", true }, { "loss_components.png", true },
        { "loss_components.sh", false }, { ".png", false }, { "secret.txt", false },
        { "", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if ((route_report_file(cases[i].name) != 0) != cases[i].served)
            fail_msg("route_report_file(\"%s\") != %d", cases[i].name, cases[i].served);
}

/* ---- access -------------------------------------------------------------------------------- */

/* An address in text form, IPv4 or IPv6, as the socket address the server sees. */
static int loopback(const char *text)
{
    struct sockaddr_in a4 = { .sin_family = AF_INET };
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
    if (inet_pton(AF_INET, text, &a4.sin_addr) == 1)
        return access_is_loopback((struct sockaddr *)&a4);
    assert_int_equal(inet_pton(AF_INET6, text, &a6.sin6_addr), 1);
    return access_is_loopback((struct sockaddr *)&a6);
}

static void test_loopback(void **state)
{
    (void)state;
    static const struct { const char *address; bool loopback; } cases[] = {
        { "127.0.0.1", true }, { "127.255.0.9", true }, { "0.0.0.0", false },
        { "192.0.2.2", false }, { "128.0.0.1", false }, { "::1", true },
        { "::ffff:127.0.0.1", true }, { "::", false }, { "::ffff:10.0.0.1", false },
        { "fd00::2", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if ((loopback(cases[i].address) != 0) != cases[i].loopback)
            fail_msg("%s: loopback should be %d", cases[i].address, cases[i].loopback);
}

static void test_host_header(void **state)
{
    (void)state;
    /* host header, address the server listens on, its port, allowed */
    static const struct { const char *host, *bound; int port; bool allowed; } cases[] = {
        { "127.0.0.1:8000", "127.0.0.1", 8000, true },
        { "localhost:8000", "127.0.0.1", 8000, true },
        { "LOCALHOST:8000", "127.0.0.1", 8000, true },
        { "[::1]:8000", "127.0.0.1", 8000, true },
        { "localhost", "127.0.0.1", 8000, true },
        { "127.0.0.2:80", "127.0.0.2", 80, true },
        { "[::1]:9", "::1", 9, true },
        { NULL, "127.0.0.1", 8000, false },
        { "", "127.0.0.1", 8000, false },
        { "evil.example", "127.0.0.1", 8000, false },
        { "evil.example:8000", "127.0.0.1", 8000, false },
        { "localhost:8001", "127.0.0.1", 8000, false },
        { "localhost:", "127.0.0.1", 8000, false },
        { "localhost.evil.example:8000", "127.0.0.1", 8000, false },
        { "127.0.0.1.evil.example", "127.0.0.1", 8000, false },
        { "[::1", "127.0.0.1", 8000, false },
        { "[::1]x", "127.0.0.1", 8000, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if ((access_host_allowed(cases[i].host, cases[i].bound, cases[i].port) != 0) != cases[i].allowed)
            fail_msg("Host '%s' on %s:%d: allowed should be %d", cases[i].host ? cases[i].host : "(none)",
                     cases[i].bound, cases[i].port, cases[i].allowed);
}

static void test_token(void **state)
{
    (void)state;
    char a[ACCESS_TOKEN_CHARS + 1], b[ACCESS_TOKEN_CHARS + 1];
    assert_int_equal(access_new_token(a), 0);
    assert_int_equal(access_new_token(b), 0);
    assert_int_equal(strlen(a), ACCESS_TOKEN_CHARS);
    assert_int_equal(strspn(a, "0123456789abcdef"), ACCESS_TOKEN_CHARS);
    assert_string_not_equal(a, b);
    assert_true(access_token_equal(a, a));
    assert_false(access_token_equal(a, b));
    assert_false(access_token_equal(a, NULL));
    assert_false(access_token_equal(a, ""));
    char shorter[ACCESS_TOKEN_CHARS + 1], longer[ACCESS_TOKEN_CHARS + 2];
    memcpy(shorter, a, ACCESS_TOKEN_CHARS - 1);
    shorter[ACCESS_TOKEN_CHARS - 1] = '\0';
    snprintf(longer, sizeof longer, "%s0", a);
    assert_false(access_token_equal(a, shorter));
    assert_false(access_token_equal(a, longer));
    assert_string_equal(access_authorization_token("token abc"), "abc");
    assert_string_equal(access_authorization_token("Bearer abc"), "abc");
    assert_null(access_authorization_token("Basic abc"));
    assert_null(access_authorization_token(NULL));
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    json_escape(f, s);
    fclose(f);
    return buf;
}

static void check_escape(const char *in, const char *expected)
{
    char *out = escaped(in);
    assert_string_equal(out, expected);
    free(out);
}

static void test_json_escape(void **state)
{
    (void)state;
    check_escape("plain λ = 0.6", "\"plain λ = 0.6\"");
    check_escape("", "\"\"");
    check_escape("a\"b\\c", "\"a\\\"b\\\\c\"");
    check_escape("</script><img src=x onerror=alert(1)>&amp;",
                 "\"\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e\\u0026amp;\"");
    check_escape("line\nbreak\ttab\r\x01\x1f\x7f", "\"line\\nbreak\\ttab\\u000d\\u0001\\u001f\\u007f\"");
    check_escape("\xe2\x80\xa8 and \xe2\x80\xa9", "\"\\u2028 and \\u2029\"");
    /* Not UTF-8: a stray continuation, an overlong '/', a surrogate, a cut sequence, 0xff. */
    check_escape("a\x80" "b", "\"a\\ufffdb\"");
    check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");
    check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    check_escape("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
    check_escape("\xff\xfe", "\"\\ufffd\\ufffd\"");
    check_escape("\xf0\x9f\x98\x80 4 bytes", "\"\xf0\x9f\x98\x80 4 bytes\"");
    check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");   /* past U+10FFFF */
}

static void test_json_writer(void **state)
{
    (void)state;
    json j;
    char *text;
    size_t len;
    assert_int_equal(json_open(&j), 0);
    json_object(&j);
    json_member_string(&j, "name", "<x>");
    json_member_string(&j, "none", NULL);
    json_member_number(&j, "nan", NAN);
    json_member_number(&j, "inf", -INFINITY);
    json_member_number(&j, "tenth", 0.1);
    json_member_number(&j, "third", 1.0 / 3.0);
    json_member_int(&j, "big", -9007199254740993LL);
    json_key(&j, "list");
    json_array(&j);
    json_int(&j, 1);
    json_array(&j);
    json_array_end(&j);
    json_object(&j);
    json_object_end(&j);
    json_bool(&j, 1);
    json_null(&j);
    json_array_end(&j);
    json_object_end(&j);
    assert_int_equal(json_close(&j, &text, &len), 0);
    assert_string_equal(text, "{\"name\":\"\\u003cx\\u003e\",\"none\":null,\"nan\":null,"
                              "\"inf\":null,\"tenth\":0.1,\"third\":0.33333333333333331,"
                              "\"big\":-9007199254740993,\"list\":[1,[],{},true,null]}");
    assert_int_equal(len, strlen(text));
    free(text);
}

static void test_json_refuses_unbalanced(void **state)
{
    (void)state;
    json j;
    char *text;
    size_t len;
    assert_int_equal(json_open(&j), 0);
    json_object(&j);
    assert_int_equal(json_close(&j, &text, &len), -1);     /* left open */
    assert_null(text);
    assert_int_equal(json_open(&j), 0);
    json_array_end(&j);
    assert_int_equal(json_close(&j, &text, &len), -1);     /* closed what was never opened */
    assert_int_equal(json_open(&j), 0);
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        json_array(&j);
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        json_array_end(&j);
    assert_int_equal(json_close(&j, &text, &len), -1);     /* deeper than the limit */
}

/* ---- the embedded files ------------------------------------------------------------------ */

static void test_assets(void **state)
{
    (void)state;
    serve_asset a;
    assert_true(asset_count() >= 7);
    assert_int_equal(asset_find("app.html", &a), 0);
    assert_string_equal(a.content_type, "text/html; charset=utf-8");
    assert_true(a.len > 100);
    assert_memory_equal(a.bytes, "<!DOCTYPE html>", 15);
    assert_int_equal(asset_find("uPlot.iife.min.js", &a), 0);
    assert_true(a.len > 40000);
    assert_memory_equal(a.bytes, "/*! https://github.com/leeoniya/uPlot (v1.6.32) */", 50);
    assert_int_equal(asset_find("uPlot.LICENSE", &a), 0);
    char *licence = strndup((const char *)a.bytes, a.len);
    assert_non_null(licence);
    assert_non_null(strstr(licence, "The MIT License"));
    free(licence);
    assert_int_equal(asset_find("nope.js", &a), -1);
    for (size_t i = 0; i < asset_count(); i++) {
        asset_at(i, &a);
        assert_true(a.len > 0);
        assert_non_null(a.content_type);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_paths_that_find_nothing),
        cmocka_unit_test(test_report_files),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_host_header),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_json_refuses_unbalanced),
        cmocka_unit_test(test_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
