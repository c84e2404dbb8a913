warning: -i and -I need -DREACH to work accurately
pan:1: assertion violated (no_stale_overwrite||((lid_==mem[t_].lid)&&(mem[t_].ls==1))) (at depth 34)
pan: wrote lease.pml.trail
pan: reducing search depth to 35
pan: wrote lease.pml.trail
pan: reducing search depth to 35
pan: wrote lease.pml.trail
pan: reducing search depth to 34
pan: wrote lease.pml.trail
pan: reducing search depth to 32
pan: wrote lease.pml.trail
pan: reducing search depth to 32
pan: wrote lease.pml.trail
pan: reducing search depth to 31
pan: wrote lease.pml.trail
pan: reducing search depth to 25
pan: wrote lease.pml.trail
pan: reducing search depth to 25
pan: wrote lease.pml.trail
pan: reducing search depth to 24
pan: wrote lease.pml.trail
pan: reducing search depth to 24
pan: wrote lease.pml.trail
pan: reducing search depth to 24
pan: wrote lease.pml.trail
pan: reducing search depth to 24
pan: wrote lease.pml.trail
pan: reducing search depth to 23
pan: wrote lease.pml.trail
pan: reducing search depth to 20
pan: wrote lease.pml.trail
pan: reducing search depth to 20

(Spin Version 6.5.2 -- 6 December 2019)
	+ Partial Order Reduction

Full statespace search for:
	never claim         	- (not selected)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 116 byte, depth reached 78, errors: 15
      408 states, stored
     1312 states, matched
     1720 transitions (= stored+matched)
     3350 atomic steps
hash conflicts:         1 (resolved)

Stats on memory usage (in Megabytes):
    0.056	equivalent memory usage for states (stored*(State-vector + overhead))
    5.587	actual memory usage for states
    8.000	memory used for hash table (-w20)
    0.001	memory used for DFS stack (-m20)
   13.536	total actual memory usage



pan: elapsed time 0.04 seconds
pan: rate     10200 states/second
