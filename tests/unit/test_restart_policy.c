/* Nomad's restart decision: attempts per interval window, delay with jitter,
 * mode fail vs delay, and which exits count per job type and lifecycle hook. */
#include <criterion/criterion.h>

#include "restart_policy.h"

static drover_restart_policy policy(int attempts, long long interval_ms, long long delay_ms,
                                    const char *mode)
{
	return (drover_restart_policy){attempts, interval_ms, delay_ms, (char *)mode};
}

static drover_restart_decision decide(drover_restart_tracker *t, const drover_restart_policy *p,
                                      int success, long long now, uint64_t random)
{
	drover_restart_decision d;
	drover_restart_decide(t, p, success, now, random, &d);
	return d;
}

Test(restart_policy, failures_restart_up_to_attempts_then_fail)
{
	drover_restart_policy p = policy(2, 30LL * 60 * 1000, 15000, "fail");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "service", NULL, 0, 1000);
	drover_restart_decision d = decide(&t, &p, 0, 2000, 0);
	cr_assert_eq(d.action, DROVER_RESTART_RESTART);
	cr_assert_eq(d.delay_ms, 15000, "random 0 gives no jitter");
	d = decide(&t, &p, 0, 20000, 0);
	cr_assert_eq(d.action, DROVER_RESTART_RESTART);
	cr_assert_eq(t.restarts, 2);
	d = decide(&t, &p, 0, 40000, 0);
	cr_assert_eq(d.action, DROVER_RESTART_NOT_RESTARTING);
	cr_assert_str_eq(d.reason, "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\"");
	char msg[256];
	drover_restart_event_message(&d, msg, sizeof(msg));
	cr_assert_str_eq(msg, "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\"");
	cr_assert_eq(t.restarts, 2, "a refused restart is not counted");
}

Test(restart_policy, a_new_interval_window_starts_counting_again)
{
	drover_restart_policy p = policy(1, 10000, 100, "fail");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 0, 1000, 0).action, DROVER_RESTART_RESTART);
	/* exactly at the window's end is still inside it, as Nomad's now.After(end) */
	cr_assert_eq(decide(&t, &p, 0, 10000, 0).action, DROVER_RESTART_NOT_RESTARTING);
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 0, 1000, 0).action, DROVER_RESTART_RESTART);
	cr_assert_eq(decide(&t, &p, 0, 10001, 0).action, DROVER_RESTART_RESTART,
	             "past the interval the count starts again");
	cr_assert_eq(t.window_start_ms, 10001);
	cr_assert_eq(decide(&t, &p, 0, 12000, 0).action, DROVER_RESTART_NOT_RESTARTING);
}

Test(restart_policy, mode_delay_waits_until_the_interval_ends)
{
	drover_restart_policy p = policy(1, 60000, 1000, "delay");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "service", NULL, 0, 5000);
	cr_assert_eq(decide(&t, &p, 0, 6000, 0).action, DROVER_RESTART_RESTART);
	drover_restart_decision d = decide(&t, &p, 0, 15000, 12345);
	cr_assert_eq(d.action, DROVER_RESTART_RESTART);
	cr_assert_eq(d.delay_ms, 5000 + 60000 - 15000, "until the window's end, without jitter");
	char msg[256];
	drover_restart_event_message(&d, msg, sizeof(msg));
	cr_assert_str_eq(msg, "Exceeded allowed attempts, applying a delay - Task restarting in 50s");
	/* after that wait a new window opens and the next failure restarts normally */
	d = decide(&t, &p, 0, 65001, 0);
	cr_assert_eq(d.action, DROVER_RESTART_RESTART);
	cr_assert_eq(d.delay_ms, 1000);
	cr_assert_str_eq(d.reason, "");
}

Test(restart_policy, success_ends_batch_and_lifecycle_tasks_but_restarts_services)
{
	drover_restart_policy p = policy(2, 60000, 1000, "fail");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "sysbatch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "service", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_RESTART,
	             "Nomad restarts service tasks on any exit");
	drover_restart_tracker_init(&t, "system", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_RESTART);
	drover_restart_tracker_init(&t, "service", "prestart", 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "service", "poststart", 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "service", "poststop", 1, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "batch", "prestart", 1, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_RESTART,
	             "a sidecar is kept running, even in a batch job");
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 0, 10, 0).action, DROVER_RESTART_RESTART, "failures count");
}

Test(restart_policy, zero_attempts_allows_no_restarts)
{
	drover_restart_policy p = policy(0, 60000, 1000, "delay");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	drover_restart_decision d = decide(&t, &p, 0, 10, 0);
	cr_assert_eq(d.action, DROVER_RESTART_NOT_RESTARTING, "even in mode delay");
	cr_assert_str_eq(d.reason, "Policy allows no restarts");
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_TERMINATED);
	drover_restart_tracker_init(&t, "service", NULL, 0, 0);
	cr_assert_eq(decide(&t, &p, 1, 10, 0).action, DROVER_RESTART_NOT_RESTARTING,
	             "a service that exits with no restarts allowed has failed");
}

Test(restart_policy, jitter_stays_within_a_quarter_of_the_delay)
{
	drover_restart_policy p = policy(1000000, 1LL << 40, 15000, "fail");
	drover_restart_tracker t;
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	long long lo = 1LL << 60, hi = 0;
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		drover_restart_decision d = decide(&t, &p, 0, i, x);
		cr_assert_eq(d.action, DROVER_RESTART_RESTART);
		lo = d.delay_ms < lo ? d.delay_ms : lo;
		hi = d.delay_ms > hi ? d.delay_ms : hi;
	}
	cr_assert_geq(lo, 15000);
	cr_assert_leq(hi, 15000 + 15000 / 4);
	cr_assert_gt(hi - lo, 3000, "the jitter is spread over the range: %lld..%lld", lo, hi);
	cr_assert_eq(decide(&t, &p, 0, 1, UINT64_MAX).delay_ms <= 18750, 1, "huge random values are reduced");
	/* A zero delay still gets a positive one, as Nomad's 1 ns floor. */
	drover_restart_policy z = policy(5, 60000, 0, "fail");
	drover_restart_tracker_init(&t, "batch", NULL, 0, 0);
	cr_assert_eq(decide(&t, &z, 0, 1, 7).delay_ms, 1);
}

Test(restart_policy, event_message_and_go_durations)
{
	drover_restart_decision d = {.action = DROVER_RESTART_RESTART, .delay_ms = 16769};
	char msg[256];
	drover_restart_event_message(&d, msg, sizeof(msg));
	cr_assert_str_eq(msg, "Task restarting in 16.769s");
	struct {
		long long ms;
		const char *text;
	} cases[] = {
		{0, "0s"},           {250, "250ms"},        {1000, "1s"},          {1500, "1.5s"},
		{15000, "15s"},      {90500, "1m30.5s"},    {1800000, "30m0s"},    {86400000, "24h0m0s"},
		{3661010, "1h1m1.01s"}, {-2000, "-2s"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[48];
		drover_format_go_duration(cases[i].ms, buf, sizeof(buf));
		cr_assert_str_eq(buf, cases[i].text, "%lld ms", cases[i].ms);
	}
	char tiny[4];
	drover_format_go_duration(86400000, tiny, sizeof(tiny));
	cr_assert_str_eq(tiny, "24h", "truncated, never overflowed");
}
