/*
 * lease.pml: a Promela model of pinnsweep's lease protocol, for Spin.
 *
 * One sweep of NT trials, NW worker slots and one coordinator whose state
 * is split, as in the Go code, into what is committed (disk: the bbolt
 * file) and what the scheduler works on (mem). Workers send requests; the
 * coordinator's commit loop stages a batch of them on mem, commits it to
 * disk and only then answers; a crash throws away mem, the batch and
 * every call not yet answered, and a restart reloads the disk.
 * model/README.md explains the abstraction, the bounds and the
 * properties; `make model` runs the full check, model_test.go a bounded
 * one and the mutations.
 *
 * Each action names the Go function that implements it, by type and
 * method (file names are a hint only: the coordinator package is being
 * split into sub-packages).
 *
 * Not modelled: a dishonest worker. Scheduler.Heartbeat, Complete and
 * Release also refuse a caller that does not hold the lease (checkHolder:
 * the worker it was granted to, with the lease's secret; issue 15). The
 * model's workers present only leases granted to them, so for them that
 * check always passes and the model is unchanged by it.
 *
 * Bounds (cpp macros; spin -DNAME=VALUE overrides them):
 */
#ifndef NT
#define NT 2		/* trials, 1..3 */
#endif
#ifndef NW
#define NW 2		/* worker slots, 1..3 */
#endif
#ifndef MAXATT
#define MAXATT 2	/* attempts per trial: 1 + the spec's retries */
#endif
#ifndef MAXCRASH
#define MAXCRASH 1	/* coordinator crashes (SIGKILL, then a restart on the same file) */
#endif
#ifndef MAXKILL
#define MAXKILL 1	/* worker crashes (SIGKILL; a new worker takes the slot) */
#endif
#ifndef MAXREL
#define MAXREL 1	/* worker shutdowns (SIGTERM: Release; a new worker takes the slot) */
#endif
#ifndef MAXTO
#define MAXTO 1		/* calls the worker gives up on (CallTimeout) while the coordinator may still run them */
#endif
#ifndef MAXHB
#define MAXHB 1		/* heartbeats per lease */
#endif
#ifndef MAXBATCH
#define MAXBATCH 2	/* operations per group commit (Options.MaxBatch) */
#endif
#ifndef MAXFAIL
#define MAXFAIL 0	/* commits that fail (see "A failed commit" below) */
#endif

/*
 * Mutations: each must make Spin find a counterexample (model_test.go).
 *   NO_TOKEN_CHECK     Scheduler.Complete does not compare the fencing token
 *   NO_LEASE_CHECK     Scheduler.Complete accepts an expired or released lease
 *   NO_TOKEN_BUMP      Scheduler.Lease gives a requeued trial its old token again
 *   ACK_BEFORE_COMMIT  the commit loop answers a batch before its commit
 *   NO_EXPIRY          leases never expire (Coordinator.reap does nothing)
 *
 *   COMMIT_FAILURE_CONTINUES  after a commit whose outcome is unknown the
 *                      coordinator rolls back in memory and goes on serving
 *                      (the handling before issue 15); needs MAXFAIL > 0
 *
 * A failed commit, with MAXFAIL > 0, as Coordinator.runBatch handles it:
 * a failed write or data-page sync (state.ErrDiskFull, state.ErrStorage)
 * leaves the file as it was, and the store knows it: the batch is rolled
 * back in memory, its calls get the error, and serving goes on. A failed
 * sync of the meta page (state.ErrCommitUnknown) leaves the file holding
 * the batch or not, nobody knows which: the coordinator stops
 * (Coordinator.fail), its calls get the error, and it restarts from the
 * file, like a crash (which a stop does not count as).
 */
#ifdef NO_EXPIRY
#define NO_EXPIRY_ true
#else
#define NO_EXPIRY_ false
#endif

/* Trial status (Status; done, diverged and timeout behave alike here:
 * final, with the result kept). */
#define PENDING 0
#define RUNNING 1
#define DONE    2
#define FAILED  3
#define FINAL(x) ((x) >= DONE)

/* Lease state (LeaseState). */
#define L_NONE      0
#define L_ACTIVE    1
#define L_COMPLETED 2
#define L_RELEASED  3
#define L_EXPIRED   4

/* Requests (WorkerService RPCs). */
#define LEASE     1
#define HEARTBEAT 2
#define COMPLETE  3
#define RELEASE   4

/* Statuses a worker reports in a Complete. */
#define C_DONE      1
#define C_FAILED    2
#define C_CANCELLED 3

/* Answers. R_REFUSED is FailedPrecondition: a stale token, or an expired
 * or released lease. */
#define R_GRANT   1
#define R_OK      2
#define R_DUP     3
#define R_STOP    4
#define R_REFUSED 5

