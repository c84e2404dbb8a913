warning: only one claim defined, -N ignored
pan:1: acceptance cycle (at depth 31)
pan: wrote lease.pml.trail

(Spin Version 6.5.2 -- 6 December 2019)
Warning: Search not completed
	+ Partial Order Reduction

Full statespace search for:
	never claim         	+ (eventually_final)
	assertion violations	+ (if within scope of claim)
	acceptance   cycles 	+ (fairness disabled)
	invalid end states	- (disabled by never claim)

State-vector 116 byte, depth reached 32, errors: 1
        8 states, stored
        0 states, matched
        8 transitions (= stored+matched)
       17 atomic steps
hash conflicts:         0 (resolved)

Stats on memory usage (in Megabytes):
    0.001	equivalent memory usage for states (stored*(State-vector + overhead))
    0.252	actual memory usage for states
    8.000	memory used for hash table (-w20)
    5.341	memory used for DFS stack (-m100000)
   13.536	total actual memory usage



pan: elapsed time 0 seconds
