pan:1: assertion violated (no_stale_overwrite||((lid_==mem[t_].lid)&&(mem[t_].ls==1))) (at depth 34)
pan: wrote lease.pml.trail

(Spin Version 6.5.2 -- 6 December 2019)
Warning: Search not completed
	+ Partial Order Reduction

Full statespace search for:
	never claim         	- (not selected)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 116 byte, depth reached 78, errors: 1
      300 states, stored
      952 states, matched
     1252 transitions (= stored+matched)
     2731 atomic steps
hash conflicts:         0 (resolved)

Stats on memory usage (in Megabytes):
    0.041	equivalent memory usage for states (stored*(State-vector + overhead))
    0.248	actual memory usage for states
    8.000	memory used for hash table (-w20)
    5.341	memory used for DFS stack (-m100000)
   13.536	total actual memory usage



pan: elapsed time 0 seconds