/* What a worker slot is doing; every state but W_RUN waits for the
 * answer to a call (the request kind follows from the state). */
#define W_POLL   0	/* Lease long-poll (worker.lease) */
#define W_RUN    1	/* running its trial, no call outstanding (worker.runTrial) */
#define W_HB     2	/* Heartbeat (worker.heartbeat) */
#define W_REPORT 3	/* Complete, asking for the next trial (worker.complete) */
#define W_REL    4	/* Release, on shutdown (worker.release) */

/* A trial's record (TrialRecord, and its entry in the results bucket). */
typedef Trial {
	byte st;	/* status */
	byte att;	/* attempts */
	byte tok;	/* fencing token of the latest lease (0: never leased) */
	byte ls;	/* state of the latest lease */
	byte lid;	/* ghost: identity of the latest lease (no two committed leases share one) */
	byte res;	/* results bucket: lid of the lease whose result is stored (0: none) */
	byte nacc;	/* ghost: results accepted for the trial */
};

Trial disk[NT];		/* committed: the bbolt file's trials and results buckets */
byte disk_next = 1;	/* committed meta/next_token */
Trial mem[NT];		/* the scheduler's trials (trialState) */
byte mem_next = 1;	/* Scheduler.nextToken */
bit up = 1;		/* the coordinator process runs */
byte gnext = 1;		/* ghost: the next lease identity: the token counter's twin,
			 * which the NO_TOKEN_BUMP mutation leaves alone */
byte disk_gnext = 1;	/* ghost: its committed value (a grant lost in a crash was
			 * never seen: its identity may be given again) */
byte crashes, kills, releases, timeouts;	/* faults so far */

/* Worker slots: what each does, and the lease it holds (trial, token,
 * ghost lease identity), the status it reports, the heartbeats sent. */
byte wpc[NW], wt[NW], wtok[NW], wlid[NW], wc[NW], whb[NW];
/* One call per slot that its worker gave up on (it timed out, or the
 * worker died) but that the coordinator may still run; nobody reads the
 * answer. */
byte oq_k[NW], oq_t[NW], oq_tok[NW], oq_lid[NW], oq_c[NW];
bit oq_on[NW];

/* The batch being committed: the slots whose calls it holds, and their
 * answers. Written and read within the commit loop's atomic step, across
 * the choices pan backtracks over (hence not hidden), and 0 between
 * batches. */
byte amask, s, nops;
byte ans_k[NW], ans_g[NW], ans_t[NW], ans_tok[NW], ans_lid[NW];
/* What the batch changes (state.Merge puts each changed record once,
 * the results it carries, and the token counter if it leased), and the
 * undo record: mem before the batch (batch.rollback). */
byte dmask, rmask, nflag;
Trial pre[NT];
byte pre_next, pre_gnext;
byte fails;	/* commits failed so far */
/* Scratch written before it is read within one d_step (hidden: not part
 * of the state). */
hidden byte i, j, w_, k_, t_, tok_, lid_, c_, a_k, a_g, a_t, a_tok, a_lid, main_, tmp, o_st, o_res, o_ls;

/* Property names: 0 (checked), so that a failed assertion names its
 * property in Spin's report ("assertion violated (no_stale_overwrite||...)").
 * The end-to-end properties speak of what workers and the database see;
 * the others of what one scheduler operation decides, or of the engine's
 * memory, and END_TO_END_ONLY turns them off (model_test.go shows that the
 * mutations break end-to-end properties too). */
hidden byte one_result, final_is_final, ack_is_stored, store_invariant;
hidden byte no_lost_trial, no_stuck_worker;
#ifdef END_TO_END_ONLY
hidden byte no_stale_overwrite = 1, heartbeat_fenced = 1, release_fenced = 1, memory_is_disk = 1;
#else
hidden byte no_stale_overwrite, heartbeat_fenced, release_fenced, memory_is_disk;
#endif

/* cpp helpers over the bounds. */
#define PEND(x)   (mem[x].st == PENDING)
#define ACT(x)    (mem[x].ls == L_ACTIVE)
#define DFINAL(x) (FINAL(disk[x].st) && disk[x].ls != L_ACTIVE)
#if NT == 1
#define HAS_PENDING PEND(0)
#define ANY_ACTIVE  ACT(0)
#define ALL_FINAL   DFINAL(0)
#elif NT == 2
#define HAS_PENDING (PEND(0) || PEND(1))
#define ANY_ACTIVE  (ACT(0) || ACT(1))
#define ALL_FINAL   (DFINAL(0) && DFINAL(1))
#elif NT == 3
#define HAS_PENDING (PEND(0) || PEND(1) || PEND(2))
#define ANY_ACTIVE  (ACT(0) || ACT(1) || ACT(2))
#define ALL_FINAL   (DFINAL(0) && DFINAL(1) && DFINAL(2))
#else
#error "NT must be 1, 2 or 3"
#endif
/* A slot's call can join the batch: it is outstanding, not in the batch
 * yet, and, for a Lease long-poll, a trial is pending. */
