Depth=     128 States=    1e+06 Transitions= 1.56e+07 Memory=   143.321	t=     75.5 R=   1e+04
pan: reached -DMEMLIM bound
	1.57246e+08 bytes used
	102400 bytes more needed
	1.57286e+08 bytes limit
hint: to reduce memory, recompile with
  -DCOLLAPSE # good, fast compression, or
  -DMA=140   # better/slower compression, or
  -DHC # hash-compaction, approximation
  -DBITSTATE # supertrace, approximation

(Spin Version 6.5.2 -- 6 December 2019)
Warning: Search not completed
	+ Partial Order Reduction

Full statespace search for:
	never claim         	- (not selected)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 140 byte, depth reached 128, errors: 0
  1051216 states, stored
 16123391 states, matched
 17174607 transitions (= stored+matched)
 39662519 atomic steps
hash conflicts:   7437150 (resolved)

Stats on memory usage (in Megabytes):
  168.423	equivalent memory usage for states (stored*(State-vector + overhead))
  136.838	actual memory usage for states (compression: 81.25%)
         	state-vector as stored = 108 byte + 28 byte overhead
    8.000	memory used for hash table (-w20)
    5.341	memory used for DFS stack (-m100000)
  149.962	total actual memory usage



pan: elapsed time 79.9 seconds
pan: rate 13156.646 states/second
