/* tests/test_report_escape.c: plots/escape.h, the functions every database or INI string passes
 * through on its way into a page, a Markdown file or a gnuplot script. The expected strings are
 * written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "plots/escape.h"

/* The name the CLI test gives a sweep: every character that means something somewhere. */
static const char hostile[] =
    "a`touch MARKER`b'c\"d $(touch MARKER2) system(\"touch MARKER3\") <script>alert(1)</script>";

static void check(void (*escape)(FILE *, const char *), const char *in, const char *expected)
{
    char *out = escape_to_string(escape, in);
    assert_non_null(out);
    assert_string_equal(out, expected);
    free(out);
}

static void test_html(void **state)
{
    (void)state;
    check(escape_html, "plain λ = 0.6", "plain λ = 0.6");
    check(escape_html, "<b>&amp;\"'", "&lt;b&gt;&amp;amp;&quot;&#39;");
    check(escape_html, "line\nbreak\ttab\x7f", "line break tab ");
    check(escape_html, hostile,
          "a`touch MARKER`b&#39;c&quot;d $(touch MARKER2) system(&quot;touch MARKER3&quot;) "
          "&lt;script&gt;alert(1)&lt;/script&gt;");
    check(escape_html, "", "");
}

static void test_html_has_no_markup_left(void **state)
{
    (void)state;
    char *out = escape_to_string(escape_html, hostile);
    assert_non_null(out);
    assert_null(strchr(out, '<'));
    assert_null(strchr(out, '>'));
    assert_null(strchr(out, '"'));
    assert_null(strchr(out, '\''));
    free(out);
}

static void test_markdown(void **state)
{
    (void)state;
    check(escape_markdown, "lap4_mse", "lap4\\_mse");
    check(escape_markdown, "a|b *c* `d` [e](f) <g> #h ~i~ &j; $k$ !l \\m",
          "a\\|b \\*c\\* \\`d\\` \\[e\\](f) \\<g\\> \\#h \\~i\\~ \\&j; \\$k\\$ \\!l \\\\m");
    check(escape_markdown, "row\nbreak", "row break");
    check(escape_markdown, "λ = 0.6, kernel = 8", "λ = 0.6, kernel = 8");
}

static void test_gnuplot(void **state)
{
    (void)state;
    check(escape_gnuplot, "micro", "'micro'");
    check(escape_gnuplot, "it's", "'it'.\"'\".'s'");
    check(escape_gnuplot, "''", "\"''\"");
    check(escape_gnuplot, "'quoted' sweep", "\"'\".'quoted'.\"'\".' sweep'");
    check(escape_gnuplot, "", "''");
    /* Backslashes, backquotes, double quotes and @ mean nothing inside single quotes. */
    check(escape_gnuplot, "a\\b`c`\"d\"@e", "'a\\b`c`\"d\"@e'");
    /* A newline would end the command; the rest would run as a new one. */
    check(escape_gnuplot, "x'\nsystem('touch y')",
          "'x'.\"'\".' system('.\"'\".'touch y'.\"'\".')'");
    check(escape_gnuplot, hostile,
          "'a`touch MARKER`b'.\"'\".'c\"d $(touch MARKER2) system(\"touch MARKER3\") "
          "<script>alert(1)</script>'");
}

/* gnuplot itself reads every escaped string back as the original (for strings without control
 * characters): names that start with a quote or hold doubled quotes were syntax errors for it
 * ('''quoted'' sweep', 'it''''s'), which made wb report exit 1. Each string is printed by a real
 * gnuplot, in `print`, as a multiplot title (where the error was) and as a key title. */
/* Each input through `escape`, into a script that `interpreter` runs in a scratch folder: the
 * script (a printf format taking the folder, then the literal `uses` times, 1 to 3) writes the
 * literal's value into out.txt, and what comes back must be the input (its first line only when
 * `first_line`: gnuplot's print ends the line). */
