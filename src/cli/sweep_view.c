/* sweep_view: the lines a running sweep shows (see sweep_view.h). */
#include "sweep_view.h"

#include <math.h>
#include <stdio.h>

void sweep_view_end_live(struct sweep_view *v)
{
    if (v->live)
        printf("\r\033[K");
    v->live = 0;
}

const char *sweep_view_flags(const char *flags)
{
    return flags[0] ? flags : "(the base)";
}

void sweep_view_event(void *ctx, const struct bg_sweep_event *e)
{
    struct sweep_view *v = ctx;
    char bpb[32] = "-";
    if (e->kind == BG_SWEEP_PROGRESS) {
        if (!v->tty)
            return;
        if (isfinite(e->val_bpb))
            snprintf(bpb, sizeof bpb, "%.3f", e->val_bpb);
        printf("\r\033[K  trial %zu (seed %llu): %3.0f%%, step %llu, val bpb %s", e->trial,
               (unsigned long long)e->seed, 100 * e->progress, (unsigned long long)e->step, bpb);
        v->live = 1;
    } else if (e->kind == BG_SWEEP_RUN_START) {
        sweep_view_end_live(v);
        printf("trial %zu/%zu (seed %llu): %s%s\n", e->trial, e->planned, (unsigned long long)e->seed,
               sweep_view_flags(e->flags), e->resumed ? ", resumed from its checkpoint" : "");
    } else if (e->kind == BG_SWEEP_RUN_END && e->note && e->note[0]) {
        sweep_view_end_live(v);
        printf("  trial %zu (seed %llu) crashed: %s\n", e->trial, (unsigned long long)e->seed, e->note);
    } else if (e->kind == BG_SWEEP_DECIDED) {
        sweep_view_end_live(v);
        const struct bg_sweep_row *r = e->row;
        if (isfinite(r->val_bpb))
            snprintf(bpb, sizeof bpb, "%.4f bpb", r->val_bpb);
        printf("trial %zu: %s, %s%s %s\n", r->trial, bpb, sweep_status_name(r->status),
               e->resumed ? " (decided earlier)" : "", sweep_view_flags(r->flags));
    }
    fflush(stdout);
}
