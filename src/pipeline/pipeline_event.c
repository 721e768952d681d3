/* pipeline_event.c — what each event of a pipeline run says, as one line of text (see
 * cv_pipeline_event_text in pipeline.h): the words every front end shows, so the command
 * line and a library caller report a run alike. */
#include <stdio.h>

#include "chemvae/pipeline/pipeline.h"

const char *cv_pipeline_event_text(const CvPipelineEvent *ev, char *buf, size_t cap) {
    const char *name = ev->name, *to = ev->copied_to;
    switch (ev->kind) {
    case CV_PIPE_STATE_RESET:
        snprintf(buf, cap, "%s; running every stage", ev->message);
        break;
    case CV_PIPE_INTERRUPTED_BEFORE:
    case CV_PIPE_STAGE_INTERRUPTED:
        snprintf(buf, cap, "interrupted %s stage '%s'; run the same command again to continue",
                 ev->kind == CV_PIPE_INTERRUPTED_BEFORE ? "before" : "in", name);
        break;
    case CV_PIPE_PREBUILT:
        snprintf(buf, cap, "%-12s skipped: prebuilt %s exists%s%s", name, ev->path,
                 to ? "; copied to " : "", to ? to : "");
        break;
    case CV_PIPE_SKIPPED:
        snprintf(buf, cap, "%-12s skipped: done (run %lld), inputs unchanged", name, ev->run);
        break;
    case CV_PIPE_WOULD_RUN:
        if (!ev->command) snprintf(buf, cap, "%-12s would run (after the stages before it)", name);
        else
            snprintf(buf, cap, "%-12s would run (%s): chemvae %s", name,
                     cv_stage_reason_text(ev->reason), ev->command);
        break;
    case CV_PIPE_STARTED:
        snprintf(buf, cap, "%-12s %s: chemvae %s", name, cv_stage_reason_text(ev->reason),
                 ev->command);
        break;
    case CV_PIPE_OUTPUT_MISSING:
        snprintf(buf, cap, "stage '%s' finished but did not create %s", name, ev->path);
        break;
    case CV_PIPE_STAGE_FAILED:
        if (ev->exit_code >= 0)
            snprintf(buf, cap, "stage '%s' failed (exit %d): chemvae %s", name, ev->exit_code,
                     ev->command);
        else snprintf(buf, cap, "stage '%s' killed by signal %d", name, ev->term_signal);
        break;
    default:
        snprintf(buf, cap, "stage '%s': event %d", name ? name : "", (int)ev->kind);
    }
    return buf;
}