#define ELIG(w) (wpc[w] != W_RUN && !(amask & (1 << (w))) && (wpc[w] != W_POLL || HAS_PENDING))
#if NW == 1
#define ANY_ELIG (ELIG(0) || oq_on[0])
#define ALL_POLL (wpc[0] == W_POLL)
#elif NW == 2
#define ANY_ELIG (ELIG(0) || oq_on[0] || ELIG(1) || oq_on[1])
#define ALL_POLL (wpc[0] == W_POLL && wpc[1] == W_POLL)
#elif NW == 3
#define ANY_ELIG (ELIG(0) || oq_on[0] || ELIG(1) || oq_on[1] || ELIG(2) || oq_on[2])
#define ALL_POLL (wpc[0] == W_POLL && wpc[1] == W_POLL && wpc[2] == W_POLL)
#else
#error "NW must be 1, 2 or 3"
#endif

#define COPY(dst, src) \
	dst.st = src.st; dst.att = src.att; dst.tok = src.tok; dst.ls = src.ls; \
	dst.lid = src.lid; dst.res = src.res; dst.nacc = src.nacc
/* A trial record's put: everything but the results bucket's entry. */
#define PUT(dst, src) \
	dst.st = src.st; dst.att = src.att; dst.tok = src.tok; dst.ls = src.ls; \
	dst.lid = src.lid; dst.nacc = src.nacc
#define ZERO(dst) \
	dst.st = 0; dst.att = 0; dst.tok = 0; dst.ls = 0; dst.lid = 0; dst.res = 0; dst.nacc = 0

/* ---------------------------------------------------------------------
 * Symmetry reduction. Worker slots are interchangeable: between steps
 * every worker process waits at the head of its loop, the coordinator
 * keeps nothing of a slot, and no property names one. So states that
 * differ only by a permutation of the slots' data are the same state,
 * and canon() keeps one of them: the slots sorted by their data. It
 * ends every step that changes a slot (NO_SYMMETRY turns it off, for
 * comparison; the properties and the verdicts are the same). A swap
 * renumbers slots in a replayed counterexample, which says so.
 */
#define KEY1(x) (((((wpc[x] * 4 + wt[x]) * 64 + wtok[x]) * 64 + wlid[x]) * 4 + wc[x]) * 4 + whb[x])
#define KEY2(x) (((((oq_on[x] * 8 + oq_k[x]) * 4 + oq_t[x]) * 64 + oq_tok[x]) * 64 + oq_lid[x]) * 4 + oq_c[x])
#define SWAP(v, a, b) tmp = v[a]; v[a] = v[b]; v[b] = tmp

inline order(a, b) {
	if
	:: KEY1(a) > KEY1(b) || KEY1(a) == KEY1(b) && KEY2(a) > KEY2(b) ->
		SWAP(wpc, a, b); SWAP(wt, a, b); SWAP(wtok, a, b); SWAP(wlid, a, b); SWAP(wc, a, b); SWAP(whb, a, b);
		SWAP(oq_on, a, b); SWAP(oq_k, a, b); SWAP(oq_t, a, b); SWAP(oq_tok, a, b); SWAP(oq_lid, a, b);
		SWAP(oq_c, a, b);
		printf("  (slots %d and %d swap numbers)\n", a, b)
	:: else -> skip
	fi
}

inline canon() {
#if !defined(NO_SYMMETRY) && NW == 2
	order(0, 1)
#elif !defined(NO_SYMMETRY) && NW == 3
	order(0, 1); order(1, 2); order(0, 1)
#else
	skip
#endif
}

/* ---------------------------------------------------------------------
 * The scheduler: deterministic, on mem (Go: type Scheduler).
 */

/* Scheduler.Lease: the first pending trial in index order becomes
 * running, with a new attempt and the next token of the one counter. */
inline lease_next() {
	a_g = 0;
	i = 0;
	do
	:: i < NT && !PEND(i) -> i++
	:: i < NT && PEND(i) ->
		mem[i].st = RUNNING;
		mem[i].att++;
		dmask = dmask | (1 << i); nflag = 1;
#ifdef NO_TOKEN_BUMP
		if
		:: mem[i].tok == 0 -> mem[i].tok = mem_next; mem_next++
		:: else -> skip		/* MUTATION: a requeued trial keeps its token */
		fi;
#else
		mem[i].tok = mem_next;
		mem_next++;
#endif
		mem[i].ls = L_ACTIVE;
		mem[i].lid = gnext;
		gnext++;
		a_g = 1; a_t = i; a_tok = mem[i].tok; a_lid = mem[i].lid;
		printf("  trial %d leased to slot %d: token %d, attempt %d\n", i, w_, mem[i].tok, mem[i].att);
		break
	:: i == NT -> break
	od
}

