
(Spin Version 6.5.2 -- 6 December 2019)
	+ Partial Order Reduction

Full statespace search for:
	never claim         	- (not selected)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 116 byte, depth reached 85, errors: 0
1.0123e+07 states, stored (2.0246e+07 visited)
   166007 states, matched
1.70568e+08 transitions (= visited+matched)
   395822 atomic steps
hash conflicts:      4247 (resolved)

Stats on memory usage (in Megabytes):
    3.158	equivalent memory usage for states (stored*(State-vector + overhead))
    2.885	actual memory usage for states (compression: 91.35%)
         	state-vector as stored = 104 byte + 28 byte overhead
    8.000	memory used for hash table (-w20)
    5.341	memory used for DFS stack (-m100000)
   16.173	total actual memory usage



pan: elapsed time 1.95 seconds
pan: rate 11793.333 states/second
