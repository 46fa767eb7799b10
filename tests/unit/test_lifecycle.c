/* Lifecycle ordering inside one allocation: prestart before main, poststart
 * after main started, poststop last; kills for a failed sibling, a dead leader,
 * dead main tasks and a requested stop, in Nomad's order. */
#include <criterion/criterion.h>

#include "lifecycle.h"

#define MAX 8

typedef struct alloc {
	drover_lifecycle_alloc lc;
	drover_lifecycle_task t[MAX];
	size_t n;
	drover_lifecycle_action a[MAX];
	size_t na;
} alloc;

static size_t add(alloc *al, const char *name, drover_lifecycle_role role, int leader)
{
	al->t[al->n] = (drover_lifecycle_task){.name = name, .role = role, .leader = leader};
	return al->n++;
}

static void next(alloc *al)
{
	al->na = drover_lifecycle_next(&al->lc, al->t, al->n, al->a);
}

/* The verb handed out for task i in the last round, or -1. */
static int verb(const alloc *al, size_t i)
{
	for (size_t k = 0; k < al->na; k++)
		if (al->a[k].task == i)
			return (int)al->a[k].verb;
	return -1;
}

static void run(alloc *al, size_t i)
{
	al->t[i].state = DROVER_LC_RUNNING;
	al->t[i].started = 1;
}

static void die(alloc *al, size_t i, int failed)
{
	al->t[i].state = DROVER_LC_DEAD;
	al->t[i].failed = failed;
}

Test(lifecycle, roles_from_the_jobspec)
{
	drover_jobspec_task t = {0};
	cr_assert_eq(drover_lifecycle_role_of(&t), DROVER_ROLE_MAIN);
	t.lifecycle_hook = "prestart";
	cr_assert_eq(drover_lifecycle_role_of(&t), DROVER_ROLE_PRESTART);
	t.lifecycle_sidecar = 1;
	cr_assert_eq(drover_lifecycle_role_of(&t), DROVER_ROLE_PRESTART_SIDECAR);
	t.lifecycle_hook = "poststart";
	cr_assert_eq(drover_lifecycle_role_of(&t), DROVER_ROLE_POSTSTART_SIDECAR);
	t.lifecycle_hook = "poststop";
	cr_assert_eq(drover_lifecycle_role_of(&t), DROVER_ROLE_POSTSTOP);
}

Test(lifecycle, plain_tasks_all_start_at_once)
{
	alloc al = {0};
	add(&al, "a", DROVER_ROLE_MAIN, 0);
	add(&al, "b", DROVER_ROLE_MAIN, 0);
	next(&al);
	cr_assert_eq(al.na, 2);
	cr_assert_eq(verb(&al, 0), DROVER_LC_START);
	cr_assert_eq(verb(&al, 1), DROVER_LC_START);
	run(&al, 0), run(&al, 1);
	die(&al, 0, 0);
	next(&al);
	cr_assert_eq(al.na, 0, "a task ending does not touch its sibling");
	cr_assert_eq(al.lc.kill, DROVER_KILL_NONE);
	die(&al, 1, 0);
	cr_assert(drover_lifecycle_done(al.t, al.n));
}