/* Scheduler.Heartbeat: Stop unless the lease is the trial's current,
 * active one, which is then extended (by the TTL: a deadline the model
 * abstracts, see expire). */
inline heartbeat() {
	if
	:: tok_ != mem[t_].tok -> a_k = R_STOP				/* superseded */
	:: tok_ == mem[t_].tok && mem[t_].ls != L_ACTIVE -> a_k = R_STOP	/* completed, released, expired */
	:: tok_ == mem[t_].tok && mem[t_].ls == L_ACTIVE -> a_k = R_OK
	fi;
	if
	:: a_k == R_OK -> printf("  extended\n"); dmask = dmask | (1 << t_)	/* the new expiry */
	:: else -> printf("  answered stop\n")
	fi;
	assert(heartbeat_fenced || (a_k == R_OK) == (lid_ == mem[t_].lid && mem[t_].ls == L_ACTIVE))
}

#ifdef NO_TOKEN_CHECK
#define STALE(x) false			/* MUTATION */
#else
#define STALE(x) (tok_ != mem[x].tok)
#endif
#ifdef NO_LEASE_CHECK
#define ENDED(x) false			/* MUTATION */
#else
#define ENDED(x) (mem[x].ls == L_EXPIRED || mem[x].ls == L_RELEASED)
#endif

/* Scheduler.Complete, then (Coordinator.CompleteAndLease) Scheduler.Lease
 * of the worker's next trial in the same operation: the worker always
 * asks for it. */
inline complete() {
	if
	:: STALE(t_) -> a_k = R_REFUSED; printf("  refused: stale token\n")	/* ErrStaleToken */
	:: else ->
		if
		:: mem[t_].ls == L_COMPLETED -> a_k = R_DUP; printf("  acknowledged as a duplicate\n")	/* duplicate = true */
		:: else ->
			if
			:: ENDED(t_) -> a_k = R_REFUSED; printf("  refused: the lease expired or was released\n")	/* ErrLeaseExpired, ErrLeaseReleased */
			:: else ->
				/* accepted: only from the trial's current, active lease */
				assert(no_stale_overwrite || (lid_ == mem[t_].lid && mem[t_].ls == L_ACTIVE));
				mem[t_].ls = L_COMPLETED;
				dmask = dmask | (1 << t_);
				if
				:: c_ == C_DONE ->		/* done, diverged, timeout: final, result kept */
					mem[t_].st = DONE; mem[t_].res = lid_; mem[t_].nacc++; rmask = rmask | (1 << t_)
				:: c_ == C_CANCELLED ->		/* given up, sweep not cancelled: requeued, attempt not counted */
					mem[t_].st = PENDING; mem[t_].att--
				:: c_ == C_FAILED && mem[t_].att < MAXATT ->	/* retried: requeued, result dropped */
					mem[t_].st = PENDING
				:: c_ == C_FAILED && mem[t_].att >= MAXATT ->	/* the last attempt: final, result kept */
					mem[t_].st = FAILED; mem[t_].res = lid_; mem[t_].nacc++; rmask = rmask | (1 << t_)
				fi;
				printf("  accepted: trial %d is %d (0 pending, 2 done, 3 failed)\n", t_, mem[t_].st);
				a_k = R_OK
			fi
		fi
	fi;
	if
	:: a_k != R_REFUSED -> lease_next()	/* a refused completion leases nothing */
	:: else -> skip
	fi
}

/* Scheduler.Release: an active lease is handed back and the trial
 * requeued without counting the attempt; a lease that already ended: a
 * no-op. */
inline release() {
	if
	:: tok_ != mem[t_].tok -> a_k = R_REFUSED; printf("  refused: stale token\n")	/* ErrStaleToken */
	:: tok_ == mem[t_].tok && mem[t_].ls != L_ACTIVE -> a_k = R_OK; printf("  no-op: the lease had ended\n")
	:: tok_ == mem[t_].tok && mem[t_].ls == L_ACTIVE ->
		assert(release_fenced || lid_ == mem[t_].lid);
		mem[t_].ls = L_RELEASED; mem[t_].st = PENDING; mem[t_].att--;
		dmask = dmask | (1 << t_);
		printf("  released: trial %d is pending\n", t_);
		a_k = R_OK
	fi
}

/* Scheduler.Expire: an active lease whose expiry passed ends; the trial
 * is requeued while attempts remain and fails otherwise. */
