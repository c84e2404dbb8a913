error: max search depth too small

(Spin Version 6.5.2 -- 6 December 2019)
	+ Partial Order Reduction

Full statespace search for:
	never claim         	- (not selected)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 116 byte, depth reached 19, errors: 0
       34 states, stored
      107 states, matched
      141 transitions (= stored+matched)
      229 atomic steps
hash conflicts:         0 (resolved)

Stats on memory usage (in Megabytes):
    0.005	equivalent memory usage for states (stored*(State-vector + overhead))
    0.249	actual memory usage for states
    8.000	memory used for hash table (-w20)
    0.001	memory used for DFS stack (-m20)
    8.195	total actual memory usage



pan: elapsed time 0.04 seconds
pan: rate       850 states/second