Test(lifecycle, full_order_prestart_main_poststart_poststop)
{
	alloc al = {0};
	size_t pre = add(&al, "pre", DROVER_ROLE_PRESTART, 0);
	size_t side = add(&al, "side", DROVER_ROLE_PRESTART_SIDECAR, 0);
	size_t main = add(&al, "main", DROVER_ROLE_MAIN, 0);
	size_t post = add(&al, "post", DROVER_ROLE_POSTSTART, 0);
	size_t stop = add(&al, "stop", DROVER_ROLE_POSTSTOP, 0);
	next(&al);
	cr_assert_eq(al.na, 2);
	cr_assert_eq(verb(&al, pre), DROVER_LC_START);
	cr_assert_eq(verb(&al, side), DROVER_LC_START);
	run(&al, pre), run(&al, side);
	next(&al);
	cr_assert_eq(al.na, 0, "main waits for the prestart task to finish");
	die(&al, pre, 0);
	next(&al);
	cr_assert_eq(al.na, 1);
	cr_assert_eq(verb(&al, main), DROVER_LC_START);
	run(&al, main);
	next(&al);
	cr_assert_eq(verb(&al, post), DROVER_LC_START, "poststart once main is running");
	cr_assert_eq(al.na, 1);
	run(&al, post);
	die(&al, post, 0);
	die(&al, main, 0);
	next(&al);
	cr_assert_eq(al.lc.kill, DROVER_KILL_MAIN_DEAD, "only a sidecar is left");
	cr_assert_eq(al.na, 1);
	cr_assert_eq(verb(&al, side), DROVER_LC_KILL);
	char msg[128];
	cr_assert_str_eq(drover_lifecycle_kill_event(&al.lc, al.t, msg, sizeof(msg)), "Main Tasks Dead");
	cr_assert_str_eq(msg, "Main tasks in the group died");
	next(&al);
	cr_assert_eq(al.na, 0, "a kill is handed out once; poststop waits for the sidecar");
	die(&al, side, 0);
	next(&al);
	cr_assert_eq(al.na, 1);
	cr_assert_eq(verb(&al, stop), DROVER_LC_START);
	run(&al, stop);
	die(&al, stop, 0);
	cr_assert(drover_lifecycle_done(al.t, al.n));
}

Test(lifecycle, main_waits_for_a_prestart_sidecar_to_run)
{
	alloc al = {0};
	size_t side = add(&al, "side", DROVER_ROLE_PRESTART_SIDECAR, 0);
	size_t main = add(&al, "main", DROVER_ROLE_MAIN, 0);
	next(&al);
	cr_assert_eq(al.na, 1);
	cr_assert_eq(verb(&al, side), DROVER_LC_START);
	run(&al, side);
	next(&al);
	cr_assert_eq(verb(&al, main), DROVER_LC_START);
}

Test(lifecycle, failed_prestart_fails_the_alloc_and_main_never_starts)
{
	alloc al = {0};
	size_t pre = add(&al, "setup", DROVER_ROLE_PRESTART, 0);
	size_t main = add(&al, "main", DROVER_ROLE_MAIN, 0);
	size_t stop = add(&al, "cleanup", DROVER_ROLE_POSTSTOP, 0);
	next(&al);
	run(&al, pre);
	die(&al, pre, 1);
	next(&al);
	cr_assert_eq(al.lc.kill, DROVER_KILL_SIBLING_FAILED);
	cr_assert_eq(verb(&al, main), DROVER_LC_SKIP);
	cr_assert_eq(verb(&al, stop), -1, "poststop is not skipped");
	char msg[128];
	cr_assert_str_eq(drover_lifecycle_kill_event(&al.lc, al.t, msg, sizeof(msg)), "Sibling Task Failed");
	cr_assert_str_eq(msg, "Task's sibling \"setup\" failed");
	die(&al, main, 0);
	next(&al);
	cr_assert_eq(verb(&al, stop), DROVER_LC_START, "poststop runs after a failure too");
}