inline expire(x) {
	mem[x].ls = L_EXPIRED;
	dmask = dmask | (1 << x);
	if
	:: mem[x].att < MAXATT -> mem[x].st = PENDING
	:: else -> mem[x].st = FAILED
	fi;
	printf("coordinator: the lease of trial %d (token %d) expires: the trial is %d (0 pending, 3 failed)\n",
		x, mem[x].tok, mem[x].st)
}

/* ---------------------------------------------------------------------
 * The engine and the store (Go: Coordinator.commitLoop, runBatch,
 * restore; Store.Commit).
 */

/* The start of a batch: the scheduler holds exactly what is committed
 * (queries and callers never see a provisional state, and a failed commit
 * must not leave it otherwise); the undo record is taken. */
inline begin() {
	assert(memory_is_disk || mem_next == disk_next && gnext == disk_gnext);
	i = 0;
	do
	:: i < NT ->
		assert(memory_is_disk || (mem[i].st == disk[i].st && mem[i].att == disk[i].att &&
			mem[i].tok == disk[i].tok && mem[i].ls == disk[i].ls && mem[i].lid == disk[i].lid &&
			mem[i].res == disk[i].res && mem[i].nacc == disk[i].nacc));
		COPY(pre[i], mem[i]);
		i++
	:: i == NT -> break
	od;
	pre_next = mem_next; pre_gnext = gnext
}

/* The end of a batch: its scratch is cleared. */
inline finish() {
	i = 0;
	do
	:: i < NT -> ZERO(pre[i]); i++
	:: i == NT -> break
	od;
	pre_next = 0; pre_gnext = 0; dmask = 0; rmask = 0; nflag = 0; nops = 0; s = 0
}

/* batch.rollback: mem as it was before the batch. */
inline rollback() {
	i = 0;
	do
	:: i < NT -> COPY(mem[i], pre[i]); i++
	:: i == NT -> break
	od;
	mem_next = pre_next;
	gnext = pre_gnext
}

/* Store.Commit of the batch's merged change (state.Merge): the trial
 * records it changed, the results it put, the token counter if it
 * leased; then the properties and the invariants CheckDatabase verifies,
 * on the disk. */
inline commit() {
	i = 0;
	do
	:: i < NT ->
		o_st = disk[i].st; o_res = disk[i].res; o_ls = disk[i].ls;
		if
		:: dmask & (1 << i) -> PUT(disk[i], mem[i])
		:: else -> skip
		fi;
		if
		:: rmask & (1 << i) -> disk[i].res = mem[i].res
		:: else -> skip
		fi;
		/* a recorded outcome is never replaced */
		assert(final_is_final || !FINAL(o_st) ||
			(disk[i].st == o_st && disk[i].res == o_res && disk[i].ls == o_ls));
		i++
	:: i == NT -> break
	od;
	if
	:: nflag -> disk_next = mem_next; disk_gnext = gnext
	:: else -> skip
	fi;
	i = 0;
	do
	:: i < NT ->
		/* at most one accepted result per trial */
		assert(one_result || disk[i].nacc <= 1);
		/* running exactly while the lease is active; a done trial has a
		 * result, a pending or running one none; tokens below the
		 * counter (else the file does not open: loader.finish); attempts
		 * within the budget */
		assert(store_invariant || ((disk[i].st == RUNNING) == (disk[i].ls == L_ACTIVE)) &&
			(disk[i].st != DONE || disk[i].res != 0) &&
			(FINAL(disk[i].st) || disk[i].res == 0) &&
			disk[i].tok < disk_next && disk[i].att <= MAXATT);
		i++
	:: i == NT -> break
	od;
	assert(mem_next < 64 && gnext < 64)	/* the symmetry keys' bounds */
}

/* A new worker in slot x (after a kill or a shutdown, or a slot whose
 * trial ended without a next one) long-polls for work: worker.slot →
 * worker.lease. */
inline new_lease(x) {
	wt[x] = 0; wtok[x] = 0; wlid[x] = 0; wc[x] = 0; whb[x] = 0;
	wpc[x] = W_POLL
}

/* The worker takes a granted lease (Lease, or Complete's next) and runs
 * the trial: worker.runTrial. */
inline take_grant(x) {
	wt[x] = ans_t[x]; wtok[x] = ans_tok[x]; wlid[x] = ans_lid[x]; wc[x] = 0; whb[x] = 0;
	wpc[x] = W_RUN
}

/* Acknowledged, duplicate or not: the worker's result is the stored one,
 * on disk, with its token. */
#define ACK_IS_STORED(x) \
	assert(ack_is_stored || wc[x] != C_DONE || (disk[wt[x]].res == wlid[x] && disk[wt[x]].st == DONE))

