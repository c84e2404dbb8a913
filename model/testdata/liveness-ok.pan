warning: only one claim defined, -N ignored

(Spin Version 6.5.2 -- 6 December 2019)
	+ Partial Order Reduction

Full statespace search for:
	never claim         	+ (eventually_final)
	assertion violations	+ (if within scope of claim)
	acceptance   cycles 	+ (fairness disabled)
	invalid end states	- (disabled by never claim)

State-vector 116 byte, depth reached 97, errors: 0
    17195 states, stored (34390 visited)
   144080 states, matched
   178470 transitions (= visited+matched)
   359484 atomic steps
hash conflicts:      1217 (resolved)

Stats on memory usage (in Megabytes):
    2.361	equivalent memory usage for states (stored*(State-vector + overhead))
    2.202	actual memory usage for states (compression: 93.24%)
         	state-vector as stored = 106 byte + 28 byte overhead
    8.000	memory used for hash table (-w20)
    5.341	memory used for DFS stack (-m100000)
   15.489	total actual memory usage



pan: elapsed time 0.6 seconds
pan: rate 57316.667 states/second
