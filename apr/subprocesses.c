/*
 * subprocesses.c - what a pool does at clear and destroy with the
 * subprocesses noted on it (apr_pool_note_subprocess()), as APR documents
 * for each apr_kill_conditions_e:
 *
 *   APR_KILL_NEVER          leave it
 *   APR_KILL_ALWAYS         SIGKILL, then wait for it
 *   APR_KILL_AFTER_TIMEOUT  SIGTERM, give it up to 3 seconds, then SIGKILL
 *   APR_JUST_WAIT           wait for it
 *   APR_KILL_ONLY_ONCE      SIGTERM, then wait for it
 *
 * All the subprocesses of a pool share the one grace period, so that many
 * of them do not cost 3 seconds each.
 */
#include "shim.h"

#include <apr_time.h>
#include <signal.h>

#define GRACE_USEC 3000000  /* the most a process killed after a timeout is given */
#define FIRST_NAP_USEC 46875 /* the first wait for it: 1/64 of that, then doubling */

void shim_reap_subprocesses(shim_subprocess *list) {
    if (!list) return;
    /* Those already gone need nothing more. */
    for (shim_subprocess *s = list; s; s = s->next)
        if (apr_proc_wait(s->proc, NULL, NULL, APR_NOWAIT) != APR_CHILD_NOTDONE) s->how = APR_KILL_NEVER;

    int grace = 0;
    for (shim_subprocess *s = list; s; s = s->next) {
        if (s->how == APR_KILL_AFTER_TIMEOUT || s->how == APR_KILL_ONLY_ONCE) {
            if (apr_proc_kill(s->proc, SIGTERM) == APR_SUCCESS) grace = 1;
        } else if (s->how == APR_KILL_ALWAYS) {
            apr_proc_kill(s->proc, SIGKILL);
        }
    }

    if (grace) {
        apr_interval_time_t nap = FIRST_NAP_USEC;
        for (;;) {
            apr_sleep(nap);
            int running = 0;
            for (shim_subprocess *s = list; s; s = s->next) {
                if (s->how != APR_KILL_AFTER_TIMEOUT) continue;
                if (apr_proc_wait(s->proc, NULL, NULL, APR_NOWAIT) == APR_CHILD_NOTDONE)
                    running = 1;
                else
                    s->how = APR_KILL_NEVER; /* exited and reaped */
            }
            if (!running || nap >= GRACE_USEC) break;
            nap *= 2;
        }
        for (shim_subprocess *s = list; s; s = s->next)
            if (s->how == APR_KILL_AFTER_TIMEOUT) apr_proc_kill(s->proc, SIGKILL);
    }

    for (shim_subprocess *s = list; s; s = s->next)
        if (s->how != APR_KILL_NEVER) (void)apr_proc_wait(s->proc, NULL, NULL, APR_WAIT);
}