/* The answers of the batch reach their workers, which act on them at
 * once: run the granted trial; carry on after an extended lease, or
 * report a stopped run as cancelled (ErrStopped); after a Complete, run
 * the next trial or poll; after a Release, a new worker polls. */
inline publish() {
	j = 0;
	do
	:: j < NW ->
		if
		:: amask & (1 << j) ->
			if
			:: wpc[j] == W_POLL -> take_grant(j)
			:: wpc[j] == W_HB && ans_k[j] == R_OK -> wpc[j] = W_RUN
			:: wpc[j] == W_HB && ans_k[j] == R_STOP -> wc[j] = C_CANCELLED; wpc[j] = W_REPORT
			:: wpc[j] == W_REPORT && (ans_k[j] == R_OK || ans_k[j] == R_DUP) ->
				ACK_IS_STORED(j);
				if
				:: ans_g[j] -> take_grant(j)
				:: else -> new_lease(j)
				fi
			:: wpc[j] == W_REPORT && ans_k[j] == R_REFUSED -> new_lease(j)	/* stale: dropped */
			:: wpc[j] == W_REL -> new_lease(j)
			fi
		:: else -> skip
		fi;
		ans_k[j] = 0; ans_g[j] = 0; ans_t[j] = 0; ans_tok[j] = 0; ans_lid[j] = 0;
		j++
	:: j == NW -> break
	od;
	amask = 0
}

/* SIGKILL of the coordinator: mem is lost, with the batch and every call
 * not answered yet; the workers see Unavailable. A Heartbeat is retried
 * at the next beat, a Release not at all (the worker exits: a new one
 * takes the slot); Lease and Complete are retried with backoff until the
 * coordinator is back (their requests wait in the slot). Open →
 * Coordinator.restore reloads mem from the disk. */
inline crash() {
	crashes++;
	up = 0;
	j = 0;
	do
	:: j < NW ->
		if
		:: wpc[j] == W_HB -> wpc[j] = W_RUN
		:: wpc[j] == W_REL -> new_lease(j)
		:: else -> skip
		fi;
		oq_on[j] = 0; oq_k[j] = 0; oq_t[j] = 0; oq_tok[j] = 0; oq_lid[j] = 0; oq_c[j] = 0;
		ans_k[j] = 0; ans_g[j] = 0; ans_t[j] = 0; ans_tok[j] = 0; ans_lid[j] = 0;
		j++
	:: j == NW -> break
	od;
	amask = 0;
	i = 0;
	do
	:: i < NT -> COPY(mem[i], disk[i]); i++
	:: i == NT -> break
	od;
	mem_next = disk_next;
	gnext = disk_gnext
}

/* A commit fails and the coordinator goes on serving: every call of the
 * batch is answered with the error, and its worker acts as after a crash
 * (a Heartbeat waits for the next beat, a Release is given up, Lease and
 * Complete are retried). */
inline fail_calls() {
	j = 0;
	do
	:: j < NW ->
		if
		:: amask & (1 << j) && wpc[j] == W_HB -> wpc[j] = W_RUN
		:: amask & (1 << j) && wpc[j] == W_REL -> new_lease(j)
		:: else -> skip
		fi;
		ans_k[j] = 0; ans_g[j] = 0; ans_t[j] = 0; ans_tok[j] = 0; ans_lid[j] = 0;
		j++
	:: j == NW -> break
	od;
	amask = 0
}

/* The handling of a commit that failed: CLEAN_FAILURE when the store
 * knows the file is unchanged, UNKNOWN_FAILURE when it does not. */
#define CLEAN_FAILURE rollback(); fail_calls(); printf("  rolled back; the calls get the error; serving goes on\n")
#ifdef COMMIT_FAILURE_CONTINUES
#define UNKNOWN_FAILURE CLEAN_FAILURE
#else
#define UNKNOWN_FAILURE crash(); crashes--; printf("  the coordinator stops; it restarts from the disk\n")
#endif

/* Take call s (0..NW-1: slot s's outstanding call; 4+w: the call slot w
 * gave up on) into the batch. */
inline take() {
	if
	:: s < 4 ->
		w_ = s; main_ = 1;
		if
		:: wpc[w_] == W_POLL -> k_ = LEASE
		:: wpc[w_] == W_HB -> k_ = HEARTBEAT
		:: wpc[w_] == W_REPORT -> k_ = COMPLETE
		:: wpc[w_] == W_REL -> k_ = RELEASE
		fi;
		t_ = wt[w_]; tok_ = wtok[w_]; lid_ = wlid[w_]; c_ = wc[w_];
		amask = amask | (1 << w_)
	:: else ->
		w_ = s - 4; main_ = 0;
		k_ = oq_k[w_]; t_ = oq_t[w_]; tok_ = oq_tok[w_]; lid_ = oq_lid[w_]; c_ = oq_c[w_];
		oq_on[w_] = 0; oq_k[w_] = 0; oq_t[w_] = 0; oq_tok[w_] = 0; oq_lid[w_] = 0; oq_c[w_] = 0
	fi
}

