/* tests/support/check_ok.h: CHECK_OK, for the tests of library calls that return 0 or fill an
 * error message (include it after cmocka.h). */
#ifndef WB_TESTS_CHECK_OK_H
#define WB_TESTS_CHECK_OK_H

/* Fails the test, naming the call and its message, unless call returns 0. CHECK_OK passes its
 * own err_ buffer: calls are written with ERR for the last two arguments. */
#define CHECK_OK(call)                                                                           \
    do {                                                                                          \
        char err_[1024] = "";                                                                     \
        if ((call) != 0)                                                                          \
            fail_msg("%s failed: %s", #call, err_);                                               \
    } while (0)
#define ERR err_, sizeof err_

#endif
