package coordinator

import "container/heap"

// pendingQueue is a sweep's pending trials, ordered by (Index, Key), with
// removal of any member in O(log n).
type pendingQueue struct {
	items []queueItem
	pos   map[string]int // key → position in items
	// bulk: add appends without ordering, and endBulk orders the whole
	// queue at once (restoring a large sweep: O(n) instead of O(n log n)).
	bulk bool
}

type queueItem struct {
	index int
	key   string
}

// newPendingQueue returns an empty queue with room for n keys.
func newPendingQueue(n int) *pendingQueue {
	return &pendingQueue{items: make([]queueItem, 0, n), pos: make(map[string]int, n)}
}

// endBulk orders the keys added in bulk mode and leaves it.
func (q *pendingQueue) endBulk() {
	if q.bulk {
		heap.Init(q)
		q.bulk = false
	}
}

// Len implements heap.Interface.
func (q *pendingQueue) Len() int { return len(q.items) }

// Less implements heap.Interface.
func (q *pendingQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.index != b.index {
		return a.index < b.index
	}
	return a.key < b.key
}

// Swap implements heap.Interface.
func (q *pendingQueue) Swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.pos[q.items[i].key] = i
	q.pos[q.items[j].key] = j
}

// Push implements heap.Interface; use add.
func (q *pendingQueue) Push(x any) {
	it := x.(queueItem)
	q.pos[it.key] = len(q.items)
	q.items = append(q.items, it)
}

// Pop implements heap.Interface; use remove.
func (q *pendingQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	delete(q.pos, it.key)
	return it
}

// add queues key unless it is queued already.
func (q *pendingQueue) add(index int, key string) {
	if _, ok := q.pos[key]; ok {
		return
	}
	if q.bulk {
		q.Push(queueItem{index: index, key: key})
		return
	}
	heap.Push(q, queueItem{index: index, key: key})
}

// remove drops key if it is queued.
func (q *pendingQueue) remove(key string) {
	if i, ok := q.pos[key]; ok {
		heap.Remove(q, i)
	}
}

// peek returns the first key, or "" and false when the queue is empty.
func (q *pendingQueue) peek() (string, bool) {
	if len(q.items) == 0 {
		return "", false
	}
	return q.items[0].key, true
}