/* One operation of the batch, staged on mem (the run function of
 * Coordinator.do). */
inline operation() {
	a_k = 0; a_g = 0; a_t = 0; a_tok = 0; a_lid = 0;
	if
	:: k_ == LEASE ->				/* Coordinator.Lease */
		printf("coordinator: Lease from slot %d\n", w_);
		lease_next(); a_k = R_GRANT
	:: k_ == HEARTBEAT ->				/* Coordinator.Heartbeat */
		printf("coordinator: Heartbeat from slot %d for trial %d, token %d\n", w_, t_, tok_);
		heartbeat()
	:: k_ == COMPLETE ->				/* Coordinator.CompleteAndLease */
		printf("coordinator: Complete from slot %d for trial %d, token %d, status %d (1 done, 2 failed, 3 cancelled)\n",
			w_, t_, tok_, c_);
		complete()
	:: k_ == RELEASE ->				/* Coordinator.Release */
		printf("coordinator: Release from slot %d for trial %d, token %d\n", w_, t_, tok_);
		release()
	fi;
	if
	:: !main_ -> printf("  (a call slot %d had given up on)\n", w_)
	:: else -> skip
	fi;
	if
	:: main_ ->
		ans_k[w_] = a_k; ans_g[w_] = a_g; ans_t[w_] = a_t; ans_tok[w_] = a_tok; ans_lid[w_] = a_lid
	:: else -> skip	/* nobody reads the answer; a grant leaks, and expires */
	fi
}

active proctype Coordinator() {
end_loop:
	do
	:: atomic {
		/* Coordinator.runBatch: stage up to MAXBATCH queued calls, in
		 * any order, each seeing the ones before; commit them in one
		 * transaction, then answer them; or crash on the way. */
		up && ANY_ELIG;
		d_step { begin(); nops = 0 };
		do
		:: d_step { nops < MAXBATCH && ELIG(0) -> s = 0; take(); operation(); nops++; s = 0 }
		:: d_step { nops < MAXBATCH && oq_on[0] -> s = 4; take(); operation(); nops++; s = 0 }
#if NW > 1
		:: d_step { nops < MAXBATCH && ELIG(1) -> s = 1; take(); operation(); nops++; s = 0 }
		:: d_step { nops < MAXBATCH && oq_on[1] -> s = 5; take(); operation(); nops++; s = 0 }
#endif
#if NW > 2
		:: d_step { nops < MAXBATCH && ELIG(2) -> s = 2; take(); operation(); nops++; s = 0 }
		:: d_step { nops < MAXBATCH && oq_on[2] -> s = 6; take(); operation(); nops++; s = 0 }
#endif
		:: nops > 0 -> break
		od;
		if
		:: d_step { printf("coordinator: commit, answer\n"); commit(); publish(); canon(); finish() }
		:: crashes < MAXCRASH ->	/* committed; answers lost */
			d_step { printf("coordinator: commit, then CRASH\n"); commit(); crash(); canon(); finish() }
		:: crashes < MAXCRASH ->	/* lost before its commit */
			d_step { printf("coordinator: CRASH before the commit\n"); crash(); canon(); finish() }
		:: fails < MAXFAIL ->		/* ErrDiskFull, ErrStorage: the file is unchanged */
			d_step { printf("coordinator: the commit fails; the file does not hold the batch, and the store knows it\n");
				fails++; CLEAN_FAILURE; canon(); finish() }
		:: fails < MAXFAIL ->		/* ErrCommitUnknown: the disk kept the batch */
			d_step { printf("coordinator: the commit's final sync fails; the file holds the batch all the same\n");
				fails++; commit(); UNKNOWN_FAILURE; canon(); finish() }
		:: fails < MAXFAIL ->		/* ErrCommitUnknown: the disk lost the batch */
			d_step { printf("coordinator: the commit's final sync fails; the file does not hold the batch\n");
				fails++; UNKNOWN_FAILURE; canon(); finish() }
#ifdef ACK_BEFORE_COMMIT
		:: crashes < MAXCRASH ->	/* MUTATION */
			d_step { printf("coordinator: answer, then CRASH before the commit\n"); publish(); crash(); canon(); finish() }
#endif
		fi
	   }
	:: atomic {
		/* Coordinator.reap → runBatch → Scheduler.Expire: a lease's
		 * expiry passes (its worker is dead, paused or cut off, or its
		 * heartbeats are late: any active lease may expire at any time),
		 * in a batch of its own. */
		up && ANY_ACTIVE && !NO_EXPIRY_ ->
		if
		:: ACT(0) -> s = 0
#if NT > 1
		:: ACT(1) -> s = 1
#endif
#if NT > 2
		:: ACT(2) -> s = 2
#endif
		fi;
		if
		:: d_step { begin(); expire(s); commit(); finish() }
		:: crashes < MAXCRASH -> d_step { printf("coordinator: CRASH before an expiry\n"); crash(); canon(); s = 0 }
		fi
	   }
	:: d_step {
		/* Open → Coordinator.restore (crash reloaded mem from the disk).
		 * Scheduler.RestoreGrace only moves expiries later, which the
		 * nondeterministic expiry covers. */
		!up -> up = 1; printf("coordinator: restarts from the disk\n")
	   }
	od
}

