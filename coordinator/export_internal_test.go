package coordinator

// QueueLen returns the number of operations waiting for the commit loop
// (not those of the batch being committed), for the package's external
// tests.
func QueueLen(c *Coordinator) int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.queue)
}