Test(lifecycle, leader_death_kills_leader_rank_then_others_then_sidecars)
{
	alloc al = {0};
	size_t side = add(&al, "side", DROVER_ROLE_PRESTART_SIDECAR, 0);
	size_t lead = add(&al, "lead", DROVER_ROLE_MAIN, 1);
	size_t other = add(&al, "other", DROVER_ROLE_MAIN, 0);
	size_t other2 = add(&al, "other2", DROVER_ROLE_MAIN, 0);
	run(&al, side), run(&al, lead), run(&al, other), run(&al, other2);
	die(&al, lead, 0);
	next(&al);
	cr_assert_eq(al.lc.kill, DROVER_KILL_LEADER_DEAD);
	cr_assert_eq(al.na, 2);
	cr_assert_eq(verb(&al, other), DROVER_LC_KILL);
	cr_assert_eq(verb(&al, other2), DROVER_LC_KILL);
	cr_assert_eq(verb(&al, side), -1, "sidecars go last");
	die(&al, other, 0);
	next(&al);
	cr_assert_eq(al.na, 0, "other2 is still dying");
	die(&al, other2, 0);
	next(&al);
	cr_assert_eq(verb(&al, side), DROVER_LC_KILL);
}

Test(lifecycle, failed_sibling_beats_a_dead_leader_and_the_leader_is_killed_first)
{
	alloc al = {0};
	size_t a = add(&al, "a", DROVER_ROLE_MAIN, 0);
	size_t lead = add(&al, "lead", DROVER_ROLE_MAIN, 1);
	size_t b = add(&al, "b", DROVER_ROLE_MAIN, 0);
	run(&al, a), run(&al, lead), run(&al, b);
	die(&al, a, 1);
	next(&al);
	cr_assert_eq(al.lc.kill, DROVER_KILL_SIBLING_FAILED);
	cr_assert_eq(al.na, 1);
	cr_assert_eq(verb(&al, lead), DROVER_LC_KILL, "the leader goes first");
	die(&al, lead, 0);
	next(&al);
	cr_assert_eq(verb(&al, b), DROVER_LC_KILL);
	cr_assert_eq(al.lc.kill, DROVER_KILL_SIBLING_FAILED, "the first reason is kept");
}

Test(lifecycle, requested_stop_lets_poststop_run_and_a_second_stops_it)
{
	alloc al = {0};
	size_t main = add(&al, "main", DROVER_ROLE_MAIN, 0);
	size_t post = add(&al, "poststart", DROVER_ROLE_POSTSTART, 0);
	size_t stop = add(&al, "stop", DROVER_ROLE_POSTSTOP, 0);
	run(&al, main);
	al.lc.kill = DROVER_KILL_REQUESTED;
	next(&al);
	cr_assert_eq(verb(&al, main), DROVER_LC_KILL);
	cr_assert_eq(verb(&al, post), DROVER_LC_SKIP);
	cr_assert_eq(verb(&al, stop), -1);
	char msg[8];
	cr_assert_null(drover_lifecycle_kill_event(&al.lc, al.t, msg, sizeof(msg)));
	die(&al, main, 0);
	die(&al, post, 0);
	next(&al);
	cr_assert_eq(verb(&al, stop), DROVER_LC_START);
	run(&al, stop);
	al.lc.kill = DROVER_KILL_REQUESTED_ALL;
	next(&al);
	cr_assert_eq(verb(&al, stop), DROVER_LC_KILL);

	alloc al2 = {0};
	add(&al2, "main", DROVER_ROLE_MAIN, 0);
	size_t stop2 = add(&al2, "stop", DROVER_ROLE_POSTSTOP, 0);
	al2.lc.kill = DROVER_KILL_REQUESTED_ALL;
	next(&al2);
	cr_assert_eq(verb(&al2, stop2), DROVER_LC_SKIP, "stopped twice: poststop never starts");
}

Test(lifecycle, a_failed_poststop_does_not_kill_anything)
{
	alloc al = {0};
	size_t main = add(&al, "main", DROVER_ROLE_MAIN, 0);
	size_t stop = add(&al, "stop", DROVER_ROLE_POSTSTOP, 0);
	run(&al, main);
	die(&al, main, 0);
	run(&al, stop);
	die(&al, stop, 1);
	next(&al);
	cr_assert_eq(al.lc.kill, DROVER_KILL_NONE);
	cr_assert_eq(al.na, 0);
	cr_assert(drover_lifecycle_done(al.t, al.n));
}