/* ---------------------------------------------------------------------
 * Worker slots (Go: worker.slot, worker.runTrial, worker.heartbeat,
 * worker.complete, worker.release). A slot's own moves; the answers to
 * its calls are taken in publish and crash.
 */

/* The worker stops waiting for its call (CallTimeout), which the
 * coordinator may still run. */
inline abandon(x) {
	oq_c[x] = wc[x]; oq_t[x] = wt[x]; oq_tok[x] = wtok[x]; oq_lid[x] = wlid[x];
	if
	:: wpc[x] == W_HB -> oq_k[x] = HEARTBEAT
	:: wpc[x] == W_REPORT -> oq_k[x] = COMPLETE
	:: wpc[x] == W_REL -> oq_k[x] = RELEASE
	fi;
	oq_on[x] = 1
}

proctype Worker(byte w) {
end_idle:
	do
	/* worker.heartbeat: a beat while the trial runs */
	:: d_step { wpc[w] == W_RUN && whb[w] < MAXHB -> whb[w]++; wpc[w] = W_HB;
		printf("slot %d: heartbeat for trial %d, token %d\n", w, wt[w], wtok[w]); canon() }
	/* the runner returns: done (or diverged, timeout), or failed;
	 * worker.complete sends the result */
	:: d_step { wpc[w] == W_RUN -> wc[w] = C_DONE; wpc[w] = W_REPORT;
		printf("slot %d: trial %d (token %d) done: Complete\n", w, wt[w], wtok[w]); canon() }
	:: d_step { wpc[w] == W_RUN -> wc[w] = C_FAILED; wpc[w] = W_REPORT;
		printf("slot %d: trial %d (token %d) failed: Complete\n", w, wt[w], wtok[w]); canon() }
	/* SIGTERM: Run cancels the trial and worker.release hands the lease
	 * back (one attempt), then the worker exits */
	:: d_step { wpc[w] == W_RUN && releases < MAXREL -> releases++; wpc[w] = W_REL;
		printf("slot %d: SIGTERM: Release of trial %d, token %d\n", w, wt[w], wtok[w]); canon() }
	/* a call times out: a Heartbeat waits for the next beat, a Complete
	 * is sent again, a Release is given up (the worker exits) */
	:: d_step { wpc[w] >= W_HB && !oq_on[w] && timeouts < MAXTO ->
		timeouts++;
		printf("slot %d: the call times out\n", w);
		abandon(w);
		if
		:: wpc[w] == W_HB -> wpc[w] = W_RUN
		:: wpc[w] == W_REPORT -> skip
		:: wpc[w] == W_REL -> new_lease(w)
		fi;
		canon() }
	/* SIGKILL: the worker dies, with its lease, and a new one takes the
	 * slot; a call it had sent may still run (a Lease long-poll ends with
	 * its connection) */
	:: d_step { wpc[w] != W_POLL && kills < MAXKILL ->
		kills++;
		printf("slot %d: SIGKILL; a new worker takes the slot\n", w);
		if
		:: wpc[w] >= W_HB && !oq_on[w] -> abandon(w)
		:: else -> skip
		fi;
		new_lease(w);
		canon() }
	od
}

init {
	byte x;
	atomic {
		do
		:: x < NW -> run Worker(x); x++
		:: x == NW -> break
		od
	}
}

/* No lost trial: once nothing can move, every trial is final on disk and
 * holds no lease, and every worker is long-polling for work (none waits
 * for an answer that never comes). Together with the absence of cycles
 * (ltl eventually_final, make model), every run ends so. */
#ifndef NO_QUIESCENCE	/* the liveness search rests on the ltl property alone */
active proctype Quiescence() {
	timeout ->
	assert(no_lost_trial || ALL_FINAL);
	assert(no_stuck_worker || ALL_POLL)
}
#endif

/* Liveness, for pan -a: every run reaches a state where every trial is
 * final (final is stable: final_is_final). */
ltl eventually_final { <> ALL_FINAL }