static void round_trip(void (*escape)(FILE *, const char *), const char *const *inputs, size_t n,
                       const char *script, int uses, const char *interpreter, int first_line)
{
    char dir[] = "/tmp/wb-escape-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < n; i++) {
        char *lit = escape_to_string(escape, inputs[i]);
        assert_non_null(lit);
        char path[256], out[256], cmd[1024];
        snprintf(path, sizeof path, "%s/script", dir);
        snprintf(out, sizeof out, "%s/out.txt", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, script, dir, lit, uses > 1 ? lit : "", uses > 2 ? lit : "");
        fclose(f);
        snprintf(cmd, sizeof cmd, "%s '%s' 2>/dev/null", interpreter, path);
        assert_int_equal(system(cmd), 0);
        f = fopen(out, "r");
        assert_non_null(f);
        char back[512] = "";
        back[fread(back, 1, sizeof back - 1, f)] = '\0';
        fclose(f);
        if (first_line)
            back[strcspn(back, "\n")] = '\0';
        assert_string_equal(back, inputs[i]);
        remove(out);
        remove(path);
        free(lit);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void test_gnuplot_round_trip(void **state)
{
    (void)state;
    const char *inputs[] = { hostile, "'", "a''b", "'''x'''", "plain", "'quoted' sweep", "it''s",
                             "\"'\"" };
    round_trip(escape_gnuplot, inputs, sizeof inputs / sizeof inputs[0],
               "set print '%s/out.txt'\nset terminal dumb\nset output '/dev/null'\n"
               "set multiplot layout 1,1 title %s\nprint %s\nplot x title %s\nunset multiplot\n",
               3, "gnuplot", 1);
}

static void test_shell(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "results/wb.db", "results/wb.db" },     /* plain words stay as they are */
        { "a,b:c=d@e%f+g_h-i", "a,b:c=d@e%f+g_h-i" },
        { "my db/x.db", "'my db/x.db'" },
        { "it's", "'it'\\''s'" },
        { "~/x", "'~/x'" },                       /* no tilde expansion */
        { "=cmd", "'=cmd'" },                     /* zsh's =cmd */
        { "", "''" },
        { "a\nb'\\", "$'a\\x0ab\\'\\\\'" },     /* control characters: $'...' */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(escape_shell, cases[i][0], cases[i][1]);
}

/* Every word escape_shell makes reads back as its input in bash (the shell it is pasted into). */
static void test_shell_round_trip(void **state)
{
    (void)state;
    const char *inputs[] = { hostile, "'", "a b", "x\ny\tz\x1b[31m", "$HOME", "*", "a\\b", "",
                             "!event", "plain", "-dash", "'\n'" };
    round_trip(escape_shell, inputs, sizeof inputs / sizeof inputs[0],
               "cd '%s' && printf %%s %s%s%s > out.txt\n", 1, "bash", 0);
}

static void test_file_name(void **state)
{
    (void)state;
    char out[64];
    escape_file_name("micro", out, sizeof out);
    assert_string_equal(out, "micro");
    escape_file_name("loss weights v1.2_a-b", out, sizeof out);
    assert_string_equal(out, "loss_weights_v1.2_a-b");
    escape_file_name("../../etc/passwd", out, sizeof out);
    assert_string_equal(out, "_._.._etc_passwd");   /* one component: no "/" and no ".." */
    escape_file_name(".hidden", out, sizeof out);
    assert_string_equal(out, "_hidden");
    escape_file_name("", out, sizeof out);
    assert_string_equal(out, "_");
    escape_file_name("λ=0.6", out, sizeof out);
    assert_string_equal(out, "___0.6");   /* λ is two bytes */
    escape_file_name(hostile, out, sizeof out);
    assert_null(strchr(out, '/'));
    assert_null(strchr(out, '`'));
    assert_null(strchr(out, '\''));
    escape_file_name("abcdefgh", out, 4);
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_html_has_no_markup_left),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_gnuplot),
        cmocka_unit_test(test_gnuplot_round_trip),
        cmocka_unit_test(test_shell),
        cmocka_unit_test(test_shell_round_trip),
        cmocka_unit_test(test_file_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
