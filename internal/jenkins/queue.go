package jenkins

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// QueueItem is what the client reads of a queue item.
type QueueItem struct {
	ID        int     `json:"id"`
	Why       *string `json:"why"`
	Blocked   bool    `json:"blocked"`
	Buildable bool    `json:"buildable"`
	Stuck     bool    `json:"stuck"`
	// Cancelled is present only once the item has left the queue.
	Cancelled    *bool `json:"cancelled"`
	InQueueSince int64 `json:"inQueueSince"`
	// Timestamp is when a waiting item's quiet period ends; 0 for others.
	Timestamp int64 `json:"timestamp"`
	// Executable is the build, read with the item so that following it
	// starts without another request.
	Executable *Build `json:"executable"`
	Date
}

// Left reports whether the item has left the queue (started or cancelled).
func (q *QueueItem) Left() bool { return q.Cancelled != nil }

// QueuePath is the escaped path of a queue item below the base URL.
func QueuePath(id int) string { return "/queue/item/" + strconv.Itoa(id) + "/" }

// QueueItem reads queue item id. A 404 (the item expired five minutes after
// leaving the queue, or Jenkins restarted) is an error matching ErrNotFound.
func (c *Client) QueueItem(ctx context.Context, id int) (*QueueItem, error) {
	var q QueueItem
	err := c.getJSON(ctx, QueuePath(id)+"api/json", "id,why,blocked,buildable,stuck,cancelled,inQueueSince,timestamp,executable["+buildTree+"]", &q)
	if err != nil {
		return nil, fmt.Errorf("read queue item %d: %w", id, err)
	}
	if q.Executable != nil {
		q.Executable.Date = q.Date
	}
	return &q, nil
}

// Waiting is an item still waiting in the queue, as the queue lists it:
// an item that left it (started or cancelled) is no longer listed.
type Waiting struct {
	ID  int     `json:"id"`
	Why *string `json:"why"`
	// InQueueSince is when it was queued, in ms on Jenkins' clock.
	InQueueSince int64 `json:"inQueueSince"`
	// Timestamp is when its quiet period ends; 0 once over.
	Timestamp int64 `json:"timestamp"`
	// Params is Queue.Item.getParams: "\nNAME=value" for each parameter.
	Params string `json:"params"`
	Task   struct {
		URL string `json:"url"`
	} `json:"task"`
}

// Queue is the whole queue as one read lists it.
type Queue struct {
	Items []Waiting `json:"items"`
	Date
}

// Queue lists the items waiting in the whole queue, for where each stands:
// one request, whatever the number of items a caller waits for. It reads
// only their ID, Why, InQueueSince and Timestamp; QueueTasks reads what
// each will build.
func (c *Client) Queue(ctx context.Context) (*Queue, error) {
	return c.queue(ctx, "items[id,why,inQueueSince,timestamp]")
}

// QueueTasks lists the items waiting in the whole queue, for what each
// will build: its job and parameters.
func (c *Client) QueueTasks(ctx context.Context) (*Queue, error) {
	return c.queue(ctx, "items[id,inQueueSince,params,task[url]]")
}

func (c *Client) queue(ctx context.Context, tree string) (*Queue, error) {
	var q Queue
	if err := c.getJSON(ctx, "/queue/api/json", tree, &q); err != nil {
		return nil, fmt.Errorf("list the queue: %w", err)
	}
	return &q, nil
}

// ErrAlreadyLeft means a queue item could not be cancelled because it has
// already left the queue: it started, or someone else cancelled it.
var ErrAlreadyLeft = errors.New("the queue item has already left the queue")

// CancelQueueItem cancels queue item id. Jenkins answers 204 when it did,
// 404 when the item is gone, and 500 when it already left the queue.
func (c *Client) CancelQueueItem(ctx context.Context, id int) error {
	err := c.post(ctx, request{path: "/queue/cancelItem", query: url.Values{"id": {strconv.Itoa(id)}}}, discard)
	if errors.Is(err, errInternal) {
		return ErrAlreadyLeft
	}
	if err != nil {
		return fmt.Errorf("cancel queue item %d: %w", id, err)
	}
	return nil
}
